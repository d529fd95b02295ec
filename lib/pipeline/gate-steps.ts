/**
 * The pipeline's post steps for one environment, run in CodeBuild in the pipeline
 * account: the rollout gate (`dynconf rollout wait`) and the data-plane checks (`dynconf
 * verify`, with `--acceptance` in gamma and prod), each called as reportingDynconfCommand()
 * writes it: Node on the CLI bundle the synth step built (build-actions.ts CLI_BUNDLE), an
 * input of the step placed in its checkout, so the step installs nothing. Each writes a JUnit report (`--junit`) that its buildspec publishes to the pipeline's
 * test report group, so that a failed gate shows in the report, not only in the log. Each assumes the environment's RolloutGateRole: the build writes an AWS
 * shared-config profile whose `role_arn` is that role and whose `credential_source =
 * EcsContainer` is the CodeBuild role, and sets AWS_PROFILE, so the JS SDK's default chain
 * in `dynconf` assumes the role, and assumes it again when the one-hour session of a
 * chained role runs out during a long gate.
 */
import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { Model, Tier } from '../model';
import { bundledDynconfCommand, CLI_BUNDLE, RELEASE_DEFINITION } from './build-actions';
import { GATE_PROFILE, gateRoleArn, gateStepRoleName, testReportGroupArn } from './names';

/** Where the step writes the profile: outside the checkout, so nothing could commit or upload it. */
export const GATE_AWS_CONFIG_FILE = '/tmp/dynconf-aws-config';

/**
 * Minutes added to what AppConfig needs when workload.json sets no gateTimeoutMinutes:
 * AppConfig starting each queued deployment, the gate's polling interval, retries.
 */
export const GATE_MARGIN_MINUTES = 15;

/**
 * How many times its modelled start (pipeline-minutes.ts PIPELINE_FIGURES, which AWS
 * publishes no durations for) a build's timeout allows for everything besides its
 * command's own limit. The former 20 minutes for a check step that ran `npm ci` was about
 * that over its start plus `npm ci` (1.5 + 1.5 minutes); test/pipeline/pipeline-minutes.test.ts
 * checks both overheads below against it, so a check step that starts installing again
 * fails there until its overhead grows.
 */
export const BUILD_OVERHEAD_HEADROOM = 6;

/**
 * Minutes of a check step's CodeBuild timeout (rollout gate, verify, emergency guard)
 * besides its command's own limit. A limit, not an estimate: pipeline-minutes.ts holds the
 * estimates. It counts what the build does around the command, which since the steps take
 * the CLI bundle is: provisioning on the pinned image pulled from the pipeline account's
 * ECR, downloading the source zip and the bundle artifact (a few MB), linking the bundle
 * into the checkout, writing the AWS profile, and after the command publishing its JUnit
 * report. Queueing is not in it: CodeBuild bounds a build's time in the queue with a
 * timeout of its own (`queuedTimeoutInMinutes`, default 8 hours). So 10 minutes: over
 * BUILD_OVERHEAD_HEADROOM times PIPELINE_FIGURES.codeBuildStart (1.5 minutes, itself
 * counting queueing and the source download).
 *
 * Why that is safe for the gate. The gate's `--timeout` (gateTimeoutMinutes) already
 * covers AppConfig's worst case plus GATE_MARGIN_MINUTES, counted from when `rollout wait`
 * starts, which is after CloudFormation started the deployments: a slow build start makes
 * the gate more lenient, never less. The CodeBuild timeout is `--timeout` plus this, so it
 * fires before dynconf's own limit only if the work around the command takes over 10
 * minutes; then the build stops without its JUnit report, and it is a false failure only
 * if AppConfig would still have completed within the gate's margin. What the lower figure
 * buys: a step stuck before or after its command (an image pull or artifact download that
 * hangs) stops the pipeline 10 minutes sooner; a healthy run takes the same time.
 */
export const CHECK_STEP_OVERHEAD_MINUTES = 10;

/**
 * Minutes of the timeout of a build that still runs `npm ci` in its own install phase
 * (the emergency lane) besides its commands' limits: the start above plus installing
 * the lockfile's packages (PIPELINE_FIGURES.npmCi) and the CLI build `prepare` runs.
 */
export const NPM_CI_BUILD_OVERHEAD_MINUTES = 20;

/** Minutes a verify step may spend on its reads (its `--timeout` for retries is 5) besides CHECK_STEP_OVERHEAD_MINUTES. */
export const VERIFY_MINUTES = 10;

/** Minutes an emergency guard may spend on its reads of AppConfig besides CHECK_STEP_OVERHEAD_MINUTES. */
export const GUARD_MINUTES = 10;

/**
 * The dynconf entry of a checkout with node_modules: what package.json's npm scripts run
 * (`"dynconf": "node bin/dynconf.js"`), the compiled CLI that `npm ci` builds through
 * `prepare` (scripts/build-cli.js) and that rebuilds itself first should it be missing or
 * stale. test/pipeline/pr-check.test.ts checks it is package.json's.
 */
export const CHECKOUT_DYNCONF_ENTRY = 'bin/dynconf.js';

/**
 * How a build with the checkout and `npm ci` (the emergency lane, the PR check) runs the
 * dynconf CLI: `node` on CHECKOUT_DYNCONF_ENTRY, as package.json's scripts do, so no
 * TypeScript loader (bin/dynconf.ts through tsx takes most of a second a call). Not
 * `npx dynconf`, which executes the bin through its `node_modules/.bin` link and so needs
 * its exec bit: the source reaches CodeBuild as the zip CodeConnections writes, and a zip
 * need not keep file modes; `node` only reads the file. Only in a build whose install phase
 * runs `npm ci` (the tests check every buildspec). The pipeline's check steps, which install
 * nothing, run the bundled CLI instead (reportingDynconfCommand).
 */
export function dynconfCommand(args: string): string {
  return `node ${CHECKOUT_DYNCONF_ENTRY} ${args}`;
}

/**
 * Minutes AppConfig may take in the worst case to finish a change in one environment:
 * it runs one deployment at a time per environment, so a change to every profile of the
 * application with the most profiles queues that many deployments, each lasting the
 * strategy's duration plus its final bake. Counted from the gate's start, which comes
 * after CloudFormation has started the deployments.
 */
export function requiredGateMinutes(model: Model, environment: string): number {
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
  const strategy = model.workload.strategies[config.strategy]!;
  const queue = Math.max(1, ...model.applications.map((a) => a.profiles.length));
  return queue * (strategy.deploymentDurationMinutes + strategy.finalBakeTimeMinutes);
}

/**
 * The gate's `--timeout` for an environment: pipeline.gateTimeoutMinutes when set, which
 * must cover the worst case (a shorter gate would fail a good change still baking and
 * stop the pipeline), else the worst case plus GATE_MARGIN_MINUTES.
 */
export function gateTimeoutMinutes(model: Model, environment: string): number {
  const required = requiredGateMinutes(model, environment);
  const configured = model.workload.pipeline.gateTimeoutMinutes;
  if (configured === undefined) return required + GATE_MARGIN_MINUTES;
  if (configured < required) {
    const e = model.workload.environments[environment]!;
    const queue = Math.max(1, ...model.applications.map((a) => a.profiles.length));
    throw new Error(
      `config/workload.json pipeline.gateTimeoutMinutes: ${configured} minutes is shorter than a change to ${environment} can take ` +
        `(${queue} queued deployments x strategy '${e.strategy}' duration + final bake = ${required} minutes); ` +
        `set it to at least ${required}, or remove it to let the pipeline compute each gate's limit`,
    );
  }
  return configured;
}

/** The shared-config profile that makes the SDK assume the environment's gate role. */
export function gateAwsConfig(model: Model, environment: string): string {
  return [`[profile ${GATE_PROFILE}]`, `role_arn = ${gateRoleArn(model, environment)}`, 'credential_source = EcsContainer', `role_session_name = dynconf-${environment}`, ''].join('\n');
}

/** The shell command that writes gateAwsConfig() to GATE_AWS_CONFIG_FILE. */
export function writeGateAwsConfigCommand(model: Model, environment: string): string {
  const lines = gateAwsConfig(model, environment).split('\n').slice(0, -1);
  for (const line of lines) {
    // Names and ARNs come from schema-checked keys; a quote would break the command.
    if (line.includes("'")) throw new Error(`gate profile line ${JSON.stringify(line)} contains a single quote`);
  }
  return `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > "$AWS_CONFIG_FILE"`;
}

/**
 * Where each test step (gate, verify, emergency guard) writes its JUnit report, relative to
 * the checkout. Every step is a build of its own, so one name serves them all; it is not
 * jest-junit's `reports/junit.xml` so that the two can never be taken for each other.
 */
export const STEP_JUNIT_REPORT = { directory: 'reports', file: 'dynconf-junit.xml' } as const;

/**
 * A check step's dynconf call (gate, verify, emergency guard), which also writes the step's
 * JUnit report: Node on the CLI bundle the synth step built, so the step installs nothing.
 */
export function reportingDynconfCommand(args: string): string {
  return bundledDynconfCommand(`${args} --junit ${STEP_JUNIT_REPORT.directory}/${STEP_JUNIT_REPORT.file}`);
}

/**
 * The buildspec part that publishes STEP_JUNIT_REPORT to the pipeline's test report group,
 * named by ARN (see testReportGroupArn). CodeBuild reads reports after the build phase,
 * pass or fail, so a failing gate's report is published too.
 */
export function stepReportsBuildSpec(model: Model): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    reports: { [testReportGroupArn(model)]: { files: [STEP_JUNIT_REPORT.file], 'base-directory': STEP_JUNIT_REPORT.directory, 'file-format': 'JUNITXML' } },
  });
}

/**
 * What the data-plane check after an environment's gate runs, by tier: the integration
 * test in beta, and the acceptance test in gamma and in every prod environment.
 *
 * Prod runs the same `verify --acceptance` as gamma: it only reads (StartConfigurationSession
 * and GetLatestConfiguration on the data plane, as any client of the environment does), so
 * it writes nothing and starts no deployment, and the role it runs as cannot (gate-role.ts).
 * It is the check that matters most there: that the bytes every prod service now gets are
 * the ones this commit compiled, that no server-only flag reached the browser profile, and
 * that each ops document passes its schema.
 */
export function verifyCommandOf(tier: Tier, environment: string): string {
  if (tier === 'beta') return reportingDynconfCommand(`verify --env ${environment}`);
  return reportingDynconfCommand(`verify --env ${environment} --acceptance`);
}

export interface EnvironmentChecksProps {
  readonly model: Model;
  readonly environment: string;
  /** The pipeline's source: the steps run `dynconf` from the same commit the pipeline deploys. */
  readonly source: pipelines.IFileSetProducer;
  /** The pipeline's test report group (named testReportGroupName), where the steps publish their JUnit reports. */
  readonly testReports: codebuild.IReportGroup;
  /** The synth step's CLI_BUNDLE directory: every step runs dynconf from it. */
  readonly cli: pipelines.FileSet;
}

/**
 * How a check step receives the CLI: the synth step's output, placed at CLI_BUNDLE's path
 * inside the checkout (the working directory, whose config/ and flags/ dynconf reads).
 */
export function cliBundleInput(cli: pipelines.FileSet): Record<string, pipelines.FileSet> {
  return { [CLI_BUNDLE.directory]: cli };
}

/** CodeBuild's name for a ComputeSize. */
export function computeTypeOf(size: 'SMALL' | 'MEDIUM'): codebuild.ComputeType {
  return size === 'SMALL' ? codebuild.ComputeType.SMALL : codebuild.ComputeType.MEDIUM;
}

/**
 * The gate and verify steps of one environment, and their CodeBuild role (fixed name,
 * trusted by the environment's RolloutGateRole, allowed to assume nothing else, and to
 * write test reports to the pipeline's test report group only).
 */
export class EnvironmentChecks {
  readonly role: iam.Role;
  readonly gate: pipelines.CodeBuildStep;
  readonly verify: pipelines.CodeBuildStep;
  readonly timeoutMinutes: number;

  constructor(scope: Construct, props: EnvironmentChecksProps) {
    const { model, environment } = props;
    const config = model.workload.environments[environment];
    if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
    this.timeoutMinutes = gateTimeoutMinutes(model, environment);

    this.role = new iam.Role(scope, `GateStepRole-${environment}`, {
      roleName: gateStepRoleName(model, environment),
      description: `CodeBuild role of the dynconf rollout gate and verify steps of ${environment}; may only assume ${gateRoleArn(model, environment)}`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [gateRoleArn(model, environment)] }));
    // CreateReport, UpdateReport, BatchPutTestCases on that one group: what publishing needs.
    props.testReports.grantWrite(this.role);

    const common = {
      input: props.source,
      additionalInputs: cliBundleInput(props.cli),
      role: this.role,
      // The image is the pipeline's (codeBuildDefaults: build-image.ts).
      buildEnvironment: { computeType: computeTypeOf(RELEASE_DEFINITION.checkStepCompute) },
      env: { CI: 'true', AWS_CONFIG_FILE: GATE_AWS_CONFIG_FILE, AWS_PROFILE: GATE_PROFILE },
      // Nothing to install: the CLI bundle carries its dependencies.
      installCommands: [...RELEASE_DEFINITION.checkStepInstall],
      partialBuildSpec: stepReportsBuildSpec(model),
    };
    this.gate = new pipelines.CodeBuildStep(`RolloutGate-${environment}`, {
      ...common,
      timeout: cdk.Duration.minutes(this.timeoutMinutes + CHECK_STEP_OVERHEAD_MINUTES),
      commands: [writeGateAwsConfigCommand(model, environment), reportingDynconfCommand(`rollout wait --env ${environment} --timeout ${this.timeoutMinutes}`)],
    });
    this.verify = new pipelines.CodeBuildStep(`Verify-${environment}`, {
      ...common,
      timeout: cdk.Duration.minutes(CHECK_STEP_OVERHEAD_MINUTES + VERIFY_MINUTES),
      commands: [writeGateAwsConfigCommand(model, environment), verifyCommandOf(config.tier, environment)],
    });
    // While a rollout is in progress, the data plane serves either version.
    this.verify.addStepDependency(this.gate);
  }

  /** The post steps, in the order they run. */
  get steps(): pipelines.Step[] {
    return [this.gate, this.verify];
  }
}
