/**
 * Everything one environment deploys, as one CDK Stage: the unit the pipeline adds as a
 * stage or to a wave. A Stage may not reference another stage's stacks, and one stack may
 * not sit in two stages, so:
 * - the shared AppConfig stack of an account and region belongs to the stage of the first
 *   environment (in pipeline order) that uses it, and publishes its IDs in SSM;
 * - every other environment's stacks read those IDs at deploy time: they depend on the
 *   shared stack when both are in this stage, and the pipeline orders them after it when
 *   its stage is in the same wave (PipelineStack), else the pipeline order does;
 * - the agent of a cluster is created by the stage of the cluster's first environment;
 *   its role reads every configuration of the cluster's account and region, so later
 *   environments need no grant of their own;
 * - the rollout gate's role has a fixed name the pipeline stack computes on its own.
 * No stack reads another stack's outputs (no Fn::GetStackOutput, no Fn::ImportValue):
 * CloudFormation does not update a consumer whose template is unchanged, so a replaced
 * producer would leave it holding a stale value. What crosses stacks is either a name
 * computed from workload.json (roles, alarms) or an SSM parameter, which CloudFormation
 * resolves again on every deployment of the reader (test/pipeline/stale-values.test.ts).
 *
 * Stacks of a stage, by construct id: `Canary` (when the environment has one),
 * `AppConfigShared-*`, `AppConfig[-n]`, `Agent-<cluster>` (owned clusters), `ConfigReaders`.
 */
import * as cdk from 'aws-cdk-lib';
import type * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { Construct } from 'constructs';
import { ClusterAgentStack, ownedClusters } from '../agent';
import { partitionOf } from '../agent/names';
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
import type { EnvironmentConfig, Model } from '../model';
import { EnvironmentCanaryStack } from './canary';
import type { PartRange } from './deployment-chunks';
import { EmergencyDeployRole, emergencyLaneOf, tagWorkloadAppConfig } from './emergency-lane';
import { RolloutGateRole } from './gate-role';
import { agentStackName, canaryAlarmName, readersStackName } from './names';

/** Id of the CfnOutput on each shared AppConfig stack that a same-wave stage waits for. */
export const STACK_ID_OUTPUT = 'StackId';

/**
 * Id of the CfnOutput on the config-readers stack (only with the emergency lane) that the
 * pipeline's emergency guard reads: CDK Pipelines then runs the guard after the readers
 * stack, whose gate role it assumes, and before the AppConfig stacks it protects.
 */
export const READERS_OUTPUT = 'GateRoleArn';

export interface EnvironmentStageProps extends cdk.StageProps {
  readonly model: Model;
  /** The environment's key in config/workload.json; also the stage's id by convention. */
  readonly environment: string;
  /**
   * How the AppConfig stacks are split; every stage of one app must share it.
   * @default planAppConfig(model)
   */
  readonly plan?: AppConfigPlan;
  /**
   * The layout parts whose AppConfig stacks this stage deploys; the pipeline deploys the
   * others with `EnvironmentPartsStage`s in the CodePipeline stages that follow (see
   * deployment-chunks.ts). Must start at part 1.
   * @default every part
   */
  readonly parts?: PartRange;
}

/** What the pipeline needs of a stage that deploys AppConfig stacks of one environment. */
export interface AppConfigStage {
  readonly environmentName: string;
  readonly sharedStacks: readonly AppConfigSharedStack[];
  readonly appConfigStacks: readonly AppConfigEnvironmentStack[];
}

export class EnvironmentStage extends cdk.Stage implements AppConfigStage {
  readonly environmentName: string;
  /** Shared stacks this stage deploys because its environment comes first in its account and region. */
  readonly sharedStacks: readonly AppConfigSharedStack[];
  /** This environment's AppConfig stacks (more than one when the workload had to be split). */
  readonly appConfigStacks: readonly AppConfigEnvironmentStack[];
  /** The AppConfig Environment of every application in this environment, by application name. */
  readonly appConfigEnvironments: ReadonlyMap<string, appconfig.IEnvironment>;
  /** The synthetic canary and its alarm, one of this environment's AppConfig monitors. */
  readonly canaryStack?: EnvironmentCanaryStack;
  /** The agent of each cluster this stage owns, by cluster key. */
  readonly agentStacks: ReadonlyMap<string, ClusterAgentStack>;
  /** The rollout gate's role: who else reads this environment's configurations. */
  readonly readersStack: cdk.Stack;
  readonly gateRole: RolloutGateRole;
  /** The emergency lane's role in this environment, when workload.json declares the lane. */
  readonly emergencyRole?: EmergencyDeployRole;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { model, environment, plan: givenPlan, parts, ...stageProps } = props;
    const config = environmentConfig(model, environment, id);
    if (parts && parts.first !== 1) throw new Error(`EnvironmentStage ${id}: parts must start at 1 (got ${parts.first}); later parts go to EnvironmentPartsStage`);
    super(scope, id, { env: { account: config.account, region: config.region }, ...stageProps });
    // Should a reference between stacks ever creep in, make it weak rather than an export:
    // CloudFormation refuses to drop an export another stack imports. The test of stale
    // values fails on either.
    cdk.CrossStackReferences.of(this).consume(cdk.ReferenceStrength.WEAK);
    this.environmentName = environment;
    const plan = givenPlan ?? planAppConfig(model);

    // Its alarm is a monitor of every AppConfig environment stack. They name it by its fixed
    // ARN and depend on its stack, so CloudFormation creates the alarm before any
    // deployment watches it.
    this.canaryStack = config.canary ? new EnvironmentCanaryStack(this, 'Canary', { model, environment }) : undefined;
    const appConfig = addAppConfigStacks(this, { model, plan, environment, parts: parts ?? { first: 1, last: Number.MAX_SAFE_INTEGER }, canaryStack: this.canaryStack });
    this.sharedStacks = appConfig.sharedStacks;
    this.appConfigStacks = appConfig.appConfigStacks;
    this.appConfigEnvironments = appConfig.environments;

    const agents = new Map<string, ClusterAgentStack>();
    for (const cluster of ownedClusters(model, environment)) {
      agents.set(cluster, new ClusterAgentStack(this, `Agent-${cluster}`, { model, cluster, stackName: agentStackName(model, cluster) }));
    }
    this.agentStacks = agents;

    this.readersStack = new cdk.Stack(this, 'ConfigReaders', {
      stackName: readersStackName(model, environment),
      env: { account: config.account, region: config.region },
      description: `dynconf ${model.workload.workload}: who else reads the configurations of ${environment}: the pipeline's rollout gate`,
    });
    this.gateRole = new RolloutGateRole(this.readersStack, 'RolloutGate', { model, environment });
    if (emergencyLaneOf(model)) {
      this.emergencyRole = new EmergencyDeployRole(this.readersStack, 'EmergencyDeploy', { model, environment });
      new cdk.CfnOutput(this.readersStack, READERS_OUTPUT, {
        value: this.gateRole.role.roleArn,
        description: "Read by the pipeline's emergency guard, so that it runs after this stack and before the AppConfig stacks",
      });
    }
  }
}

export interface EnvironmentPartsStageProps extends cdk.StageProps {
  readonly model: Model;
  readonly environment: string;
  /** How the AppConfig stacks are split; the same plan as every other stage's. */
  readonly plan: AppConfigPlan;
  /** The layout parts whose AppConfig stacks this stage deploys; never part 1. */
  readonly parts: PartRange;
}

/**
 * The AppConfig stacks of later layout parts of one environment, deployed by the pipeline
 * right after the environment's EnvironmentStage (which holds part 1, the canary, the
 * agents and the readers), so that each CodePipeline stage stays within CodePipeline's
 * action quota. Its stacks import part 1's alarms and read the shared stacks' IDs by name.
 */
export class EnvironmentPartsStage extends cdk.Stage implements AppConfigStage {
  readonly environmentName: string;
  readonly sharedStacks: readonly AppConfigSharedStack[];
  readonly appConfigStacks: readonly AppConfigEnvironmentStack[];

  constructor(scope: Construct, id: string, props: EnvironmentPartsStageProps) {
    const { model, environment, plan, parts, ...stageProps } = props;
    const config = environmentConfig(model, environment, id);
    if (parts.first <= 1 || parts.last < parts.first) throw new Error(`EnvironmentPartsStage ${id}: parts ${parts.first}-${parts.last} must be a range after part 1`);
    super(scope, id, { env: { account: config.account, region: config.region }, ...stageProps });
    cdk.CrossStackReferences.of(this).consume(cdk.ReferenceStrength.WEAK);
    this.environmentName = environment;
    // The canary's stack is part 1's stage's, deployed in an earlier CodePipeline stage.
    const appConfig = addAppConfigStacks(this, { model, plan, environment, parts, canaryStack: undefined });
    this.sharedStacks = appConfig.sharedStacks;
    this.appConfigStacks = appConfig.appConfigStacks;
  }
}

function environmentConfig(model: Model, environment: string, id: string): EnvironmentConfig {
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`stage ${id}: unknown environment '${environment}'; use one of ${Object.keys(model.workload.environments).join(', ')}`);
  return config;
}

interface AppConfigStacksOptions {
  readonly model: Model;
  readonly plan: AppConfigPlan;
  readonly environment: string;
  readonly parts: PartRange;
  /** The canary's stack when it is in this stage (part 1's). */
  readonly canaryStack: EnvironmentCanaryStack | undefined;
}

/** The shared stacks the environment owns and its environment stacks, for the parts in range. */
function addAppConfigStacks(stage: cdk.Stage, o: AppConfigStacksOptions) {
  const { model, plan, environment, parts } = o;
  const config = model.workload.environments[environment]!;
  const lane = emergencyLaneOf(model);
  const inRange = (part: number) => part >= parts.first && part <= parts.last;
  const shared = new Map<string, AppConfigSharedStack>();
  for (const p of sharedStacksOwnedBy(plan, environment).filter((x) => inRange(x.part))) {
    const stack = new AppConfigSharedStack(stage, p.constructId, { model, plan: p });
    // Another environment of the same wave may read this stack's IDs; the pipeline
    // orders it after this output (see PipelineStack).
    new cdk.CfnOutput(stack, STACK_ID_OUTPUT, { value: stack.stackId, description: 'Read by the pipeline to deploy same-wave readers of these IDs after this stack' });
    if (lane) tagWorkloadAppConfig(stack, model);
    shared.set(p.stackName, stack);
  }
  const additionalAlarmArns = config.canary
    ? [`arn:${partitionOf(config.region)}:cloudwatch:${config.region}:${config.account}:alarm:${canaryAlarmName(model, environment)}`]
    : undefined;
  const stacks: AppConfigEnvironmentStack[] = [];
  const environments = new Map<string, appconfig.IEnvironment>();
  for (const p of environmentStacksOf(plan, environment).filter((x) => inRange(x.part))) {
    const stack = new AppConfigEnvironmentStack(stage, p.constructId, { model, plan: p, additionalAlarmArns });
    // The emergency lane's role writes only to resources with the workload's tag.
    if (lane) tagWorkloadAppConfig(stack, model);
    if (o.canaryStack) stack.addStackDependency(o.canaryStack, 'AppConfig watches the canary alarm it creates');
    for (const s of sharedStacksRead(plan, p)) {
      // In this stage: deploy the IDs before reading them. In an earlier stage or
      // CodePipeline stage: the pipeline order already guarantees it.
      const local = shared.get(s.stackName);
      if (local) stack.addStackDependency(local, 'reads the AppConfig IDs it publishes in SSM');
    }
    // Later parts import the metric alarms part 1 creates (in this stage, or an earlier one).
    const partOne = stacks.find((st) => st.plan.part === 1);
    if (p.part > 1 && partOne && config.monitors.some((m) => 'metricAlarm' in m)) stack.addStackDependency(partOne, 'imports the alarms it creates');
    for (const [app, env] of stack.environments) environments.set(app, env);
    stacks.push(stack);
  }
  return { sharedStacks: [...shared.values()], appConfigStacks: stacks, environments };
}

/** One EnvironmentStage per environment, in pipeline order, all from one plan. */
export function buildEnvironmentStages(scope: Construct, model: Model, plan: AppConfigPlan = planAppConfig(model)): EnvironmentStage[] {
  return pipelineOrder(model).map((environment) => new EnvironmentStage(scope, environment, { model, environment, plan }));
}
