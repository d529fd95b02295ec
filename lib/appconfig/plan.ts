/**
 * Which AppConfig stacks exist, what each holds, and which pipeline stage owns it: pure
 * data computed from the model, so tests and the pipeline can reason about stacks without
 * synthesizing them.
 *
 * - One shared stack (or several parts) per account and region: Applications, profiles,
 *   validators and deployment strategies, which every environment of that account and
 *   region uses. The stage of the first of those environments in pipeline order owns it.
 * - One environment stack (or several parts) per environment: AppConfig Environments,
 *   monitors, hosted versions and deployments.
 * Each application's part comes from config/layout.json (model.layout), the same part in
 * every stack, so adding or removing an application never moves another one. Every part
 * from 1 to the highest in use has its stacks, even when removals emptied it: a part that
 * vanished from the plan would leave its stacks, and their resources, behind in AWS.
 * The cost model that keeps each part under the template limits is lib/model/capacity.ts;
 * `validate` (lib/model) enforces it, so a plan of a loaded model always fits.
 */
import { accountRegions, partCount, type Model } from '../model';
import { environmentStackId, environmentStackName, sharedStackId, sharedStackName } from './names';

export {
  environmentApplicationCost,
  environmentFixedCost,
  monitorCount,
  sharedApplicationCost,
  sharedFixedCost,
} from '../model';

export interface StackPlan {
  readonly stackName: string;
  /** Construct id inside the owning stage. */
  readonly constructId: string;
  readonly account: string;
  readonly region: string;
  /** 1-based part number; stacks that fit in one template have only part 1. */
  readonly part: number;
  /** Application names, sorted. */
  readonly applications: readonly string[];
}

export interface SharedStackPlan extends StackPlan {
  /** The `account-region` key of the environments this stack serves. */
  readonly accountRegion: string;
  /** The environment whose stage deploys this stack: the first of its group in pipeline order. */
  readonly owner: string;
  /** Every environment that reads this stack's IDs. */
  readonly environments: readonly string[];
  /** Deployment strategies created here (part 1 only). */
  readonly strategies: readonly string[];
  /** True when a prod environment uses it: profiles get deletion protection. */
  readonly protect: boolean;
}

export interface EnvironmentStackPlan extends StackPlan {
  readonly environment: string;
  /** Part 1 creates the environment's metric alarms; later parts import them by name. */
  readonly createsAlarms: boolean;
}

export interface AppConfigPlan {
  readonly shared: readonly SharedStackPlan[];
  readonly environments: readonly EnvironmentStackPlan[];
}

/** Environments in the order the pipeline deploys them. */
export function pipelineOrder(model: Model): string[] {
  return model.pipeline.flatMap((step) => step.environments);
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function planAppConfig(model: Model): AppConfigPlan {
  const order = pipelineOrder(model);
  const workload = model.workload.workload;
  const { parts } = model.layout;
  const unplaced = model.applications
    .map((a) => a.name)
    .filter((name) => parts[name] === undefined)
    .sort(byName);
  if (unplaced.length > 0) throw new Error(`config/layout.json gives no stack part to ${unplaced.join(', ')}; run \`npx dynconf layout\``);
  const appsOfPart = Array.from({ length: partCount(parts) }, (_, i) =>
    model.applications
      .map((a) => a.name)
      .filter((name) => parts[name] === i + 1)
      .sort(byName),
  );

  const shared: SharedStackPlan[] = [];
  for (const group of accountRegions(model)) {
    const environments = [...group.environments].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    // The emergency lane deploys with its own strategy to any environment, so every account
    // and region that has an environment gets it too (with its ID parameter, which the lane reads).
    const emergency = model.workload.emergency?.strategy;
    const strategies = [...new Set([...environments.map((e) => model.workload.environments[e]!.strategy), ...(emergency ? [emergency] : [])])].sort(byName);
    appsOfPart.forEach((applications, i) =>
      shared.push({
        stackName: sharedStackName(workload, group, i + 1),
        constructId: sharedStackId(group, i + 1),
        account: group.account,
        region: group.region,
        part: i + 1,
        applications,
        accountRegion: group.key,
        owner: environments[0]!,
        environments,
        strategies: i === 0 ? strategies : [],
        protect: environments.some((e) => model.workload.environments[e]!.tier === 'prod'),
      }),
    );
  }

  const environments: EnvironmentStackPlan[] = [];
  for (const env of order) {
    const config = model.workload.environments[env]!;
    appsOfPart.forEach((applications, i) =>
      environments.push({
        stackName: environmentStackName(workload, env, i + 1),
        constructId: environmentStackId(i + 1),
        account: config.account,
        region: config.region,
        part: i + 1,
        applications,
        environment: env,
        createsAlarms: i === 0,
      }),
    );
  }
  return { shared, environments };
}

/** The shared stacks an environment's stage must deploy. */
export function sharedStacksOwnedBy(plan: AppConfigPlan, environment: string): SharedStackPlan[] {
  return plan.shared.filter((s) => s.owner === environment);
}

/** The shared stacks an environment stack reads: those holding its applications, and the one holding its strategy. */
export function sharedStacksRead(plan: AppConfigPlan, stack: EnvironmentStackPlan): SharedStackPlan[] {
  return plan.shared.filter(
    (s) => s.environments.includes(stack.environment) && (s.strategies.length > 0 || s.applications.some((a) => stack.applications.includes(a))),
  );
}

export function environmentStacksOf(plan: AppConfigPlan, environment: string): EnvironmentStackPlan[] {
  return plan.environments.filter((s) => s.environment === environment);
}
