/**
 * Names the pipeline gives to things in other accounts. The rollout gate is the reason
 * they are fixed rather than generated: its CodeBuild step runs in the pipeline account
 * and must assume a role in an environment's account that a *stage* creates, and a
 * stage's stacks cannot hand a token to the pipeline stack (they are synthesized into
 * other assemblies and deployed later, by the pipeline itself). Both sides compute the
 * same name from workload.json instead, so the step knows the role's ARN before the role
 * exists, and the role trusts the step by the ARN it will have.
 */
import { iamRoleName, partitionOf } from '../agent/names';
import type { Model } from '../model';

function environmentConfig(model: Model, environment: string) {
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
  return config;
}

/** The pipeline stack and the CodePipeline pipeline. */
export function pipelineStackName(model: Model): string {
  return `${model.workload.workload}-dynconf-pipeline`;
}

export function pipelineName(model: Model): string {
  return `${model.workload.workload}-dynconf`;
}

/** The CodeBuild report group the synth step publishes its JUnit report to. */
export function testReportGroupName(model: Model): string {
  return `${model.workload.workload}-dynconf-tests`;
}

/**
 * The report group's ARN, as the synth step's buildspec must name it: a buildspec key
 * cannot be a CloudFormation reference, and a name alone would make CodeBuild create a
 * second group called `<project>-<name>` instead of using this one.
 */
export function testReportGroupArn(model: Model): string {
  const p = model.workload.pipeline;
  return `arn:${partitionOf(p.region)}:codebuild:${p.region}:${p.account}:report-group/${testReportGroupName(model)}`;
}

/** The role the rollout gate assumes in an environment's account (created by that environment's stage). */
export function gateRoleName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return iamRoleName(`${model.workload.workload}-${environment}-rollout-gate`);
}

export function gateRoleArn(model: Model, environment: string): string {
  const config = environmentConfig(model, environment);
  return `arn:${partitionOf(config.region)}:iam::${config.account}:role/${gateRoleName(model, environment)}`;
}

/** The CodeBuild role of an environment's gate and verify steps, in the pipeline account. */
export function gateStepRoleName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return iamRoleName(`${model.workload.workload}-${environment}-rollout-gate-step`);
}

export function gateStepRoleArn(model: Model, environment: string): string {
  const p = model.workload.pipeline;
  return `arn:${partitionOf(p.region)}:iam::${p.account}:role/${gateStepRoleName(model, environment)}`;
}

/** The AWS shared-config profile the gate step writes, and the SDK's default chain reads. */
export const GATE_PROFILE = 'dynconf-rollout-gate';

/** Stack of an environment's stage that holds the synthetic canary. */
export function canaryStackName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return `${model.workload.workload}-${environment}-canary`;
}

/** Stack of an environment's stage that holds who else may read its configurations. */
export function readersStackName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return `${model.workload.workload}-${environment}-config-readers`;
}

/** CloudWatch Synthetics canary name (lower case, digits, `-`, `_`). */
export function canaryName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return `${model.workload.workload}-${environment}`;
}

/** The canary's alarm: AppConfig rolls back a deployment to the environment when it fires. */
export function canaryAlarmName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return `${model.workload.workload}-${environment}-canary-failed`;
}

/** The stack that puts the agent on a cluster (in the stage of the cluster's first environment). */
export function agentStackName(model: Model, cluster: string): string {
  if (!model.workload.clusters[cluster]) throw new Error(`unknown cluster '${cluster}': config/workload.json defines ${Object.keys(model.workload.clusters).join(', ')}`);
  // As lib/agent/names.ts: a cluster key that already starts with the workload keeps it once.
  const workload = model.workload.workload;
  return `${cluster.startsWith(`${workload}-`) ? cluster : `${workload}-${cluster}`}-agent`;
}

// ---- The emergency lane (emergency-lane.ts) ----

/** The lane's CodePipeline pipeline, in the pipeline account beside the main one. */
export function emergencyPipelineName(model: Model): string {
  return `${model.workload.workload}-dynconf-emergency`;
}

/**
 * The lane's CodeBuild role in the pipeline account: fixed, because every environment's
 * emergency deploy role trusts it by ARN before the pipeline stack has deployed it.
 */
export function emergencyBuildRoleName(model: Model): string {
  return iamRoleName(`${model.workload.workload}-dynconf-emergency-lane`);
}

export function emergencyBuildRoleArn(model: Model): string {
  const p = model.workload.pipeline;
  return `arn:${partitionOf(p.region)}:iam::${p.account}:role/${emergencyBuildRoleName(model)}`;
}

/** The role the lane assumes in an environment's account (created by that environment's stage). */
export function emergencyRoleName(model: Model, environment: string): string {
  environmentConfig(model, environment);
  return iamRoleName(`${model.workload.workload}-${environment}-emergency-deploy`);
}

export function emergencyRoleArn(model: Model, environment: string): string {
  const config = environmentConfig(model, environment);
  return `arn:${partitionOf(config.region)}:iam::${config.account}:role/${emergencyRoleName(model, environment)}`;
}

/**
 * The AWS shared-config profiles the lane writes, one per environment:
 * `<EMERGENCY_PROFILE_PREFIX><environment>` assumes that environment's emergency role. The
 * lane exports the prefix as DYNCONF_EMERGENCY_PROFILE_PREFIX.
 */
export const EMERGENCY_PROFILE_PREFIX = 'dynconf-emergency-';

export function emergencyProfileName(environment: string): string {
  return `${EMERGENCY_PROFILE_PREFIX}${environment}`;
}

/**
 * The tag the lane's roles are scoped by: on every AppConfig application, environment,
 * configuration profile and deployment strategy a stage deploys, with the workload's name.
 */
export const WORKLOAD_TAG_KEY = 'dynconf:workload';
