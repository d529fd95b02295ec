/**
 * Where the rollout of one environment stands: for each profile, its latest deployment's
 * state, percentage and events, and whether it carries the bytes this checkout compiled.
 */
import type { Deployment, DeploymentEvent, DeploymentState } from '@aws-sdk/client-appconfig';
import type { ControlPlane, ProfileRef } from './control-plane';
import { byApplication, fingerprint, sameBytes, type RolloutItem, type RolloutTarget } from './targets';

/** How a deployment state counts for a gate. */
export type Phase = 'complete' | 'in-progress' | 'failed' | 'none';

export function phaseOf(state: DeploymentState | string | undefined): Phase {
  switch (state) {
    case 'COMPLETE':
      return 'complete';
    case 'DEPLOYING':
    case 'BAKING':
    case 'VALIDATING':
      return 'in-progress';
    case 'ROLLING_BACK':
    case 'ROLLED_BACK':
    case 'REVERTED':
      return 'failed';
    case undefined:
      return 'none';
    default:
      // A state newer than this code: not a verdict, so keep waiting and let the timeout decide.
      return 'in-progress';
  }
}

export interface RolloutEvent {
  readonly at?: Date;
  readonly type?: string;
  readonly triggeredBy?: string;
  readonly description?: string;
}

export interface ItemStatus {
  readonly application: string;
  readonly profile: string;
  readonly phase: Phase;
  readonly deploymentNumber?: number;
  readonly state?: string;
  /** 0-100; AppConfig reports 100 while baking. */
  readonly percentage?: number;
  readonly configurationVersion?: string;
  readonly startedAt?: Date;
  readonly completedAt?: Date;
  /** Oldest first. */
  readonly events: readonly RolloutEvent[];
  /** Whether the deployment carries the bytes this checkout compiled; undefined without a deployment. */
  readonly contentMatches?: boolean;
  readonly compiledFingerprint: string;
  readonly deployedFingerprint?: string;
}

export function itemKey(i: { application: string; profile: string }): string {
  return `${i.application}/${i.profile}`;
}

/** Resolve every item's IDs; one lookup per application and environment, cached by the plane. */
export async function resolveItems(plane: ControlPlane, target: RolloutTarget, items: readonly RolloutItem[] = target.items): Promise<Map<string, ProfileRef>> {
  const refs = new Map<string, ProfileRef>();
  for (const item of items) refs.set(itemKey(item), await plane.resolve(item.application, target.environment, item.profile));
  return refs;
}

/** The latest deployment of each item, read fresh from AppConfig. */
export async function inspect(plane: ControlPlane, target: RolloutTarget, refs: ReadonlyMap<string, ProfileRef>, items: readonly RolloutItem[] = target.items): Promise<ItemStatus[]> {
  const out = new Map<string, ItemStatus>();
  for (const appItems of byApplication(items).values()) {
    const appRefs = appItems.map((i) => refs.get(itemKey(i))!);
    const recent = await plane.recentDeployments(appRefs);
    for (const item of appItems) {
      const ref = refs.get(itemKey(item))!;
      const latest = recent.get(ref.profileId)?.[0];
      const compiledFingerprint = fingerprint(item.content);
      if (latest?.DeploymentNumber === undefined) {
        out.set(itemKey(item), { application: item.application, profile: item.profile, phase: 'none', events: [], compiledFingerprint });
        continue;
      }
      const d = await plane.deployment(ref, latest.DeploymentNumber);
      const deployed = await plane.hostedContent(ref, d.ConfigurationVersion, latest.DeploymentNumber);
      out.set(itemKey(item), deploymentStatus(item, latest.DeploymentNumber, d, item.content, deployed));
    }
  }
  return items.map((i) => out.get(itemKey(i))!);
}

/** The status of one deployment of an item, given the bytes it carries and the bytes compiled. */
export function deploymentStatus(
  item: { readonly application: string; readonly profile: string },
  deploymentNumber: number,
  d: Deployment,
  compiled: string,
  deployed: Uint8Array,
): ItemStatus {
  return {
    application: item.application,
    profile: item.profile,
    phase: phaseOf(d.State),
    deploymentNumber,
    state: d.State,
    percentage: d.PercentageComplete,
    configurationVersion: d.ConfigurationVersion,
    startedAt: d.StartedAt,
    completedAt: d.CompletedAt,
    events: eventsOldestFirst(d.EventLog),
    contentMatches: sameBytes(deployed, compiled),
    compiledFingerprint: fingerprint(compiled),
    deployedFingerprint: fingerprint(deployed),
  };
}

/** AppConfig lists events newest first; logs read oldest first. */
function eventsOldestFirst(log: readonly DeploymentEvent[] | undefined): RolloutEvent[] {
  const events = (log ?? []).map((e) => ({ at: e.OccurredAt, type: e.EventType, triggeredBy: e.TriggeredBy, description: e.Description }));
  return events.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0));
}

/** Why a rollback or revert happened, from the event that started it. */
export function cause(s: ItemStatus): string {
  // The start of a rollback names what triggered it (an alarm, a user); the completion does not.
  const newestFirst = [...s.events].reverse();
  const trigger = newestFirst.find((e) => e.type === 'ROLLBACK_STARTED') ?? newestFirst.find((e) => e.type === 'REVERT_COMPLETED' || e.type === 'ROLLBACK_COMPLETED');
  if (!trigger) return '';
  return ` (${trigger.type} by ${trigger.triggeredBy ?? 'unknown'}${trigger.description ? `: ${trigger.description}` : ''})`;
}

/** Why an item stops a gate, or undefined while it may still pass. */
export function failureOf(s: ItemStatus, environment: string): string | undefined {
  const name = itemKey(s);
  if (s.phase === 'none') return `${name}: never deployed to ${environment}; deploy its stage first`;
  if (s.contentMatches === false) {
    const mismatch = `${name}: the latest deployment #${s.deploymentNumber} (${s.state}) carries version ${s.configurationVersion} (sha256 ${s.deployedFingerprint}), not the content this run compiled (sha256 ${s.compiledFingerprint})`;
    if (s.phase !== 'complete') return `${mismatch}; deploy the stage from this commit, and run 'dynconf drift --env ${environment}' to see the difference`;
    // The gate runs after CloudFormation deployed this commit's stack, so a COMPLETE
    // deployment of other bytes means CloudFormation started none for this profile: its
    // template already held these bytes. AppConfig is ahead of the stack, and stays so.
    return (
      `${mismatch}; AppConfig serves bytes this stack's template does not hold: a deployment that COMPLETED in a run whose stage then failed and rolled back, or one made by hand. ` +
      `CloudFormation deploys a profile only when its bytes change in the template, so the next run will not fix it: deploy by hand the hosted version whose description contains 'sha256 ${s.compiledFingerprint}' ` +
      `(aws appconfig list-hosted-configuration-versions, then start-deployment with the environment's strategy), or change the profile in a new commit; 'dynconf drift --env ${environment}' shows what differs`
    );
  }
  if (s.state === 'ROLLING_BACK') return `${name}: deployment #${s.deploymentNumber} is rolling back${cause(s)}`;
  if (s.state === 'ROLLED_BACK') return `${name}: deployment #${s.deploymentNumber} was rolled back${cause(s)}`;
  if (s.state === 'REVERTED') return `${name}: deployment #${s.deploymentNumber} was reverted${cause(s)}`;
  return undefined;
}

export function isDone(s: ItemStatus): boolean {
  return s.phase === 'complete' && s.contentMatches === true;
}
