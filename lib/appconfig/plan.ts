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
 * Applications are split across parts in name order, next-fit, within PLANNING_BUDGET.
 */
import { accountRegions, type ApplicationModel, type EnvironmentConfig, type Model } from '../model';
import { BYTES_PER_RESOURCE, jsonStringBytes, partition, PLANNING_BUDGET, type StackCost } from './limits';
import { environmentStackId, environmentStackName, sharedStackId, sharedStackName } from './names';

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

export function planAppConfig(model: Model, budget: StackCost = PLANNING_BUDGET): AppConfigPlan {
  const order = pipelineOrder(model);
  const apps = [...model.applications].sort((a, b) => byName(a.name, b.name));
  const workload = model.workload.workload;

  const shared: SharedStackPlan[] = [];
  for (const group of accountRegions(model)) {
    const environments = [...group.environments].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const strategies = [...new Set(environments.map((e) => model.workload.environments[e]!.strategy))].sort(byName);
    const parts = partition(apps, {
      costOf: sharedApplicationCost,
      fixedCost: (part) => sharedFixedCost(part === 1 ? strategies.length : 0),
      budget,
      describe: (app) => `application '${app.name}' (shared stack of ${group.key})`,
    });
    parts.forEach((partApps, i) =>
      shared.push({
        stackName: sharedStackName(workload, group, i + 1),
        constructId: sharedStackId(group, i + 1),
        account: group.account,
        region: group.region,
        part: i + 1,
        applications: partApps.map((a) => a.name),
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
    const metricAlarms = config.monitors.filter((m) => 'metricAlarm' in m).length;
    const parts = partition(apps, {
      costOf: (app) => environmentApplicationCost(model, env, app),
      fixedCost: (part) => environmentFixedCost(monitorCount(config) > 0, part === 1 ? metricAlarms : 0),
      budget,
      describe: (app) => `application '${app.name}' (environment ${env})`,
    });
    parts.forEach((partApps, i) =>
      environments.push({
        stackName: environmentStackName(workload, env, i + 1),
        constructId: environmentStackId(i + 1),
        account: config.account,
        region: config.region,
        part: i + 1,
        applications: partApps.map((a) => a.name),
        environment: env,
        createsAlarms: i === 0,
      }),
    );
  }
  return { shared, environments };
}

/** Monitors of an environment: workload.json's, plus its canary's alarm (the stage creates the canary). */
export function monitorCount(config: EnvironmentConfig): number {
  return config.monitors.length + (config.canary ? 1 : 0);
}

/** Application, one profile per profile, one IDs parameter. */
export function sharedApplicationCost(app: ApplicationModel): StackCost {
  const resources = 1 + app.profiles.length + 1;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + jsonStringBytes(app.opsSchema), parameters: 0 };
}

/** CDK metadata, and per strategy the strategy and its ID parameter; the bootstrap version parameter. */
export function sharedFixedCost(strategies: number): StackCost {
  const resources = 1 + 2 * strategies;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + 4096, parameters: 1 };
}

/** Environment, then per profile a hosted version and a deployment; one IDs parameter. */
export function environmentApplicationCost(model: Model, environment: string, app: ApplicationModel): StackCost {
  const resources = 1 + 2 * app.profiles.length;
  const content = model.documents
    .filter((d) => d.environment === environment && d.application === app.name)
    .reduce((sum, d) => sum + jsonStringBytes(d.content), 0);
  const monitors = monitorCount(model.workload.environments[environment]!);
  return { resources, bytes: resources * BYTES_PER_RESOURCE + content + monitors * 300, parameters: 1 };
}

/** CDK metadata, the monitor role, the metric alarms; bootstrap version and strategy ID parameters. */
export function environmentFixedCost(hasMonitors: boolean, metricAlarms: number): StackCost {
  const resources = 1 + (hasMonitors ? 1 : 0) + metricAlarms;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + 4096, parameters: 2 };
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
