/**
 * The emergency lane's AppConfig side, and what keeps it honest afterwards.
 *
 * deployEmergency: the documents an emergency commit changed (an off-switch, a lowered
 * limit) go to every environment they change, straight through the AppConfig API with
 * the workload's emergency strategy, instead of through CloudFormation and the waves.
 * Environments go in parallel; inside one, each application's AppConfig environment takes
 * one deployment at a time (AppConfig refuses a second with 409), so its profiles go one
 * after the other, flags before ops, as the stacks queue them. Every deployment carries the
 * description `dynconf emergency <commit>`, which `drift` and the main pipeline read.
 *
 * The emergency check judged the change against the base ref. That judgement holds for
 * an environment only if AppConfig serves there what the base compiles, so each
 * environment is checked against what is deployed first, and refused as a whole when it
 * differs: nothing of it is deployed.
 *
 * emergencyGuard: the main pipeline runs it before deploying an environment. A commit
 * that does not contain the emergency commit, and whose document would take back what
 * the emergency deployment set, is stopped with a message that says to merge it first.
 */
import { createHash } from 'node:crypto';
import type { AppConfigClient, DeploymentSummary } from '@aws-sdk/client-appconfig';
import { deploymentStrategyName } from '../appconfig/names';
import { findDocument, type Model } from '../model';
import { systemClock, type Clock } from './clock';
import { ControlPlane, type ProfileRef } from './control-plane';
import type { IdDirectory } from './ids';
import { differences } from './drift';
import { AppConfigError } from './errors';
import type { RetryOptions } from './retry';
import { itemKey, phaseOf } from './status';
import { byApplication, fingerprint, sameBytes, type RolloutTarget } from './targets';
import { waitForDeployment } from './wait';

/** The start of every emergency deployment's description; the commit follows. */
export const EMERGENCY_MARKER = 'dynconf emergency';

/** Commit ids as git writes them: SHA-1 (40 hex) or SHA-256 (64 hex). */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MARKED = /^dynconf emergency ([0-9a-f]{40}|[0-9a-f]{64})(?:[\s:]|$)/;

/** The content type dynconf hosts every profile with (ConfigDocument.contentType). */
const CONTENT_TYPE = 'application/json';

/** Minutes allowed beyond the strategy's duration and bake: AppConfig starting it, polling, retries. */
export const EMERGENCY_WAIT_MARGIN_MINUTES = 10;
export const DEFAULT_EMERGENCY_INTERVAL_MS = 10_000;

export function emergencyDescription(commit: string): string {
  return `${EMERGENCY_MARKER} ${commit}`;
}

/** The commit of an emergency deployment, from its description; undefined for any other. */
export function emergencyCommitOf(description: string | undefined): string | undefined {
  return description === undefined ? undefined : MARKED.exec(description)?.[1];
}

/** A usage or input mistake: nothing was called. */
export class EmergencyError extends Error {
  override readonly name = 'EmergencyError';
}

/** One document the emergency commit changed: EmergencyReport.changedDocuments. */
export interface EmergencyDocumentRef {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
}

export interface DeployEmergencyOptions {
  /** The model of the emergency commit. */
  readonly head: Model;
  /** The model of the base ref the emergency check compared against. */
  readonly base: Model;
  /** For messages, e.g. `origin/main`. @default 'the base' */
  readonly baseLabel?: string;
  /** The documents whose bytes differ, as emergencyChanges() lists them; the caller has run the check. */
  readonly changed: readonly EmergencyDocumentRef[];
  /** The full commit id of the emergency commit. */
  readonly commit: string;
  /** The strategy's key in workload.json `strategies` (workload.json `emergency.strategy`). */
  readonly strategy: string;
  /** A client for one environment (its account's role, its region); deployEmergency destroys it when done. */
  readonly client: (where: { environment: string; account: string; region: string }) => AppConfigClient;
  /**
   * Where the environment's AppConfig IDs come from (ssmIdDirectory for a role without `*`).
   * @default - listed through the AppConfig API
   */
  readonly ids?: (where: { environment: string; account: string; region: string }) => IdDirectory;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default RetryOptions defaults */
  readonly retry?: RetryOptions;
  /** Aborts calls and waits; deployments already started go on in AppConfig. @default - never */
  readonly signal?: AbortSignal;
  /** Between two polls of a deployment. @default 10 s */
  readonly intervalMs?: number;
  /** How long one deployment may take. @default the strategy's duration + final bake + 10 min */
  readonly timeoutMs?: number;
  /** Progress lines, by environment. @default - silent */
  readonly onEvent?: (environment: string, message: string) => void;
}

export type EmergencyItemOutcome = 'complete' | 'already-deployed' | 'failed' | 'timeout' | 'interrupted' | 'not-started' | 'refused' | 'error';

export interface EmergencyItemResult {
  readonly application: string;
  readonly profile: string;
  readonly outcome: EmergencyItemOutcome;
  readonly deploymentNumber?: number;
  readonly configurationVersion?: number;
  readonly message: string;
}

export interface EmergencyEnvironmentResult {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** complete: every changed profile serves the emergency bytes; refused: nothing was deployed. */
  readonly outcome: 'complete' | 'failed' | 'refused';
  readonly items: readonly EmergencyItemResult[];
  /** One line per item that did not complete, or why the environment was refused. */
  readonly problems: readonly string[];
  readonly elapsedMs: number;
}

export interface EmergencyDeployResult {
  readonly commit: string;
  readonly strategy: string;
  /** In pipeline order. */
  readonly environments: readonly EmergencyEnvironmentResult[];
  /** Every environment complete. */
  readonly ok: boolean;
}

interface Doc {
  readonly application: string;
  readonly profile: string;
  readonly head: string;
  readonly base: string;
}

export async function deployEmergency(o: DeployEmergencyOptions): Promise<EmergencyDeployResult> {
  if (!COMMIT.test(o.commit)) throw new EmergencyError(`commit '${o.commit}' is not a full commit id (40 or 64 lowercase hex digits); pass what 'git rev-parse HEAD' prints`);
  const strategy = o.head.workload.strategies[o.strategy];
  if (!strategy) {
    throw new EmergencyError(`emergency strategy '${o.strategy}' is not in config/workload.json strategies (${Object.keys(o.head.workload.strategies).join(', ')}); fix workload.json emergency.strategy`);
  }
  const byEnv = documentsByEnvironment(o);
  const clock = o.clock ?? systemClock;
  const timeoutMs = o.timeoutMs ?? (strategy.deploymentDurationMinutes + strategy.finalBakeTimeMinutes + EMERGENCY_WAIT_MARGIN_MINUTES) * 60_000;
  const environments = await Promise.all(
    [...byEnv].map(([environment, docs]) => deployEnvironment(o, environment, docs, { clock, timeoutMs, strategyName: deploymentStrategyName(o.head.workload.workload, o.strategy) })),
  );
  return { commit: o.commit, strategy: o.strategy, environments, ok: environments.every((e) => e.outcome === 'complete') };
}

/** Changed documents by environment in pipeline order, each environment's in deployment order. */
function documentsByEnvironment(o: DeployEmergencyOptions): Map<string, Doc[]> {
  const wanted = new Set(o.changed.map((c) => `${c.environment}\0${c.application}\0${c.profile}`));
  const out = new Map<string, Doc[]>();
  const label = o.baseLabel ?? 'the base';
  for (const c of o.changed) {
    const env = o.head.workload.environments[c.environment];
    if (!env) throw new EmergencyError(`the report names environment '${c.environment}', which config/workload.json does not define`);
    const before = o.base.workload.environments[c.environment];
    if (!before || before.account !== env.account || before.region !== env.region) {
      throw new EmergencyError(`${c.environment} is new or moved (account or region) since ${label}: that is not an emergency change; ship it through the pipeline`);
    }
  }
  for (const environment of o.head.environments) {
    const docs: Doc[] = [];
    for (const app of o.head.applications) {
      for (const profile of app.profiles) {
        if (!wanted.has(`${environment}\0${app.name}\0${profile}`)) continue;
        const head = findDocument(o.head, environment, app.name, profile);
        const base = findDocument(o.base, environment, app.name, profile);
        if (!head || !base) {
          throw new EmergencyError(`${environment} ${app.name}/${profile} is ${head ? 'new since' : 'gone from'} ${label}: adding or removing a profile is not an emergency change; ship it through the pipeline`);
        }
        if (head.content === base.content) throw new EmergencyError(`${environment} ${app.name}/${profile} is listed as changed, but it compiles to the same bytes as ${label}; rerun the emergency check`);
        docs.push({ application: app.name, profile, head: head.content, base: base.content });
        wanted.delete(`${environment}\0${app.name}\0${profile}`);
      }
    }
    if (docs.length) out.set(environment, docs);
  }
  const unknown = [...wanted][0];
  if (unknown) {
    const [environment, application, profile] = unknown.split('\0');
    throw new EmergencyError(`the report names ${environment} ${application}/${profile}, which the model does not have; rerun the emergency check`);
  }
  return out;
}

interface EnvironmentContext {
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The AppConfig name of the strategy. */
  readonly strategyName: string;
}

async function deployEnvironment(o: DeployEmergencyOptions, environment: string, docs: readonly Doc[], ctx: EnvironmentContext): Promise<EmergencyEnvironmentResult> {
  const { account, region } = o.head.workload.environments[environment]!;
  const start = ctx.clock.now();
  const say = (m: string) => o.onEvent?.(environment, m);
  const done = (outcome: EmergencyEnvironmentResult['outcome'], items: EmergencyItemResult[], problems: string[]): EmergencyEnvironmentResult => ({
    environment,
    account,
    region,
    outcome,
    items,
    problems,
    elapsedMs: ctx.clock.now() - start,
  });
  const client = o.client({ environment, account, region });
  try {
    const plane = new ControlPlane({ client, account, region, clock: ctx.clock, retry: o.retry, signal: o.signal, onRetry: say, ids: o.ids?.({ environment, account, region }) });
    let plan: Planned[];
    let strategyId: string;
    try {
      strategyId = await plane.strategyId(o.strategy, ctx.strategyName);
      plan = await preflight(plane, environment, docs, o.baseLabel ?? 'the base');
    } catch (e) {
      if (!(e instanceof AppConfigError)) throw e;
      const items = docs.map((d) => ({ application: d.application, profile: d.profile, outcome: 'error' as const, message: e.message }));
      return done('refused', items, [`${environment}: nothing deployed: ${e.message}`]);
    }
    const refusals = plan.filter((p) => p.refusal !== undefined);
    if (refusals.length) {
      const items = plan.map((p) => ({
        application: p.doc.application,
        profile: p.doc.profile,
        outcome: 'refused' as const,
        message: p.refusal ?? `not deployed: ${environment} was refused as a whole`,
      }));
      return done('refused', items, [`${environment}: refused against what is deployed; nothing deployed there`, ...refusals.map((p) => p.refusal!)]);
    }
    const apps = [...byApplication(plan.map((p) => ({ ...p, application: p.doc.application })))].map(([, planned]) => deployApplication(o, plane, environment, strategyId, planned, ctx));
    const items = (await Promise.all(apps)).flat();
    // Report in the order the changed documents were given (deployment order).
    const order = new Map(docs.map((d, n) => [itemKey(d), n]));
    items.sort((a, b) => order.get(itemKey(a))! - order.get(itemKey(b))!);
    const problems = items.filter((i) => i.outcome !== 'complete' && i.outcome !== 'already-deployed').map((i) => i.message);
    return done(problems.length ? 'failed' : 'complete', items, problems);
  } finally {
    client.destroy();
  }
}

interface Planned {
  readonly doc: Doc;
  readonly ref: ProfileRef;
  /** AppConfig already serves the emergency bytes (a rerun of the lane). */
  readonly already?: { deploymentNumber: number };
  /** Why this environment must not be deployed. */
  readonly refusal?: string;
}

/**
 * For each changed profile: what AppConfig serves (the version of its newest COMPLETE
 * deployment) must be what the base compiles, or already what the emergency commit
 * compiles. And no deployment may be in flight in the application's environment: AppConfig
 * would refuse the next one, and it may be a pipeline rollout this lane would race.
 */
async function preflight(plane: ControlPlane, environment: string, docs: readonly Doc[], baseLabel: string): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const [application, appDocs] of byApplication(docs)) {
    const refs = new Map<string, ProfileRef>();
    for (const d of appDocs) refs.set(d.profile, await plane.resolve(application, environment, d.profile));
    const first = refs.values().next().value!;
    const newest = await plane.newestInEnvironment(first);
    const busy = newest && phaseOf(newest.State) === 'in-progress' ? await inFlight(plane, first, newest) : undefined;
    const recent = await plane.recentDeployments([...refs.values()], (d) => d.State === 'COMPLETE');
    for (const doc of appDocs) {
      const ref = refs.get(doc.profile)!;
      const name = `${environment} ${itemKey(doc)}`;
      if (busy) {
        out.push({ doc, ref, refusal: `${name}: ${busy}` });
        continue;
      }
      const live = recent.get(ref.profileId)?.find((d) => d.State === 'COMPLETE');
      if (live?.DeploymentNumber === undefined) {
        out.push({ doc, ref, refusal: `${name}: never deployed there; an emergency change only changes what is deployed; ship it through the pipeline` });
        continue;
      }
      const deployed = await plane.hostedContent(ref, live.ConfigurationVersion, live.DeploymentNumber);
      if (sameBytes(deployed, doc.head)) {
        out.push({ doc, ref, already: { deploymentNumber: live.DeploymentNumber } });
      } else if (!sameBytes(deployed, doc.base)) {
        const diff = differences(doc.base, Buffer.from(deployed).toString('utf8'));
        const shown = diff.slice(0, 5).map((d) => `${d.path}: ${d.detail}`);
        if (diff.length > shown.length) shown.push(`and ${diff.length - shown.length} more`);
        out.push({
          doc,
          ref,
          refusal:
            `${name}: AppConfig serves deployment #${live.DeploymentNumber} (version ${live.ConfigurationVersion}, sha256 ${fingerprint(deployed)}), ` +
            `not what ${baseLabel} compiles (sha256 ${fingerprint(doc.base)}) [${baseLabel} -> AppConfig: ${shown.join('; ')}]. ` +
            `The emergency check judged the change against ${baseLabel}, not against what is deployed: someone changed AppConfig since, or ${baseLabel} has not reached ${environment}. ` +
            `Run 'dynconf drift --env ${environment}', then base the emergency branch on the commit deployed there`,
        });
      } else {
        out.push({ doc, ref });
      }
    }
  }
  return out;
}

/** Why a deployment in flight blocks the lane, naming it. */
async function inFlight(plane: ControlPlane, ref: ProfileRef, newest: DeploymentSummary): Promise<string> {
  const n = newest.DeploymentNumber ?? 0;
  const d = await plane.deployment(ref, n);
  const by = emergencyCommitOf(d.Description);
  const what = by ? `an emergency deployment of ${by}` : `'${d.Description ?? ''}'`;
  return (
    `deployment #${n} (${what}) is ${newest.State} at ${newest.PercentageComplete ?? 0}% in this AppConfig environment, and AppConfig runs one at a time; ` +
    `wait for it ('dynconf rollout wait --env ${ref.environment}') or stop it ('dynconf rollout stop --env ${ref.environment}'), then run the lane again`
  );
}

/** One application's changed profiles, one deployment at a time; the first failure stops the rest. */
async function deployApplication(o: DeployEmergencyOptions, plane: ControlPlane, environment: string, strategyId: string, plan: readonly Planned[], ctx: EnvironmentContext): Promise<EmergencyItemResult[]> {
  const out: EmergencyItemResult[] = [];
  const say = (m: string) => o.onEvent?.(environment, m);
  let stopped: string | undefined;
  for (const p of plan) {
    const base = { application: p.doc.application, profile: p.doc.profile };
    const name = `${environment} ${itemKey(p.doc)}`;
    if (stopped) {
      out.push({ ...base, outcome: 'not-started', message: `${name}: not started, because ${stopped} did not complete` });
      continue;
    }
    if (p.already) {
      const message = `${name}: already serves the emergency bytes (deployment #${p.already.deploymentNumber}); nothing to do`;
      say(message);
      out.push({ ...base, outcome: 'already-deployed', deploymentNumber: p.already.deploymentNumber, message });
      continue;
    }
    let version: number | undefined;
    let number: number | undefined;
    try {
      // As the stacks describe hosted versions (lib/appconfig/application-environment.ts).
      const digest = createHash('sha256').update(p.doc.head, 'utf8').digest('hex').slice(0, 16);
      version = await plane.createHostedVersion(p.ref, p.doc.head, CONTENT_TYPE, `${emergencyDescription(o.commit)}: ${itemKey(p.doc)} for ${environment}, sha256 ${digest}`);
      number = await start(plane, p.ref, strategyId, version, emergencyDescription(o.commit));
      say(`${itemKey(p.doc)}: deployment #${number} of version ${version} started (strategy ${ctx.strategyName})`);
      const waited = await waitForDeployment({
        plane,
        ref: p.ref,
        deploymentNumber: number,
        content: p.doc.head,
        clock: ctx.clock,
        timeoutMs: ctx.timeoutMs,
        intervalMs: o.intervalMs ?? DEFAULT_EMERGENCY_INTERVAL_MS,
        signal: o.signal,
        onNotice: say,
      });
      const known = { ...base, deploymentNumber: number, configurationVersion: version };
      if (waited.outcome === 'complete') {
        const message = `${name}: deployment #${number} COMPLETE (${Math.round(waited.elapsedMs / 60_000)} min)`;
        say(message);
        out.push({ ...known, outcome: 'complete', message });
        continue;
      }
      const message =
        waited.outcome === 'failed'
          ? `${environment} ${waited.problem}`
          : waited.outcome === 'timeout'
            ? `${environment} timed out after ${Math.round(ctx.timeoutMs / 60_000)} min: ${waited.problem}; it goes on in AppConfig: 'dynconf rollout status --env ${environment}'`
            : `${name}: interrupted; deployment #${number} goes on in AppConfig: 'dynconf rollout status --env ${environment}'`;
      out.push({ ...known, outcome: waited.outcome, message });
      stopped = itemKey(p.doc);
    } catch (e) {
      if (!(e instanceof AppConfigError)) throw e;
      const at = number !== undefined ? ` (deployment #${number})` : version !== undefined ? ` (version ${version} created, not deployed)` : '';
      out.push({ ...base, outcome: 'error', deploymentNumber: number, configurationVersion: version, message: `${name}${at}: ${e.message}` });
      stopped = itemKey(p.doc);
    }
  }
  return out;
}

/**
 * StartDeployment. A server fault may come after AppConfig started the deployment, and the
 * retry then meets it as a conflict: a deployment in flight that carries the version just
 * created is that one (no one else knows the version yet).
 */
async function start(plane: ControlPlane, ref: ProfileRef, strategyId: string, version: number, description: string): Promise<number> {
  try {
    return await plane.startDeployment(ref, strategyId, version, description);
  } catch (e) {
    if (!(e instanceof AppConfigError) || e.kind !== 'conflict') throw e;
    const newest = await plane.newestInEnvironment(ref);
    if (newest?.DeploymentNumber !== undefined && newest.ConfigurationProfileId === ref.profileId && newest.ConfigurationVersion === String(version)) return newest.DeploymentNumber;
    throw new AppConfigError(
      'conflict',
      `${e.message}; another deployment (#${newest?.DeploymentNumber ?? '?'}, ${newest?.State ?? 'unknown'}) started in ${ref.environment} after the check; wait for it or stop it, then run the lane again`,
      { cause: e },
    );
  }
}

// ---------------------------------------------------------------------------------------
// The main pipeline's guard

export interface GuardOptions {
  readonly plane: ControlPlane;
  /** What the pipeline is about to deploy to the environment (rolloutTarget of its model). */
  readonly target: RolloutTarget;
  /** The commit being deployed. */
  readonly commit: string;
  /** Whether `ancestor` is an ancestor of (or equal to) `commit`; undefined when git cannot tell. */
  readonly isAncestor: (ancestor: string, commit: string) => boolean | undefined;
}

/**
 * same-content: the commit deploys the emergency bytes; merged: the emergency commit is in
 * its history, so what it changes was decided after the merge; kept: not in its history
 * (a squash or rebase merge), but every value the emergency deployment set is unchanged;
 * undoes / unknown: blocked.
 */
export type GuardVerdict = 'same-content' | 'merged' | 'kept' | 'undoes' | 'unknown';

export interface GuardFinding {
  readonly application: string;
  readonly profile: string;
  readonly deploymentNumber: number;
  readonly state: string;
  readonly emergencyCommit: string;
  readonly verdict: GuardVerdict;
  readonly message: string;
}

export interface GuardReport {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly commit: string;
  /** One per emergency deployment live or in flight; none when there is none. */
  readonly findings: readonly GuardFinding[];
  readonly blocked: number;
}

export async function emergencyGuard(o: GuardOptions): Promise<GuardReport> {
  const { plane, target } = o;
  const findings: GuardFinding[] = [];
  for (const [application, items] of byApplication(target.items)) {
    const resolved: { item: (typeof items)[number]; ref: ProfileRef }[] = [];
    for (const item of items) {
      try {
        resolved.push({ item, ref: await plane.resolve(application, target.environment, item.profile) });
      } catch (e) {
        // Not created yet: this deployment creates it, and no emergency deployment can be on it.
        if (!(e instanceof AppConfigError) || e.kind !== 'not-found') throw e;
      }
    }
    if (!resolved.length) continue;
    const recent = await plane.recentDeployments(
      resolved.map((r) => r.ref),
      (d) => d.State === 'COMPLETE',
    );
    for (const { item, ref } of resolved) {
      // The live version and anything in flight after it; rolled-back ones serve nothing.
      for (const d of (recent.get(ref.profileId) ?? []).filter((x) => phaseOf(x.State) !== 'failed')) {
        const n = d.DeploymentNumber!;
        const emergencyCommit = emergencyCommitOf((await plane.deployment(ref, n)).Description);
        if (!emergencyCommit) continue;
        findings.push(await judge(o, ref, item.content, d, emergencyCommit));
      }
    }
  }
  return { environment: target.environment, account: target.account, region: target.region, commit: o.commit, findings, blocked: findings.filter((f) => f.verdict === 'undoes' || f.verdict === 'unknown').length };
}

async function judge(o: GuardOptions, ref: ProfileRef, content: string, d: DeploymentSummary, emergencyCommit: string): Promise<GuardFinding> {
  const n = d.DeploymentNumber!;
  const env = o.target.environment;
  const finding = (verdict: GuardVerdict, message: string): GuardFinding => ({
    application: ref.application,
    profile: ref.profile,
    deploymentNumber: n,
    state: d.State ?? 'UNKNOWN',
    emergencyCommit,
    verdict,
    message: `${env} ${itemKey(ref)}: ${message}`,
  });
  const emergency = await o.plane.hostedContent(ref, d.ConfigurationVersion, n);
  if (sameBytes(emergency, content)) return finding('same-content', `deploys the same bytes as emergency deployment #${n} of ${emergencyCommit}: nothing changes for users`);
  const ancestor = o.isAncestor(emergencyCommit, o.commit);
  if (ancestor === true) return finding('merged', `emergency commit ${emergencyCommit} (deployment #${n}) is merged into ${o.commit}; this commit changes the profile after it`);

  // Not in the history: a squash or rebase merge keeps the values under another commit id.
  const before = await previousComplete(o.plane, ref, n);
  const undone: string[] = [];
  if (before !== undefined) {
    const was = parse(Buffer.from(before).toString('utf8'));
    const set = parse(Buffer.from(emergency).toString('utf8'));
    const now = parse(content);
    if (was !== INVALID && set !== INVALID && now !== INVALID) {
      for (const path of changedPaths(was, set, [])) {
        const e = at(set, path);
        const c = at(now, path);
        if (JSON.stringify(e) !== JSON.stringify(c)) undone.push(`${path.join('.')}: emergency ${show(e)}, this commit ${show(c)}`);
      }
      if (undone.length === 0) return finding('kept', `emergency commit ${emergencyCommit} is not in the history of ${o.commit}, but every value it set is kept (a squash or rebase merge)`);
    }
  }
  const detail = before === undefined ? 'the version before it is not readable, so the values it set are unknown' : `it would undo ${undone.join('; ')}`;
  const head = `emergency change ${emergencyCommit} in ${env} is not merged into main; merge it first`;
  if (ancestor === undefined) {
    // The main pipeline's source is a zip without history, so this is where a merged
    // emergency change lands when main also changed one of its values before the merge was
    // deployed: blocking is the safe side; the message says how to get past it.
    return finding(
      'unknown',
      `${head} (git cannot tell whether ${emergencyCommit} is an ancestor of ${o.commit}: no history here (a zip source or a shallow clone); ${detail}). ` +
        'If it is merged, release the merge commit through the pipeline first, or keep the emergency values in this commit',
    );
  }
  return finding('undoes', `${head} (deployment #${n}; ${o.commit} does not contain it, and ${detail})`);
}

/** The bytes of the newest COMPLETE deployment of the profile before deployment `n`. */
async function previousComplete(plane: ControlPlane, ref: ProfileRef, n: number): Promise<Uint8Array | undefined> {
  const seen = (await plane.recentDeployments([ref], (d) => d.State === 'COMPLETE' && (d.DeploymentNumber ?? 0) < n)).get(ref.profileId) ?? [];
  const prev = seen.find((d) => d.State === 'COMPLETE' && (d.DeploymentNumber ?? 0) < n);
  if (prev?.DeploymentNumber === undefined) return undefined;
  try {
    return await plane.hostedContent(ref, prev.ConfigurationVersion, prev.DeploymentNumber);
  } catch (e) {
    if (e instanceof AppConfigError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const INVALID = Symbol('invalid');

function parse(text: string): Json | typeof INVALID {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return INVALID;
  }
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** The paths where `a` and `b` differ, down to leaves; arrays compare whole. */
function changedPaths(a: Json | undefined, b: Json | undefined, path: string[]): string[][] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, [...path, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

function at(doc: Json, path: readonly string[]): Json | undefined {
  let v: Json | undefined = doc;
  for (const k of path) v = isObject(v) && Object.hasOwn(v, k) ? v[k] : undefined;
  return v;
}

function show(v: Json | undefined): string {
  return v === undefined ? 'absent' : JSON.stringify(v);
}
