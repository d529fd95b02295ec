/**
 * What removing an application, an environment or a cluster from workload.json leaves in
 * AWS, computed from the model so `dynconf plan` can name every stack, role and secret.
 * Pure: no CDK, no AWS, no I/O.
 *
 * Why anything is left at all:
 * - CDK Pipelines never deletes the stacks of a stage it no longer has, nor a stack removed
 *   from a stage (aws/aws-cdk#10759, #12463, #10190): the pipeline only creates and updates.
 * - dynconf retains on purpose: hosted configuration versions (DeletionPolicy Retain, so the
 *   last good version can be redeployed by hand), prod AppConfig Environments (Retain and
 *   DeletionProtectionCheck APPLY) and the profiles of accounts with a prod environment
 *   (DeletionProtectionCheck APPLY); prod stacks carry termination protection.
 * - AppConfig refuses to delete a configuration profile that still has hosted versions
 *   ("Cannot delete configuration profile ... because there are still hosted configuration
 *   versions existing under it", pulumi/pulumi#20098), so the retained versions keep their
 *   profile, and the profile its Application, after CloudFormation tries to delete them.
 * - AppConfig has no API that deletes a deployment: a deployment that completed stays in
 *   the environment's history until the environment goes.
 */
import { accountRegions, type Model } from '../model';
import { agentNames } from '../agent/names';
import { applicationIdsParameterName, environmentStackName, parameterRoot, sharedStackName } from '../appconfig/names';
import { agentStackName, canaryName, canaryStackName, gateRoleName, readersStackName } from './names';

export interface LeftBehind {
  /** What stays: a stack, or the resources inside one. */
  readonly what: string;
  /** Account and region, and the stack that held it. */
  readonly where: string;
  readonly why: string;
  /** How to delete it by hand, in order. */
  readonly cleanup: string;
}

export interface RemovalOf {
  readonly name: string;
  readonly leftBehind: readonly LeftBehind[];
  /** Things that look like they might stay but are removed by the next pipeline run. */
  readonly removedByPipeline: readonly string[];
}

export interface RemovalPlan {
  /** Any one application: the same in every application, with `<app>` for its name. */
  readonly application: RemovalOf;
  readonly environments: readonly RemovalOf[];
  readonly clusters: readonly RemovalOf[];
}

const PIPELINES_NEVER_DELETE = 'CDK Pipelines never deletes a stack that is no longer in the pipeline (aws/aws-cdk#10759, #12463)';
const PARTS = ' (and its -2, -3... parts when the workload is split)';

export function removalPlan(model: Model): RemovalPlan {
  return {
    application: applicationRemoval(model),
    environments: model.environments.map((env) => environmentRemoval(model, env)),
    clusters: Object.keys(model.workload.clusters).map((cluster) => clusterRemoval(model, cluster)),
  };
}

function isProd(model: Model, env: string): boolean {
  return model.workload.environments[env]!.tier === 'prod';
}

function applicationRemoval(model: Model): RemovalOf {
  const w = model.workload.workload;
  const app = '<app>';
  const leftBehind: LeftBehind[] = [];
  for (const group of accountRegions(model)) {
    const at = `${group.account}/${group.region}`;
    const prod = group.environments.filter((e) => isProd(model, e));
    leftBehind.push({
      what: `every hosted configuration version of ${app}'s profiles`,
      where: `${at}, ${environmentStackName(w, '<env>')}${PARTS} of ${group.environments.join(', ')}`,
      why: 'DeletionPolicy Retain: the last good version stays available for a redeploy by hand',
      cleanup: `aws appconfig list-hosted-configuration-versions, then delete-hosted-configuration-version for each, per profile (--region ${group.region})`,
    });
    leftBehind.push({
      what: `the Application ${app} and its profiles (flags, ops, browser)`,
      where: `${at}, ${sharedStackName(w, group)}${PARTS}`,
      why:
        'AppConfig refuses to delete a profile that still has hosted versions, so CloudFormation reports DELETE_FAILED and leaves them' +
        (prod.length ? `; the profiles also have DeletionProtectionCheck APPLY (prod: ${prod.join(', ')})` : ''),
      cleanup: `after the hosted versions: aws appconfig delete-configuration-profile${prod.length ? ' --deletion-protection-check BYPASS' : ''} for each profile, delete-environment for each environment left, then delete-application`,
    });
    if (prod.length) {
      leftBehind.push({
        what: `the AppConfig Environments ${prod.join(', ')} of ${app}, with their deployment history`,
        where: `${at}, ${prod.map((e) => environmentStackName(w, e)).join(', ')}${PARTS}`,
        why: 'prod Environments have DeletionPolicy Retain and DeletionProtectionCheck APPLY (AppConfig refuses while they were read recently)',
        cleanup: `once no agent reads them: aws appconfig delete-environment --deletion-protection-check BYPASS (--region ${group.region})`,
      });
    }
  }
  return {
    name: app,
    leftBehind,
    removedByPipeline: [
      `non-prod AppConfig Environments of ${app} (deleted with the environment stacks' update)`,
      `the SSM parameter ${applicationIdsParameterName(w, app)} in every account and region`,
      `${app}'s entries in every agent's prefetch list and read grants; pods that still ask an agent for ${app} get 404`,
    ],
  };
}

function environmentRemoval(model: Model, env: string): RemovalOf {
  const w = model.workload.workload;
  const e = model.workload.environments[env]!;
  const at = `${e.account}/${e.region}`;
  const prod = isProd(model, env);
  const deleteStack = (stack: string) => `aws cloudformation delete-stack --stack-name ${stack} --region ${e.region}`;
  const leftBehind: LeftBehind[] = [
    {
      what: `the stack ${environmentStackName(w, env)}${PARTS}: one AppConfig Environment per application, their hosted versions, metric alarms and the monitor role`,
      where: at,
      why: PIPELINES_NEVER_DELETE + (prod ? '; prod Environments and hosted versions are retained even when the stack is deleted, and the stack has termination protection' : '; hosted versions are retained even when the stack is deleted'),
      cleanup: `${prod ? `aws cloudformation update-termination-protection --no-enable-termination-protection, then ` : ''}${deleteStack(environmentStackName(w, env))}; then delete the retained resources as for a removed application`,
    },
    {
      what: `the stack ${readersStackName(model, env)}: the rollout gate role ${gateRoleName(model, env)} and the agents' read grants`,
      where: at,
      why: PIPELINES_NEVER_DELETE,
      cleanup: deleteStack(readersStackName(model, env)),
    },
  ];
  if (e.canary) {
    leftBehind.push({
      what: `the stack ${canaryStackName(model, env)}: the Synthetics canary ${canaryName(model, env)} (keeps running every ${e.canary.rateMinutes} min, billed per run), its alarm, role and artifacts bucket`,
      where: at,
      why: PIPELINES_NEVER_DELETE,
      cleanup: `${deleteStack(canaryStackName(model, env))} (empty its artifacts bucket first)`,
    });
  }
  const group = accountRegions(model).find((g) => g.environments.includes(env))!;
  if (group.environments.length === 1) {
    leftBehind.push({
      what: `the stack ${sharedStackName(w, group)}${PARTS}: every Application, its profiles, the deployment strategies and the SSM parameters under ${parameterRoot(w)}`,
      where: at,
      why: `${env} is the only environment in ${at}, so no stage deploys that stack any more; ${PIPELINES_NEVER_DELETE}`,
      cleanup: `delete the environment stacks first (they read its SSM parameters), then ${deleteStack(sharedStackName(w, group))}; profiles with hosted versions left are deleted by hand`,
    });
  }
  const removedByPipeline = [`the gate and verify steps of ${env} and their CodeBuild role (in the pipeline stack, updated by self-mutation)`];
  if (group.environments.length > 1 && group.environments[0] === env) {
    removedByPipeline.push(`${sharedStackName(w, group)} moves to the stage of the next environment of ${at}, which updates the same stack`);
  }
  for (const cluster of e.clusters) {
    const others = model.environments.filter((o) => o !== env && model.workload.environments[o]!.clusters.includes(cluster));
    if (others.length === 0) {
      leftBehind.push({
        what: `the agent stack ${agentStackName(model, cluster)} of cluster ${cluster}, which only ${env} uses`,
        where: at,
        why: `no stage deploys it any more; see the removal of cluster ${cluster}`,
        cleanup: `remove the cluster from workload.json too, and follow its removal`,
      });
    } else {
      removedByPipeline.push(`${env}'s entries in the prefetch list and grants of cluster ${cluster}'s agent (still served for ${others.join(', ')})`);
      const owner = model.pipeline.flatMap((step) => step.environments).find((o) => model.workload.environments[o]!.clusters.includes(cluster));
      if (owner === env) removedByPipeline.push(`${agentStackName(model, cluster)} moves to the stage of ${others[0]}, which updates the same stack`);
    }
  }
  return { name: env, leftBehind, removedByPipeline };
}

function clusterRemoval(model: Model, cluster: string): RemovalOf {
  const c = model.workload.clusters[cluster]!;
  const names = agentNames(model, cluster);
  const stack = agentStackName(model, cluster);
  const readers = model.environments.filter((e) => model.workload.environments[e]!.clusters.includes(cluster));
  return {
    name: cluster,
    leftBehind: [
      {
        what: `the stack ${stack}: the agent role ${names.agentRoleName}, the token secret ${names.tokenSecretName} (billed monthly), the token reader role ${names.tokenReaderRoleName}, and the agent's manifests on the cluster: its DaemonSet keeps running and polling AppConfig (billed per call)`,
        where: `${c.account}/${c.region}`,
        why: PIPELINES_NEVER_DELETE,
        cleanup: `aws cloudformation delete-stack --stack-name ${stack} --region ${c.region} while the cluster still exists: deleting the stack's manifest resource removes what the agent chart applied (the DaemonSet and the rest of its manifests) from the cluster`,
      },
    ],
    removedByPipeline: readers.length ? [`the agent role's AppConfig read grants, updated by the stages of ${readers.join(', ')}`] : [],
  };
}
