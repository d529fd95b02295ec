/**
 * Everything one environment deploys, as one CDK Stage: the unit bin/app.ts synthesizes
 * and the pipeline adds as a stage or to a wave. A Stage may not reference another
 * stage's stacks, and one stack may not sit in two stages, so:
 * - the shared AppConfig stack of an account and region belongs to the stage of the first
 *   environment (in pipeline order) that uses it, and publishes its IDs in SSM;
 * - every other environment's stacks read those IDs at deploy time, and depend on the
 *   shared stack only when both are in this stage.
 */
import * as cdk from 'aws-cdk-lib';
import type * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { Construct } from 'constructs';
import {
  AppConfigEnvironmentStack,
  AppConfigSharedStack,
  environmentStacksOf,
  pipelineOrder,
  planAppConfig,
  sharedStacksOwnedBy,
  sharedStacksRead,
  type AppConfigPlan,
} from '../appconfig';
import type { Model } from '../model';

export interface EnvironmentStageProps extends cdk.StageProps {
  readonly model: Model;
  /** The environment's key in config/workload.json; also the stage's id by convention. */
  readonly environment: string;
  /**
   * How the AppConfig stacks are split; every stage of one app must share it.
   * @default planAppConfig(model)
   */
  readonly plan?: AppConfigPlan;
}

export class EnvironmentStage extends cdk.Stage {
  readonly environmentName: string;
  /** Shared stacks this stage deploys because its environment comes first in its account and region. */
  readonly sharedStacks: readonly AppConfigSharedStack[];
  /** This environment's AppConfig stacks (more than one when the workload had to be split). */
  readonly appConfigStacks: readonly AppConfigEnvironmentStack[];
  /** The AppConfig Environment of every application in this environment, by application name. */
  readonly appConfigEnvironments: ReadonlyMap<string, appconfig.IEnvironment>;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { model, environment, plan: givenPlan, ...stageProps } = props;
    const config = model.workload.environments[environment];
    if (!config) {
      throw new Error(`EnvironmentStage ${id}: unknown environment '${environment}'; use one of ${Object.keys(model.workload.environments).join(', ')}`);
    }
    super(scope, id, { env: { account: config.account, region: config.region }, ...stageProps });
    this.environmentName = environment;
    const plan = givenPlan ?? planAppConfig(model);

    const shared = new Map<string, AppConfigSharedStack>();
    for (const p of sharedStacksOwnedBy(plan, environment)) {
      shared.set(p.stackName, new AppConfigSharedStack(this, p.constructId, { model, plan: p }));
    }
    this.sharedStacks = [...shared.values()];

    const stacks: AppConfigEnvironmentStack[] = [];
    const environments = new Map<string, appconfig.IEnvironment>();
    for (const p of environmentStacksOf(plan, environment)) {
      const stack = new AppConfigEnvironmentStack(this, p.constructId, { model, plan: p });
      for (const s of sharedStacksRead(plan, p)) {
        // In this stage: deploy the IDs before reading them. In an earlier stage: the
        // pipeline order already guarantees it.
        const local = shared.get(s.stackName);
        if (local) stack.addStackDependency(local, 'reads the AppConfig IDs it publishes in SSM');
      }
      // Later parts import the metric alarms part 1 creates.
      if (p.part > 1 && config.monitors.some((m) => 'metricAlarm' in m)) stack.addStackDependency(stacks[0]!, 'imports the alarms it creates');
      for (const [app, env] of stack.environments) environments.set(app, env);
      stacks.push(stack);
    }
    this.appConfigStacks = stacks;
    this.appConfigEnvironments = environments;

    // Agent (lib/agent) goes here: the stacks for the clusters in `config.clusters` that
    // serve this environment. Give them `this.appConfigEnvironments` (app -> IEnvironment)
    // to call `environment.grantReadConfig(agentRole)` on, and make them depend on
    // `this.appConfigStacks`.
  }
}

/** One EnvironmentStage per environment, in pipeline order, all from one plan. */
export function buildEnvironmentStages(scope: Construct, model: Model, plan: AppConfigPlan = planAppConfig(model)): EnvironmentStage[] {
  return pipelineOrder(model).map((environment) => new EnvironmentStage(scope, environment, { model, environment, plan }));
}
