/**
 * The pipeline stack: CDK Pipelines on CodePipeline (V2, cross-account keys,
 * self-mutating), built from workload.json `pipeline`. Source through CodeConnections;
 * a Build stage with the synth step (the README's checks without the Chromium tests, the
 * CLI bundle, `cdk synth`) and, beside it with the same runOrder, the Chromium tests
 * (build-actions.ts RELEASE_DEFINITION: a failure of either stops the release before
 * UpdatePipeline); then one EnvironmentStage
 * per environment: `pipeline.stages` one after another, then each wave with its
 * environments in parallel. After every environment, its rollout gate, then the data-plane
 * checks (the acceptance checks in gamma and in every prod environment); before a wave that
 * asks for it, a manual approval. Every test step publishes JUnit to one test report group,
 * and the synth step its coverage to a code coverage report group beside it.
 *
 * When workload.json declares `pipeline.pullRequestCheck`: a CodeBuild project that checks
 * pull requests on a host other than GitHub Actions (pr-check.ts).
 *
 * When workload.json declares `emergency`: the emergency lane beside it (emergency-lane.ts),
 * and before each environment's AppConfig stacks deploy, its emergency guard: a step that
 * stops the pipeline rather than let an ordinary change undo an emergency change that has
 * not reached the main branch yet.
 */
import * as fs from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipelineActions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { partitionOf } from '../agent/names';
import { planAppConfig, sharedStacksRead, type AppConfigPlan } from '../appconfig';
import type { Model, PipelineStep } from '../model';
import { chunkWaveName, deploymentChunks, type PartRange } from './deployment-chunks';
import { EnvironmentPartsStage, EnvironmentStage, READERS_OUTPUT, STACK_ID_OUTPUT, type AppConfigStage } from './environment-stage';
import { pipelineBuildImage } from './build-image';
import { EmergencyLane, emergencyLaneOf } from './emergency-lane';
import { CLI_BUNDLE, RELEASE_DEFINITION, type BuildActionDefinition } from './build-actions';
import {
  cliBundleInput,
  computeTypeOf,
  EnvironmentChecks,
  GATE_AWS_CONFIG_FILE,
  CHECK_STEP_OVERHEAD_MINUTES,
  GUARD_MINUTES,
  reportingDynconfCommand,
  stepReportsBuildSpec,
  writeGateAwsConfigCommand,
} from './gate-steps';
import { GATE_PROFILE, pipelineName, pipelineStackName, testReportGroupArn, testReportGroupName } from './names';
import { BuildLogs, expireArtifacts, restrictKmsGrantsToAwsServices } from './hardening';
import { acknowledgeArtifactBucket, acknowledgeBuildImage, acknowledgePipelineGrants } from './nag';
import { ConnectionSource } from './source';
import { PullRequestCheck, pullRequestCheckOf } from './pr-check';

/**
 * The synth step's commands (build-actions.ts): `.ci/run`, the repository's CI from nothing
 * (`npm ci` once, then the README's test command, here without the Chromium tests), the
 * secret scan, the CLI bundle the check steps run, and `cdk synth`. Calling `.ci/run`,
 * rather than repeating its lines here, keeps the pipeline and any other CI on one
 * definition.
 */
export { SYNTH_COMMANDS } from './build-actions';

/** Where jest-junit writes (jest.config.js), relative to the checkout. */
export const JUNIT_REPORT = { directory: 'reports', file: 'junit.xml' } as const;

/**
 * Where jest writes its coverage as Cobertura XML (jest.config.js `coverageReporters`
 * `cobertura`, whose default file name this is), relative to the checkout, and the format
 * CodeBuild reads it as.
 */
export const COVERAGE_REPORT = { directory: 'coverage', file: 'cobertura-coverage.xml', format: 'COBERTURAXML' } as const;

/** The CodeBuild report group (type CODE_COVERAGE) the synth step publishes coverage to. */
export function coverageReportGroupName(model: Model): string {
  return `${model.workload.workload}-dynconf-coverage`;
}

/** Its ARN, as the buildspec must name it (see testReportGroupArn). */
export function coverageReportGroupArn(model: Model): string {
  const p = model.workload.pipeline;
  return `arn:${partitionOf(p.region)}:codebuild:${p.region}:${p.account}:report-group/${coverageReportGroupName(model)}`;
}

/**
 * The CDK CLI the self-mutation step installs: the one this checkout pins. The npm
 * `latest` tag of aws-cdk (3.0.0) is older than 2.1148 and fails on the cloud assembly
 * this aws-cdk-lib writes (TOOLCHAIN.md).
 */
export function pinnedCdkCliVersion(): string {
  return (JSON.parse(fs.readFileSync(require.resolve('aws-cdk/package.json'), 'utf8')) as { version: string }).version;
}

export interface PipelineStackProps extends cdk.StackProps {
  readonly model: Model;
  /**
   * How the AppConfig stacks are split; computed once and shared by every stage.
   * @default planAppConfig(model)
   */
  readonly plan?: AppConfigPlan;
  /**
   * Where the EnvironmentStages are created; their cloud assemblies are named after the
   * path (`assembly-<environment>` under an App).
   * @default - the scope of this stack
   */
  readonly stageScope?: Construct;
}

export class PipelineStack extends cdk.Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly source: pipelines.CodePipelineSource;
  readonly synthStep: pipelines.CodeBuildStep;
  /** The synth step's CLI_BUNDLE directory, an input of every check step. */
  readonly cliBundle: pipelines.FileSet;
  /** The Build stage's actions beside the synth step (RELEASE_DEFINITION.build), by name: the browser tests. */
  readonly parallelBuildActions: ReadonlyMap<string, { readonly project: codebuild.PipelineProject; readonly role: iam.Role }>;
  /** The synth step's CodeBuild role, granted writing to `testReports` and `coverageReports`. */
  readonly synthRole: iam.Role;
  /** Where every test step (synth's jest, gates, verify, emergency guards) publishes JUnit. */
  readonly testReports: codebuild.ReportGroup;
  /** Where the synth step publishes jest's coverage. */
  readonly coverageReports: codebuild.ReportGroup;
  /** How the AppConfig stacks are split, shared by every stage. */
  readonly plan: AppConfigPlan;
  /** One per environment, in pipeline order: its first layout parts, canary, agents and readers. */
  readonly stages: readonly EnvironmentStage[];
  /** The later layout parts of each environment, when a step's stacks need more than one CodePipeline stage. */
  readonly partsStages: readonly EnvironmentPartsStage[];
  /** Gate and verify steps, by environment. */
  readonly checks: ReadonlyMap<string, EnvironmentChecks>;
  /** The emergency guard before each environment's AppConfig stacks, when the lane is declared. */
  readonly emergencyGuards: ReadonlyMap<string, pipelines.CodeBuildStep>;
  /** The emergency lane, when workload.json declares it. */
  readonly emergencyLane?: EmergencyLane;
  /** The CodeBuild PR check, when workload.json declares `pipeline.pullRequestCheck` (pr-check.ts). */
  readonly pullRequestCheck?: PullRequestCheck;
  /** Manual approvals, by wave name. */
  readonly approvals: ReadonlyMap<string, pipelines.ManualApprovalStep>;
  /** The log group every CodeBuild project of the pipeline writes to. */
  readonly buildLogs: BuildLogs;
  /** What every CodeBuild project of the pipeline runs on (build-image.ts). */
  readonly buildImage: codebuild.IBuildImage;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { model, plan, stageScope, ...stackProps } = props;
    const p = model.workload.pipeline;
    super(scope, id, {
      stackName: pipelineStackName(model),
      env: { account: p.account, region: p.region },
      description: `dynconf ${model.workload.workload}: the pipeline that deploys ${model.environments.join(', ')} from ${p.source.repository}@${p.source.branch}`,
      ...stackProps,
    });

    // UseConnection under the connection ARN's own service prefix (source.ts).
    this.source = new ConnectionSource({ repository: p.source.repository, branch: p.source.branch, connectionArn: p.source.connectionArn });
    this.buildImage = pipelineBuildImage(this, model);

    this.testReports = new codebuild.ReportGroup(this, 'TestReports', {
      reportGroupName: testReportGroupName(model),
      type: codebuild.ReportGroupType.TEST,
    });
    this.coverageReports = new codebuild.ReportGroup(this, 'CoverageReports', {
      reportGroupName: coverageReportGroupName(model),
      type: codebuild.ReportGroupType.CODE_COVERAGE,
    });
    this.synthRole = new iam.Role(this, 'SynthRole', {
      description: `CodeBuild role of the ${pipelineName(model)} synth step: tests, secret scan, cdk synth`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    });
    // grantWrite gives BatchPutTestCases on a TEST group and BatchPutCodeCoverages on a CODE_COVERAGE one.
    this.testReports.grantWrite(this.synthRole);
    this.coverageReports.grantWrite(this.synthRole);

    const [synth] = RELEASE_DEFINITION.build;
    if (synth?.name !== 'Synth') throw new Error("build-actions.ts RELEASE_DEFINITION.build: the first action must be 'Synth', the step CDK Pipelines synthesizes with");
    this.synthStep = new pipelines.CodeBuildStep(synth.name, {
      input: this.source,
      commands: [...synth.commands],
      primaryOutputDirectory: 'cdk.out',
      role: this.synthRole,
      buildEnvironment: { computeType: computeTypeOf(synth.computeType) },
      env: { CI: 'true' },
      // CodeBuild reads the reports after the build phase, pass or fail: a failing test shows there.
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        reports: {
          [testReportGroupArn(model)]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' },
          [coverageReportGroupArn(model)]: { files: [COVERAGE_REPORT.file], 'base-directory': COVERAGE_REPORT.directory, 'file-format': COVERAGE_REPORT.format },
        },
      }),
    });

    this.cliBundle = this.synthStep.addOutputDirectory(CLI_BUNDLE.directory);

    this.buildLogs = new BuildLogs(this, 'BuildLogs', { logGroupName: `/dynconf/${model.workload.workload}/pipeline` });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: pipelineName(model),
      pipelineType: codepipeline.PipelineType.V2,
      crossAccountKeys: true,
      enableKeyRotation: true,
      selfMutation: true,
      synth: this.synthStep,
      cliVersion: pinnedCdkCliVersion(),
      // One asset-publishing project per asset type instead of one per asset.
      publishAssetsInParallel: false,
      // Every project, CDK's own (self-mutation, assets, awaits) included, on the pinned image.
      codeBuildDefaults: { buildEnvironment: { buildImage: this.buildImage }, logging: { cloudWatch: { logGroup: this.buildLogs.logGroup } } },
    });

    this.plan = plan ?? planAppConfig(model);
    const scopeOfStages = stageScope ?? scope;
    const checks = new Map<string, EnvironmentChecks>();
    const guards = new Map<string, pipelines.CodeBuildStep>();
    const lane = emergencyLaneOf(model);
    const approvals = new Map<string, pipelines.ManualApprovalStep>();
    const stages: EnvironmentStage[] = [];
    const partsStages: EnvironmentPartsStage[] = [];
    for (const step of model.pipeline) {
      // Each range of layout parts gets a CodePipeline stage of its own, within CodePipeline's
      // 50 actions a stage; one range (the sample) is the step's one stage, as ever.
      const chunks = deploymentChunks(model, this.plan, step);
      chunks.forEach((range, index) => {
        const last = index === chunks.length - 1;
        const waveName = chunkWaveName(step, range, index);
        const wave = this.pipeline.addWave(waveName);
        if (index === 0 && step.manualApproval) {
          const approval = new pipelines.ManualApprovalStep(`Approve-${step.name}`, { comment: approvalComment(model, step) });
          wave.addPre(approval);
          approvals.set(step.name, approval);
        }
        const chunkStages = new Map<string, AppConfigStage & cdk.Stage>();
        for (const environment of step.environments) {
          const stage =
            index === 0
              ? new EnvironmentStage(scopeOfStages, environment, { model, environment, plan: this.plan, parts: range })
              : new EnvironmentPartsStage(scopeOfStages, `${environment}-parts-${range.first}-${range.last}`, { model, environment, plan: this.plan, parts: range });
          if (stage instanceof EnvironmentStage) stages.push(stage);
          else partsStages.push(stage);
          chunkStages.set(environment, stage);
        }
        for (const environment of step.environments) {
          const stage = chunkStages.get(environment)!;
          // Created with the first range (the guard uses its role), placed after the last.
          if (index === 0) checks.set(environment, new EnvironmentChecks(this, { model, environment, source: this.source, testReports: this.testReports, cli: this.cliBundle }));
          // The gate and verify follow the environment's last range: its rollout is complete only then.
          const envChecks = last ? checks.get(environment) : undefined;
          const stackSteps = this.sameWaveOrdering(stage, step, range, chunkStages);
          if (lane && stage instanceof EnvironmentStage) {
            const guard = this.emergencyGuard(model, stage, checks.get(environment)!);
            guards.set(environment, guard);
            stackSteps.push(...stage.appConfigStacks.map((stack) => ({ stack, pre: [guard] })));
          }
          // CDK Pipelines names a one-stage wave after its stage; this keeps the wave's name.
          const stageName = step.environments.length === 1 ? waveName : environment;
          wave.stages.push(pipelines.StageDeployment.fromStage(stage, { stageName, post: envChecks?.steps ?? [], stackSteps }));
        }
      });
    }
    this.stages = stages;
    this.partsStages = partsStages;
    this.checks = checks;
    this.emergencyGuards = guards;
    this.approvals = approvals;

    // Built now rather than at synth, so that its resources exist to be hardened and checked.
    this.pipeline.buildPipeline();
    this.parallelBuildActions = this.addParallelBuildActions(model, RELEASE_DEFINITION.build.slice(1));
    if (lane) {
      // Beside the main pipeline, on its image, log group and (hardened) artifact bucket.
      this.emergencyLane = new EmergencyLane(this, 'EmergencyLane', {
        model,
        lane,
        buildImage: this.buildImage,
        logGroup: this.buildLogs.logGroup,
        artifactBucket: this.pipeline.pipeline.artifactBucket,
      });
    }
    const prCheck = pullRequestCheckOf(model);
    if (prCheck) {
      // Beside the pipeline, sharing nothing with it but the image: it runs pull requests' code.
      this.pullRequestCheck = new PullRequestCheck(this, 'PullRequestCheck', { model, check: prCheck, buildImage: this.buildImage });
    }
    this.hardenArtifactStores();
  }

  /**
   * The step that runs `dynconf rollout guard` for one environment, as the gate step role
   * through the environment's gate role (read-only AppConfig), on the commit the pipeline
   * deploys, publishing its JUnit report as the gate does. It reads the readers stack's output, so CDK Pipelines runs it after that stack
   * (the gate role exists even on an environment's first deployment) and, as a pre step of
   * each AppConfig environment stack of the stage, before any of them.
   */
  private emergencyGuard(model: Model, stage: EnvironmentStage, envChecks: EnvironmentChecks): pipelines.CodeBuildStep {
    const environment = stage.environmentName;
    return new pipelines.CodeBuildStep(`EmergencyGuard-${environment}`, {
      input: this.source,
      additionalInputs: cliBundleInput(this.cliBundle),
      role: envChecks.role,
      buildEnvironment: { computeType: computeTypeOf(RELEASE_DEFINITION.checkStepCompute) },
      env: { CI: 'true', AWS_CONFIG_FILE: GATE_AWS_CONFIG_FILE, AWS_PROFILE: GATE_PROFILE, COMMIT_ID: this.source.sourceAttribute('CommitId') },
      envFromCfnOutputs: { GATE_ROLE_ARN: stage.readersStack.node.findChild(READERS_OUTPUT) as cdk.CfnOutput },
      installCommands: [...RELEASE_DEFINITION.checkStepInstall],
      timeout: cdk.Duration.minutes(CHECK_STEP_OVERHEAD_MINUTES + GUARD_MINUTES),
      commands: [writeGateAwsConfigCommand(model, environment), reportingDynconfCommand(`rollout guard --env ${environment} --commit "$COMMIT_ID"`)],
      partialBuildSpec: stepReportsBuildSpec(model),
    });
  }

  /**
   * Actions beside the synth step in the Build stage, with its runOrder: CodePipeline runs
   * them at the same time, and the stage (so the release, before UpdatePipeline) fails when
   * any of them fails. CDK Pipelines has no parallel step before self-mutation, so they are
   * added to the built pipeline. Each reads the source artifact, runs on the pipeline's
   * image and log group, and publishes jest's JUnit report to the test report group.
   */
  private addParallelBuildActions(model: Model, definitions: readonly BuildActionDefinition[]): Map<string, { project: codebuild.PipelineProject; role: iam.Role }> {
    const out = new Map<string, { project: codebuild.PipelineProject; role: iam.Role }>();
    if (definitions.length === 0) return out;
    const cp = this.pipeline.pipeline;
    const source = cp.stages.find((st) => st.stageName === 'Source')?.actions[0]?.actionProperties.outputs?.[0];
    const build = cp.stages.find((st) => st.stageName === 'Build');
    const synthAction = build?.actions.find((a) => a.actionProperties.actionName === 'Synth');
    if (!source || !build || !synthAction) throw new Error('the built pipeline has no Source artifact, Build stage or Synth action to run the parallel build actions beside');
    for (const d of definitions) {
      const role = new iam.Role(this, `${d.name}Role`, {
        description: `CodeBuild role of the ${pipelineName(model)} ${d.name} action, beside the synth step`,
        assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      });
      this.testReports.grantWrite(role);
      const project = new codebuild.PipelineProject(this, `${d.name}Project`, {
        description: `${pipelineName(model)}: ${d.name}, beside the synth step`,
        role,
        encryptionKey: cp.artifactBucket.encryptionKey,
        environment: { buildImage: this.buildImage, computeType: computeTypeOf(d.computeType) },
        logging: { cloudWatch: { logGroup: this.buildLogs.logGroup } },
        environmentVariables: { CI: { value: 'true' } },
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          phases: { build: { commands: [...d.commands] } },
          reports: { [testReportGroupArn(model)]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' } },
        }),
      });
      build.addAction(new codepipelineActions.CodeBuildAction({ actionName: d.name, project, input: source, runOrder: synthAction.actionProperties.runOrder ?? 1 }));
      out.set(d.name, { project, role });
    }
    return out;
  }

  /** The artifact bucket of the pipeline's region and the replication bucket of every other. */
  private hardenArtifactStores(): void {
    const cp = this.pipeline.pipeline;
    const buckets = [cp.artifactBucket, ...Object.values(cp.crossRegionSupport).map((support) => support.replicationBucket)];
    for (const bucket of buckets) {
      expireArtifacts(bucket);
      if (bucket.encryptionKey) restrictKmsGrantsToAwsServices(bucket.encryptionKey);
      acknowledgeArtifactBucket(bucket);
    }
    acknowledgePipelineGrants(this, buckets);
    acknowledgeBuildImage(this, this.buildImage);
  }

  /**
   * Stages of one wave deploy in parallel, and a stack of one stage cannot depend on a
   * stack of another. One thing a stage needs can come from another stage of its wave:
   * the AppConfig IDs its environment stacks read from SSM (the shared stack belongs to
   * the first environment of the account and region). A step that reads an output of the
   * other stage's stack runs before the stack that needs it: CDK Pipelines orders a step
   * after the stack whose output it consumes.
   */
  private sameWaveOrdering(stage: AppConfigStage, step: PipelineStep, range: PartRange, chunkStages: ReadonlyMap<string, AppConfigStage>): pipelines.StackSteps[] {
    const env = stage.environmentName;
    const waits = new Map<cdk.Stack, pipelines.Step[]>();
    const wait = (consumer: cdk.Stack, producer: cdk.Stack, output: string, what: string) => {
      const id = `Await-${producer.stackName}-for-${env}`;
      const existing = [...waits.values()].flat().find((w) => w.id === id);
      const awaitStep =
        existing ??
        new pipelines.CodeBuildStep(id, {
          input: this.source,
          envFromCfnOutputs: { PRODUCED: producer.node.findChild(output) as cdk.CfnOutput },
          commands: [`echo "${producer.stackName} is deployed (${what}: $PRODUCED); ${env} goes on"`],
        });
      waits.set(consumer, [...(waits.get(consumer) ?? []), awaitStep]);
    };
    for (const stack of stage.appConfigStacks) {
      for (const shared of sharedStacksRead(this.plan, stack.plan)) {
        // Deployed by an earlier step, or by an earlier CodePipeline stage of this one.
        if (shared.owner === env || !step.environments.includes(shared.owner) || shared.part < range.first) continue;
        const producer = chunkStages.get(shared.owner)?.sharedStacks.find((st) => st.stackName === shared.stackName);
        if (!producer) throw new Error(`stage ${shared.owner} has no shared stack ${shared.stackName} that ${env} reads`);
        wait(stack, producer, STACK_ID_OUTPUT, 'AppConfig IDs published');
      }
    }
    return [...waits.entries()].map(([stack, pre]) => ({ stack, pre }));
  }
}

function approvalComment(model: Model, step: PipelineStep): string {
  const before = model.pipeline.slice(0, step.order).flatMap((s) => s.environments);
  return `Deploy ${step.name} (${step.environments.join(', ')}). ${before.join(', ')} are COMPLETE and verified; check them with 'npx dynconf rollout status --env <env>' before approving.`;
}
