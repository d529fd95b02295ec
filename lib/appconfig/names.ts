/**
 * Every name the AppConfig slice gives to something outside the CDK app: stack names, SSM
 * parameter paths, AppConfig resource names. They come from stable keys of workload.json
 * (workload, environment, account, region, application, strategy), never from positions
 * in a list, so reordering workload.json never renames a stack or a resource.
 */
import type { AccountRegion, ApplicationModel, ProfileName } from '../model';

/** Root of every SSM parameter dynconf publishes for one workload. */
export function parameterRoot(workload: string): string {
  return `/dynconf/${workload}/appconfig`;
}

/**
 * The StringList parameter that carries one application's AppConfig IDs from the shared
 * stack to the environment stacks, in the order of {@link publishedIdOrder}.
 */
export function applicationIdsParameterName(workload: string, application: string): string {
  return `${parameterRoot(workload)}/applications/${application}/ids`;
}

/** The String parameter that carries one deployment strategy's ID. */
export function strategyIdParameterName(workload: string, strategy: string): string {
  return `${parameterRoot(workload)}/strategies/${strategy}/id`;
}

/**
 * The entries of an application's IDs parameter: the Application ID, then one profile ID
 * per profile in deployment order. Both sides compute it from the same model, so a reader
 * never guesses a position.
 */
export function publishedIdOrder(app: ApplicationModel): readonly ('application' | ProfileName)[] {
  return ['application', ...app.profiles];
}

/** Suffix of the n-th part (1-based) of a stack that had to be split; part 1 has none. */
function partSuffix(part: number): string {
  if (!Number.isInteger(part) || part < 1) throw new Error(`stack part must be a positive integer, got ${part}`);
  return part === 1 ? '' : `-${part}`;
}

/** e.g. `g360-appconfig-shared-222222222222-us-west-2`, then `...-us-west-2-2` for part 2. */
export function sharedStackName(workload: string, where: Pick<AccountRegion, 'account' | 'region'>, part = 1): string {
  return `${workload}-appconfig-shared-${where.account}-${where.region}${partSuffix(part)}`;
}

/** e.g. `g360-appconfig-prod-01`, then `g360-appconfig-prod-01-2` for part 2. */
export function environmentStackName(workload: string, environment: string, part = 1): string {
  return `${workload}-appconfig-${environment}${partSuffix(part)}`;
}

/** Construct id of a stack inside its stage: stable, and unique within the stage. */
export function sharedStackId(where: Pick<AccountRegion, 'account' | 'region'>, part = 1): string {
  return `AppConfigShared-${where.account}-${where.region}${partSuffix(part)}`;
}

export function environmentStackId(part = 1): string {
  return `AppConfig${partSuffix(part)}`;
}

/** AppConfig deployment strategies live in the account, not in an application: prefix the workload. */
export function deploymentStrategyName(workload: string, strategy: string): string {
  return `${workload}-${strategy}`;
}
