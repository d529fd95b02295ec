/**
 * The emergency lane: a second CodePipeline (V2) in the pipeline account that a push to a
 * branch matching workload.json `emergency.branches` (default `emergency/*`) starts. One
 * CodeBuild step validates the workspace, runs `dynconf emergency check` against the
 * branch's merge base with the main branch, and `dynconf emergency deploy`s the changed
 * documents to every affected environment at once, with the workload's emergency strategy
 * (monitors stay on: they belong to the AppConfig environment).
 *
 * Who can use it: whoever can push to a branch the pattern matches. Restrict that in the
 * repository host (a branch protection rule or ruleset on `emergency/*` that only the
 * on-call group may push). The branch is only the trigger: what can ship is limited by
 * `emergency check`, which refuses any change that does not make things safer.
 *
 * Least privilege:
 * - The lane's CodeBuild role (fixed name, names.ts) may assume only the emergency deploy
 *   role of each environment; besides that it has what CodeBuild needs to run at all
 *   (its logs, the build image, the source clone through the connection).
 * - Each environment's emergency deploy role (in the stage's config-readers stack) trusts
 *   only that CodeBuild role, and may write only to AppConfig resources tagged
 *   `dynconf:workload=<workload>`, which every stage puts on the applications,
 *   environments, configuration profiles and deployment strategies it deploys (see
 *   `tagWorkloadAppConfig`). AppConfig generates their IDs, so no ARN pattern can name
 *   dynconf's applications; the Service Authorization Reference gives the `application`,
 *   `environment`, `configurationprofile`, `deploymentstrategy` and `deployment` resource
 *   types the condition key `aws:ResourceTag/${TagKey}`. The two resource types that
 *   cannot carry the tag (hosted configuration versions, which have no tags, and
 *   deployments, which CloudFormation starts untagged) are granted without it in a second
 *   statement; every action there also needs the tagged application and its environment or
 *   profile, so that statement alone reaches nothing. IDs come from the SSM parameters the
 *   shared stacks publish (`ssm:GetParameter` under `/dynconf/<workload>/appconfig/`), not
 *   from `ListApplications`, which IAM accepts only on `*`.
 */
import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { partitionOf } from '../agent/names';
import { parameterRoot } from '../appconfig/names';
import { DEFAULT_EMERGENCY_BRANCHES, type Model, type StrategyConfig } from '../model';
import { dynconfCommand, GATE_MARGIN_MINUTES, NPM_CI_BUILD_OVERHEAD_MINUTES } from './gate-steps';
import { acknowledgeKnownGrants, ARN, type KnownGrant } from './nag';
import {
  EMERGENCY_PROFILE_PREFIX,
  emergencyBuildRoleArn,
  emergencyBuildRoleName,
  emergencyPipelineName,
  emergencyProfileName,
  emergencyRoleArn,
  emergencyRoleName,
  WORKLOAD_TAG_KEY,
} from './names';
import { ConnectionSourceAction, useConnectionAction } from './source';


/** The lane as workload.json declares it, with its defaults and its strategy resolved. */
export interface EmergencyLaneConfig {
  readonly strategy: string;
  readonly strategyConfig: StrategyConfig;
  readonly branches: string;
}

/** The declared lane, or undefined when workload.json has no `emergency`. */
export function emergencyLaneOf(model: Model): EmergencyLaneConfig | undefined {
  const e = model.workload.emergency;
  if (!e) return undefined;
  const strategyConfig = model.workload.strategies[e.strategy];
  if (!strategyConfig) {
    throw new Error(
      `config/workload.json emergency.strategy: '${e.strategy}' is not a strategy of this workload; name one of ${Object.keys(model.workload.strategies).join(', ')}, or add it under strategies`,
    );
  }
  return { strategy: e.strategy, strategyConfig, branches: e.branches ?? DEFAULT_EMERGENCY_BRANCHES };
}

// ---- The per-environment role ----

/**
 * What `dynconf emergency deploy` may do with AppConfig, on resources that carry the
 * workload's tag: write a hosted version, start a deployment, follow it, and read what it
 * needs to find the environment and compare bytes.
 */
export const EMERGENCY_APPCONFIG_ACTIONS = [
  'appconfig:CreateHostedConfigurationVersion',
  'appconfig:StartDeployment',
  'appconfig:GetDeployment',
  'appconfig:ListDeployments',
  'appconfig:GetHostedConfigurationVersion',
  'appconfig:ListEnvironments',
  'appconfig:ListConfigurationProfiles',
] as const;

/** The actions of the list above whose resources include a type that carries no tag. */
export const EMERGENCY_UNTAGGED_RESOURCE_ACTIONS = [
  'appconfig:CreateHostedConfigurationVersion',
  'appconfig:GetHostedConfigurationVersion',
  'appconfig:StartDeployment',
  'appconfig:GetDeployment',
] as const;

/** The lane reads AppConfig IDs from the parameters the shared stacks publish. */
export const EMERGENCY_ID_READ_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters'] as const;

/** The resources of the emergency deploy role's three statements, in one account and region. */
export function emergencyRoleResources(model: Model, environment: string) {
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
  const appconfig = `arn:${partitionOf(config.region)}:appconfig:${config.region}:${config.account}`;
  return {
    tagged: [`${appconfig}:application/*`, `${appconfig}:deploymentstrategy/*`],
    untagged: [`${appconfig}:application/*/environment/*/deployment/*`, `${appconfig}:application/*/configurationprofile/*/hostedconfigurationversion/*`],
    parameters: [`arn:${partitionOf(config.region)}:ssm:${config.region}:${config.account}:parameter${parameterRoot(model.workload.workload)}/*`],
  };
}

export interface EmergencyDeployRoleProps {
  readonly model: Model;
  readonly environment: string;
}

/** The role the lane assumes in one environment's account; trusts only the lane's CodeBuild role. */
export class EmergencyDeployRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: EmergencyDeployRoleProps) {
    super(scope, id);
    const { model, environment } = props;
    const resources = emergencyRoleResources(model, environment);
    const lane = emergencyBuildRoleArn(model);
    this.role = new iam.Role(this, 'Role', {
      roleName: emergencyRoleName(model, environment),
      description: `dynconf emergency lane of ${model.workload.workload}: deploys emergency changes to ${environment}; assumed only by ${emergencyBuildRoleName(model)}`,
      // As the gate role (gate-role.ts): the account with a condition on the principal's ARN,
      // which survives the lane's role being recreated; an ARN principal would not.
      assumedBy: new iam.AccountPrincipal(model.workload.pipeline.account).withConditions({ ArnEquals: { 'aws:PrincipalArn': lane } }),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WorkloadAppConfigResources',
        actions: [...EMERGENCY_APPCONFIG_ACTIONS],
        resources: resources.tagged,
        conditions: { StringEquals: { [`aws:ResourceTag/${WORKLOAD_TAG_KEY}`]: model.workload.workload } },
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'VersionsAndDeploymentsOfThose', actions: [...EMERGENCY_UNTAGGED_RESOURCE_ACTIONS], resources: resources.untagged }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WorkloadAppConfigIds', actions: [...EMERGENCY_ID_READ_ACTIONS], resources: resources.parameters }));
    acknowledgeKnownGrants(this.role, emergencyRoleGrants(), () => undefined);
  }
}

/** The IAM5 findings of the emergency deploy role, each with its reason; a wildcard outside them fails synth. */
export function emergencyRoleGrants(): KnownGrant[] {
  const appconfig = `^Resource::${ARN}:appconfig:[a-z0-9-]+:\\d{12}:`;
  // eslint-disable-next-line security/detect-non-literal-regexp -- an alternation of the constant action lists above
  const actions = (list: readonly string[]) => new RegExp(`^(${list.join('|')})$`);
  return [
    {
      // eslint-disable-next-line security/detect-non-literal-regexp -- a cdk-nag finding pattern built from constants and the stack's account/region, at synth time
      finding: new RegExp(`${appconfig}(application|deploymentstrategy)/\\*$`),
      actions: actions(EMERGENCY_APPCONFIG_ACTIONS),
      when: (s) => JSON.stringify(s.Condition ?? {}).includes(`aws:ResourceTag/${WORKLOAD_TAG_KEY}`),
      reason: `The emergency lane's writes and reads, only on AppConfig resources tagged ${WORKLOAD_TAG_KEY} with this workload (aws:ResourceTag condition): AppConfig generates their IDs, so no ARN can name them`,
    },
    {
      // eslint-disable-next-line security/detect-non-literal-regexp -- a cdk-nag finding pattern built from constants and the stack's account/region, at synth time
      finding: new RegExp(`${appconfig}application/\\*/(environment/\\*/deployment|configurationprofile/\\*/hostedconfigurationversion)/\\*$`),
      actions: actions(EMERGENCY_UNTAGGED_RESOURCE_ACTIONS),
      reason:
        'Hosted versions carry no tags and CloudFormation starts deployments untagged; each of these actions also needs the tagged application and its environment or profile, which only the tag-conditioned statement grants',
    },
    {
      // eslint-disable-next-line security/detect-non-literal-regexp -- a cdk-nag finding pattern built from constants and the stack's account/region, at synth time
      finding: new RegExp(`^Resource::${ARN}:ssm:[a-z0-9-]+:\\d{12}:parameter/dynconf/[^*]+/appconfig/\\*$`),
      actions: actions(EMERGENCY_ID_READ_ACTIONS),
      reason: "The AppConfig IDs this workload's shared stacks publish under its own parameter path; read instead of appconfig:ListApplications, which IAM allows only on *",
    },
  ];
}

/** The AppConfig resource types the lane's role finds by tag; every one of them supports tags in CloudFormation without replacement. */
export const TAGGED_APPCONFIG_TYPES = ['AWS::AppConfig::Application', 'AWS::AppConfig::Environment', 'AWS::AppConfig::ConfigurationProfile', 'AWS::AppConfig::DeploymentStrategy'] as const;

/**
 * Tag the AppConfig resources under `scope` with the workload, for the lane's role. Not
 * deployments: a change to an AWS::AppConfig::Deployment's tags replaces it, which is a
 * new deployment of every profile.
 */
export function tagWorkloadAppConfig(scope: IConstruct, model: Model): void {
  cdk.Tags.of(scope).add(WORKLOAD_TAG_KEY, model.workload.workload, { includeResourceTypes: [...TAGGED_APPCONFIG_TYPES] });
}

// ---- The lane in the pipeline account ----

/** Where the lane's build writes the AWS shared config: outside the checkout. */
export const EMERGENCY_AWS_CONFIG_FILE = '/tmp/dynconf-emergency-aws-config';

/** One shared-config profile per environment, each assuming that environment's emergency role. */
export function emergencyAwsConfig(model: Model): string {
  const lines: string[] = [];
  for (const env of model.environments) {
    lines.push(`[profile ${emergencyProfileName(env)}]`, `role_arn = ${emergencyRoleArn(model, env)}`, 'credential_source = EcsContainer', `role_session_name = dynconf-emergency-${env}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Minutes the lane's build may run: every environment's queue of emergency deployments, plus the gate's margin, plus the start and `npm ci` of a build that installs (NPM_CI_BUILD_OVERHEAD_MINUTES). */
export function emergencyBuildTimeoutMinutes(model: Model, lane: EmergencyLaneConfig): number {
  const queue = Math.max(1, ...model.applications.map((a) => a.profiles.length));
  return queue * (lane.strategyConfig.deploymentDurationMinutes + lane.strategyConfig.finalBakeTimeMinutes) + GATE_MARGIN_MINUTES + NPM_CI_BUILD_OVERHEAD_MINUTES;
}

/**
 * The lane's build commands. The base is the merge base of the pushed commit and the main
 * branch: what the branch changed, whatever main did since (the check and the deploy then
 * see only the emergency change). The source is a full clone (CODEBUILD_CLONE_REF), so
 * git works; the main branch is fetched explicitly so the merge base never depends on
 * which refs the clone brought. Buildspec 0.2 runs a phase's commands in one shell, so
 * BASE reaches the commands after it; a failing command fails the build.
 */
export function emergencyLaneCommands(model: Model): { install: string[]; build: string[] } {
  const main = model.workload.pipeline.source.branch;
  const config = emergencyAwsConfig(model).split('\n').slice(0, -1);
  for (const line of config) {
    // Names and ARNs come from schema-checked keys; a quote would break the command.
    if (line.includes("'")) throw new Error(`emergency profile line ${JSON.stringify(line)} contains a single quote`);
  }
  return {
    install: ['npm ci --no-audit --no-fund'],
    build: [
      `printf '%s\\n' ${config.map((l) => `'${l}'`).join(' ')} > "$AWS_CONFIG_FILE"`,
      `git fetch --no-tags origin '+refs/heads/${main}:refs/remotes/origin/${main}'`,
      `BASE="$(git merge-base 'origin/${main}' HEAD)"`,
      `echo "emergency lane: commit $CODEBUILD_RESOLVED_SOURCE_VERSION, base $BASE (merge base with ${main})"`,
      dynconfCommand('validate'),
      dynconfCommand('emergency check --base "$BASE"'),
      dynconfCommand(`emergency deploy --base "$BASE" --commit "$CODEBUILD_RESOLVED_SOURCE_VERSION" --aws-profile-prefix ${EMERGENCY_PROFILE_PREFIX}`),
    ],
  };
}

export interface EmergencyLaneProps {
  readonly model: Model;
  readonly lane: EmergencyLaneConfig;
  /** The main pipeline's image (build-image.ts). */
  readonly buildImage: codebuild.IBuildImage;
  /** The main pipeline's log group (hardening.ts). */
  readonly logGroup: logs.ILogGroup;
  /** The main pipeline's artifact bucket, already hardened; the lane's objects go under its own prefix. */
  readonly artifactBucket: s3.IBucket;
}

export class EmergencyLane extends Construct {
  readonly role: iam.Role;
  readonly project: codebuild.PipelineProject;
  readonly pipeline: codepipeline.Pipeline;
  readonly sourceAction: cpactions.CodeStarConnectionsSourceAction;

  constructor(scope: Construct, id: string, props: EmergencyLaneProps) {
    super(scope, id);
    const { model, lane } = props;
    const source = model.workload.pipeline.source;
    const envRoles = model.environments.map((env) => emergencyRoleArn(model, env));

    this.role = new iam.Role(this, 'BuildRole', {
      roleName: emergencyBuildRoleName(model),
      description: `CodeBuild role of the ${emergencyPipelineName(model)} lane; may assume only the emergency deploy role of each environment`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'AssumeEmergencyDeployRoles', actions: ['sts:AssumeRole'], resources: envRoles }));
    // CodeBuild clones the repository through the connection (CODEBUILD_CLONE_REF).
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'CloneThroughConnection', actions: [useConnectionAction(source.connectionArn)], resources: [source.connectionArn] }));

    const commands = emergencyLaneCommands(model);
    this.project = new codebuild.PipelineProject(this, 'Project', {
      description: `dynconf emergency lane of ${model.workload.workload}: validate, emergency check, emergency deploy (${lane.strategy})`,
      role: this.role,
      environment: { buildImage: props.buildImage, computeType: codebuild.ComputeType.SMALL },
      encryptionKey: props.artifactBucket.encryptionKey,
      logging: { cloudWatch: { logGroup: props.logGroup } },
      timeout: cdk.Duration.minutes(emergencyBuildTimeoutMinutes(model, lane)),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: {
          variables: { CI: 'true', AWS_CONFIG_FILE: EMERGENCY_AWS_CONFIG_FILE, DYNCONF_EMERGENCY_PROFILE_PREFIX: EMERGENCY_PROFILE_PREFIX },
        },
        phases: { install: { commands: commands.install }, build: { commands: commands.build } },
      }),
    });

    const [owner, ...repo] = source.repository.split('/');
    const output = new codepipeline.Artifact('EmergencySource');
    // A clone reference, so that git merge-base works in the build.
    this.sourceAction = new ConnectionSourceAction({ actionName: 'Source', output, connectionArn: source.connectionArn, owner: owner!, repo: repo.join('/'), branch: source.branch, gitClone: true });
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: emergencyPipelineName(model),
      pipelineType: codepipeline.PipelineType.V2,
      // Two pushes deploy in the order they came, neither superseding the other mid-deploy.
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: props.artifactBucket,
      stages: [
        { stageName: 'Source', actions: [this.sourceAction] },
        { stageName: 'Emergency', actions: [new cpactions.CodeBuildAction({ actionName: 'ValidateCheckDeploy', project: this.project, input: output })] },
      ],
      // Pushes to the emergency branches only; BranchName (the main branch) is what a manual
      // start fetches, and main has nothing to deploy against its own merge base.
      triggers: [
        {
          providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
          gitConfiguration: { sourceAction: this.sourceAction, pushFilter: [{ branchesIncludes: [lane.branches] }] },
        },
      ],
    });
  }
}
