/**
 * What a rollout command looks at: one environment, where it lives, and the compiled
 * bytes of every profile of every application (or the ones --app and --profile pick).
 */
import { createHash } from 'node:crypto';
import { didYouMean, findDocument, PROFILE_TYPES, type Model, type ProfileName } from '../model';

export interface RolloutItem {
  readonly application: string;
  readonly profile: ProfileName;
  /** The exact bytes this checkout compiled for the profile. */
  readonly content: string;
}

export interface RolloutTarget {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** In pipeline-stable order: applications as in workload.json, profiles as each app lists them. */
  readonly items: readonly RolloutItem[];
}

export interface TargetFilter {
  readonly application?: string;
  readonly profile?: string;
}

/** A selection that names something the workspace does not have. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export function rolloutTarget(model: Model, environment: string, filter: TargetFilter = {}): RolloutTarget {
  const env = model.workload.environments[environment];
  if (!env) throw new TargetError(`unknown environment '${environment}'${hint(environment, model.environments)}; known: ${model.environments.join(', ')}`);
  const apps = model.applications.map((a) => a.name);
  if (filter.application !== undefined && !apps.includes(filter.application)) {
    throw new TargetError(`unknown application '${filter.application}'${hint(filter.application, apps)}; known: ${apps.join(', ')}`);
  }
  const profileNames = Object.keys(PROFILE_TYPES);
  if (filter.profile !== undefined && !profileNames.includes(filter.profile)) {
    throw new TargetError(`unknown profile '${filter.profile}'${hint(filter.profile, profileNames)}; profiles are ${profileNames.join(', ')}`);
  }
  const items: RolloutItem[] = [];
  for (const app of model.applications) {
    if (filter.application !== undefined && app.name !== filter.application) continue;
    for (const profile of app.profiles) {
      if (filter.profile !== undefined && profile !== filter.profile) continue;
      const doc = findDocument(model, environment, app.name, profile);
      if (!doc) throw new TargetError(`the model has no compiled ${profile} document for ${app.name} in ${environment}; run 'dynconf validate'`);
      items.push({ application: app.name, profile, content: doc.content });
    }
  }
  if (items.length === 0) {
    const which = filter.application ? `application '${filter.application}'` : 'no application';
    throw new TargetError(`${which} has profile '${filter.profile}' in ${environment}; ${filter.application ? `its profiles are ${model.applications.find((a) => a.name === filter.application)!.profiles.join(', ')}` : 'pick another profile'}`);
  }
  return { environment, account: env.account, region: env.region, items };
}

function hint(name: string, known: readonly string[]): string {
  const guess = didYouMean(name, known);
  return guess ? ` (did you mean '${guess}'?)` : '';
}

/** Short content fingerprint for messages: the first 12 hex digits of SHA-256. */
export function fingerprint(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

export function sameBytes(deployed: Uint8Array, compiled: string): boolean {
  return Buffer.from(compiled, 'utf8').equals(Buffer.from(deployed.buffer, deployed.byteOffset, deployed.byteLength));
}

/** Items grouped by application: one AppConfig environment (and one ListDeployments) each. */
export function byApplication<T extends { readonly application: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(item.application, [...(out.get(item.application) ?? []), item]);
  return out;
}
