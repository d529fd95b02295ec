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
import { failureOf, inspect, isDone, itemKey, resolveItems, type ItemStatus } from './status';
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
}

export async function waitForRollout(o: WaitOptions): Promise<WaitResult> {
  const start = o.clock.now();
  const deadline = start + o.timeoutMs;
  const latest = new Map<string, ItemStatus>();
  let refs: Map<string, ProfileRef> | undefined;
  const result = (outcome: WaitOutcome, problems: string[]): WaitResult => ({
    outcome,
    elapsedMs: o.clock.now() - start,
    items: o.target.items.map((i) => latest.get(itemKey(i))).filter((s): s is ItemStatus => s !== undefined),
    problems,
  });

  let lastPollError: string | undefined;
  for (;;) {
    if (o.signal?.aborted) return result('interrupted', []);
    try {
      refs ??= await resolveItems(o.plane, o.target);
      // A COMPLETE deployment with the right bytes stays the latest: no need to ask again.
      const pending = o.target.items.filter((i) => !isDoneKey(latest, itemKey(i)));
      for (const s of await inspect(o.plane, o.target, refs, pending)) latest.set(itemKey(s), s);
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
  return target.items
    .filter((i) => !isDoneKey(latest, itemKey(i)))
    .map((i) => {
      const s = latest.get(itemKey(i));
      return s ? `${itemKey(i)}: deployment #${s.deploymentNumber} still ${s.state} at ${s.percentage ?? 0}%` : `${itemKey(i)}: not read from AppConfig yet`;
    });
}
