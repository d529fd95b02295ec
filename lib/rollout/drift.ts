/**
 * Drift: does what AppConfig serves equal what this checkout compiles? For each profile,
 * the live version is the one of its newest COMPLETE deployment (a rolled-back or reverted
 * deployment left the version before it live; one in progress is not live everywhere yet).
 * Its bytes are compared with the compiled bytes; when they differ, the JSON leaves that
 * differ are listed, so a console edit reads as "values.new-checkout.enabled false -> true".
 *
 * A live version that differs and was deployed by the emergency lane (its deployment's
 * description starts `dynconf emergency <commit>`) is reported as that emergency
 * deployment, not as unexplained drift: still a difference, until the commit reaches the
 * checkout. Once it has, the bytes are equal and the profile is in sync, whichever
 * deployment (the lane's, or the main pipeline's redeployment of the same bytes) serves them.
 */
import { diffLeaves } from '../model';
import type { ControlPlane } from './control-plane';
import { emergencyCommitOf } from './emergency';
import { AppConfigError } from './errors';
import { itemKey } from './status';
import { byApplication, fingerprint, sameBytes, type RolloutTarget } from './targets';

export type DriftStatus = 'in-sync' | 'drifted' | 'emergency' | 'not-deployed' | 'missing';

export interface Difference {
  /** A dotted JSON path, `(document)` for the whole. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Compiled -> deployed, e.g. `false -> true`: what changed outside the repo. */
  readonly detail: string;
}

export interface DriftItem {
  readonly application: string;
  readonly profile: string;
  readonly status: DriftStatus;
  readonly deploymentNumber?: number;
  readonly configurationVersion?: string;
  /** A deployment newer than the live one that is not COMPLETE, e.g. in progress or rolled back. */
  readonly newer?: { readonly deploymentNumber: number; readonly state: string };
  readonly differences: readonly Difference[];
  readonly compiledFingerprint: string;
  readonly deployedFingerprint?: string;
  /** Why a profile is missing or not deployed. */
  readonly reason?: string;
  /** With status `emergency`: the commit the emergency lane deployed, and whether this checkout contains it. */
  readonly emergency?: { readonly commit: string; readonly merged?: boolean };
}

export interface DriftReport {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly items: readonly DriftItem[];
  /** Profiles not in sync, emergency deployments included. */
  readonly drifted: number;
  /** Of those, the ones an emergency deployment explains. */
  readonly emergency: number;
}

export interface DriftOptions {
  /**
   * Whether this checkout contains `commit` (git merge-base --is-ancestor); undefined
   * when it cannot tell. Used to word an emergency deployment's entry.
   * @default - not asked
   */
  readonly isMerged?: (commit: string) => boolean | undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export async function detectDrift(plane: ControlPlane, target: RolloutTarget, options: DriftOptions = {}): Promise<DriftReport> {
  const items: DriftItem[] = [];
  for (const [application, appItems] of byApplication(target.items)) {
    const resolved = [];
    for (const item of appItems) {
      const compiledFingerprint = fingerprint(item.content);
      try {
        resolved.push({ item, ref: await plane.resolve(application, target.environment, item.profile), compiledFingerprint });
      } catch (e) {
        if (!(e instanceof AppConfigError) || e.kind !== 'not-found') throw e;
        items.push({ application, profile: item.profile, status: 'missing', differences: [], compiledFingerprint, reason: e.message });
      }
    }
    if (resolved.length === 0) continue;
    const recent = await plane.recentDeployments(
      resolved.map((r) => r.ref),
      (d) => d.State === 'COMPLETE',
    );
    for (const { item, ref, compiledFingerprint } of resolved) {
      const seen = recent.get(ref.profileId) ?? [];
      const live = seen.find((d) => d.State === 'COMPLETE');
      const head = seen[0];
      const newer = head && head !== live && head.DeploymentNumber !== undefined ? { deploymentNumber: head.DeploymentNumber, state: head.State ?? 'UNKNOWN' } : undefined;
      if (live?.DeploymentNumber === undefined) {
        items.push({ application, profile: item.profile, status: 'not-deployed', newer, differences: [], compiledFingerprint, reason: `no COMPLETE deployment in ${target.environment}` });
        continue;
      }
      const deployed = await plane.hostedContent(ref, live.ConfigurationVersion, live.DeploymentNumber);
      const same = sameBytes(deployed, item.content);
      // Only a difference needs explaining: ListDeployments does not carry the description.
      const commit = same ? undefined : emergencyCommitOf((await plane.deployment(ref, live.DeploymentNumber)).Description);
      items.push({
        application,
        profile: item.profile,
        status: same ? 'in-sync' : commit ? 'emergency' : 'drifted',
        ...(commit ? { emergency: { commit, merged: options.isMerged?.(commit) } } : {}),
        deploymentNumber: live.DeploymentNumber,
        configurationVersion: live.ConfigurationVersion,
        newer,
        differences: same ? [] : differences(item.content, Buffer.from(deployed).toString('utf8')),
        compiledFingerprint,
        deployedFingerprint: fingerprint(deployed),
      });
    }
  }
  // Report in target order, whatever order the lookups finished in.
  const order = new Map(target.items.map((i, n) => [itemKey(i), n]));
  items.sort((a, b) => order.get(itemKey(a))! - order.get(itemKey(b))!);
  return {
    environment: target.environment,
    account: target.account,
    region: target.region,
    items,
    drifted: items.filter((i) => i.status !== 'in-sync').length,
    emergency: items.filter((i) => i.status === 'emergency').length,
  };
}

/** What differs between the compiled and the deployed text, leaf by leaf when both are JSON. */
export function differences(compiled: string, deployed: string): Difference[] {
  let c: Json;
  let d: Json;
  try {
    c = JSON.parse(compiled) as Json;
  } catch {
    return [{ path: '(document)', kind: 'changed', detail: 'the compiled document is not JSON' }];
  }
  try {
    d = JSON.parse(deployed) as Json;
  } catch (e) {
    return [{ path: '(document)', kind: 'changed', detail: `the deployed content is not JSON (${(e as Error).message})` }];
  }
  const leaves = diffLeaves(c, d, '').map((l) => ({ path: l.subject, kind: l.kind, detail: l.detail }));
  // Same data, other bytes: someone deployed a copy written by another tool (key order, spacing).
  return leaves.length ? leaves : [{ path: '(document)', kind: 'changed', detail: 'same JSON, different bytes (formatting or key order)' }];
}
