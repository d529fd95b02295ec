/**
 * The rollout gate: poll AppConfig until, for every application of an environment, the
 * latest deployment of each profile is COMPLETE and carries the bytes this run compiled.
 * It fails as soon as one is rolling back, rolled back, reverted, missing or carries other
 * content, and when the timeout passes. Throttling and server faults cost a poll, not the
 * gate; missing credentials or resources end it at once.
 */
import { isAbortError, type Clock } from './clock';
import type { ControlPlane, ProfileRef } from './control-plane';
import { AppConfigError, isRetryable } from './errors';
import { deploymentStatus, failureOf, inspect, isDone, itemKey, resolveItems, type ItemStatus } from './status';
import type { RolloutTarget } from './targets';

export interface WaitOptions {
  readonly plane: ControlPlane;
  readonly target: RolloutTarget;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Time between two polls. */
  readonly intervalMs: number;
  /** Ends the wait early with outcome `interrupted`. @default - never */
  readonly signal?: AbortSignal;
  /** Told after every poll. @default - silent */
  readonly onPoll?: (snapshot: WaitSnapshot) => void;
  /** Told about polls that failed and will be retried. @default - silent */
  readonly onNotice?: (message: string) => void;
}

export interface WaitSnapshot {
  readonly elapsedMs: number;
  readonly timeoutMs: number;
  /** Every item, in target order, as last seen. */
  readonly items: readonly ItemStatus[];
}

export type WaitOutcome = 'complete' | 'failed' | 'timeout' | 'interrupted';

export interface WaitResult {
  readonly outcome: WaitOutcome;
  readonly elapsedMs: number;
  readonly items: readonly ItemStatus[];
  /** One line per item that failed the gate or was still pending at the timeout. */
  readonly problems: readonly string[];
  /**
   * For each item that reached a verdict (done, or failed the gate), by itemKey: ms from the
   * gate's start to the poll that first saw it; what a report gives as that item's time.
   */
  readonly settledMs: ReadonlyMap<string, number>;
}

export async function waitForRollout(o: WaitOptions): Promise<WaitResult> {
  const start = o.clock.now();
  const deadline = start + o.timeoutMs;
  const latest = new Map<string, ItemStatus>();
  const settledMs = new Map<string, number>();
  let refs: Map<string, ProfileRef> | undefined;
  const result = (outcome: WaitOutcome, problems: string[]): WaitResult => ({
    outcome,
    elapsedMs: o.clock.now() - start,
    items: o.target.items.map((i) => latest.get(itemKey(i))).filter((s): s is ItemStatus => s !== undefined),
    problems,
    settledMs,
  });

  let lastPollError: string | undefined;
  for (;;) {
    if (o.signal?.aborted) return result('interrupted', []);
    try {
      refs ??= await resolveItems(o.plane, o.target);
      // A COMPLETE deployment with the right bytes stays the latest: no need to ask again.
      const pending = o.target.items.filter((i) => !isDoneKey(latest, itemKey(i)));
      for (const s of await inspect(o.plane, o.target, refs, pending)) {
        latest.set(itemKey(s), s);
        if (!settledMs.has(itemKey(s)) && (isDone(s) || failureOf(s, o.target.environment) !== undefined)) settledMs.set(itemKey(s), o.clock.now() - start);
      }
      lastPollError = undefined;
      o.onPoll?.({ elapsedMs: o.clock.now() - start, timeoutMs: o.timeoutMs, items: o.target.items.map((i) => latest.get(itemKey(i))!) });
    } catch (e) {
      if (isAbortError(e)) return result('interrupted', []);
      if (!(e instanceof AppConfigError) || !isRetryable(e.kind)) throw e;
      lastPollError = e.message;
      o.onNotice?.(`poll failed; polling again: ${e.message}`);
    }

    const failures = [...latest.values()].map((s) => failureOf(s, o.target.environment)).filter((f): f is string => f !== undefined);
    if (failures.length) return result('failed', failures);
    if (o.target.items.every((i) => isDoneKey(latest, itemKey(i)))) return result('complete', []);

    const now = o.clock.now();
    if (now >= deadline) return result('timeout', [...pendingLines(o.target, latest), ...(lastPollError ? [`the last poll failed: ${lastPollError}`] : [])]);
    try {
      await o.clock.sleep(Math.min(o.intervalMs, deadline - now), o.signal);
    } catch (e) {
      if (isAbortError(e)) return result('interrupted', pendingLines(o.target, latest));
      throw e;
    }
  }
}

function isDoneKey(latest: ReadonlyMap<string, ItemStatus>, key: string): boolean {
  const s = latest.get(key);
  return s !== undefined && isDone(s);
}

function pendingLines(target: RolloutTarget, latest: ReadonlyMap<string, ItemStatus>): string[] {
  return target.items.filter((i) => !isDoneKey(latest, itemKey(i))).map((i) => pendingLine(i, latest.get(itemKey(i))));
}

/** Where an item the gate is still waiting for stands, as last seen (undefined: never read). */
export function pendingLine(item: { application: string; profile: string }, s: ItemStatus | undefined): string {
  return s ? `${itemKey(item)}: deployment #${s.deploymentNumber} still ${s.state} at ${s.percentage ?? 0}%` : `${itemKey(item)}: not read from AppConfig yet`;
}

export interface DeploymentWaitOptions {
  readonly plane: ControlPlane;
  readonly ref: ProfileRef;
  /** The deployment to follow, as StartDeployment returned it. */
  readonly deploymentNumber: number;
  /** The bytes it carries, for the status it reports. */
  readonly content: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Ends the wait early with outcome `interrupted`. @default - never */
  readonly signal?: AbortSignal;
  /** Told after every poll. @default - silent */
  readonly onPoll?: (status: ItemStatus) => void;
  /** Told about polls that failed and will be retried. @default - silent */
  readonly onNotice?: (message: string) => void;
}

export interface DeploymentWaitResult {
  readonly outcome: WaitOutcome;
  readonly elapsedMs: number;
  /** As last seen; undefined when no poll succeeded. */
  readonly status?: ItemStatus;
  /** Why it failed or what was pending, one line. */
  readonly problem?: string;
}

/**
 * Follow one deployment, by its number, until it is COMPLETE, rolled back or reverted, or
 * the timeout passes. Unlike waitForRollout it needs no content check and no listing: the
 * caller started the deployment and knows its number, so a deployment someone else starts
 * later cannot be mistaken for it. Polls fail and retry as waitForRollout's do.
 */
export async function waitForDeployment(o: DeploymentWaitOptions): Promise<DeploymentWaitResult> {
  const start = o.clock.now();
  const deadline = start + o.timeoutMs;
  const name = itemKey(o.ref);
  let status: ItemStatus | undefined;
  let lastPollError: string | undefined;
  const result = (outcome: WaitOutcome, problem?: string): DeploymentWaitResult => ({ outcome, elapsedMs: o.clock.now() - start, status, problem });
  for (;;) {
    if (o.signal?.aborted) return result('interrupted');
    try {
      const d = await o.plane.deployment(o.ref, o.deploymentNumber);
      // The caller started this deployment of the version it created from `content`.
      status = deploymentStatus(o.ref, o.deploymentNumber, d, o.content, Buffer.from(o.content, 'utf8'));
      lastPollError = undefined;
      o.onPoll?.(status);
    } catch (e) {
      if (isAbortError(e)) return result('interrupted');
      if (!(e instanceof AppConfigError) || !isRetryable(e.kind)) throw e;
      lastPollError = e.message;
      o.onNotice?.(`poll failed; polling again: ${e.message}`);
    }
    if (status) {
      const failure = failureOf(status, o.ref.environment);
      if (failure) return result('failed', failure);
      if (isDone(status)) return result('complete');
    }
    const now = o.clock.now();
    if (now >= deadline) {
      const pending = status ? `${name}: deployment #${o.deploymentNumber} still ${status.state} at ${status.percentage ?? 0}%` : `${name}: deployment #${o.deploymentNumber} not read from AppConfig yet`;
      return result('timeout', lastPollError ? `${pending}; the last poll failed: ${lastPollError}` : pending);
    }
    try {
      await o.clock.sleep(Math.min(o.intervalMs, deadline - now), o.signal);
    } catch (e) {
      if (isAbortError(e)) return result('interrupted');
      throw e;
    }
  }
}
