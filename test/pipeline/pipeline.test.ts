/**
 * The pipeline stack of the sample, as bin/app.ts builds it (synthesized once, with the
 * cdk-nag and CFN Guard checks): its type and source, the order of its stages and waves
 * from workload.json, the gate after every environment, the checks after it (acceptance in
 * gamma and prod), the approval, the synth step and its reports, and a scrubbed snapshot.
 * Every test step's reports: reports.test.ts; prod's acceptance: prod-acceptance.test.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { buildImageOf, buildImageUri } from '../../lib/pipeline/build-image';
import { emergencyBuildTimeoutMinutes, emergencyLaneOf } from '../../lib/pipeline/emergency-lane';
import { CHECK_STEP_OVERHEAD_MINUTES, CHECKOUT_DYNCONF_ENTRY, dynconfCommand, gateTimeoutMinutes, GUARD_MINUTES, NPM_CI_BUILD_OVERHEAD_MINUTES, STEP_JUNIT_REPORT, VERIFY_MINUTES } from '../../lib/pipeline/gate-steps';
import { gateRoleArn, gateStepRoleName, pipelineName, testReportGroupArn, testReportGroupName } from '../../lib/pipeline/names';
import { BUILD_CLI_COMMAND, bundledDynconfCommand, CLI_BUNDLE, RELEASE_DEFINITION } from '../../lib/pipeline/build-actions';
import { environmentStageLayers, releaseMinutes } from '../../lib/pipeline/pipeline-minutes';
import { COVERAGE_REPORT, coverageReportGroupArn, coverageReportGroupName, JUNIT_REPORT, PipelineStack, pinnedCdkCliVersion, SYNTH_COMMANDS } from '../../lib/pipeline/pipeline-stack';
import { REPO_ROOT, rmrf } from '../support/workspace';
import { actions, synthesize, validationReport, withWorkload, type SynthesizedApp } from './support';

interface Action {
  readonly Name: string;
  readonly RunOrder: number;
  readonly ActionTypeId: { readonly Category: string; readonly Provider: string };
  readonly Configuration?: Record<string, unknown> & { ProjectName?: { Ref: string } };
}
interface PipelineStage {
  readonly Name: string;
  readonly Actions: Action[];
}
interface BuildSpec {
  readonly phases: Record<string, { commands: string[] }>;
  readonly reports?: Record<string, Record<string, unknown>>;
}

let s: SynthesizedApp;
let template: Template;
let stages: PipelineStage[];

beforeAll(() => {
  s = synthesize();
  template = Template.fromJSON(s.assembly.getStackByName(s.pipeline.stackName).template as Record<string, unknown>);
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]!;
  stages = pipeline.Properties.Stages as PipelineStage[];
});

afterAll(() => rmrf(s.outdir));

const model = () => s.model;
const stage = (name: string) => stages.find((st) => st.Name === name)!;
/** The step (stage or wave) that deploys an environment, and its actions for that environment. */
function environmentActions(env: string): { stage: PipelineStage; actions: Action[] } {
  const step = model().pipeline.find((p) => p.environments.includes(env))!;
  const st = stage(step.name);
  return { stage: st, actions: step.environments.length === 1 ? st.Actions : st.Actions.filter((a) => a.Name.startsWith(`${env}.`)) };
}
const project = (a: Action) => template.toJSON().Resources[a.Configuration!.ProjectName!.Ref] as { Properties: Record<string, unknown> };
const buildSpec = (a: Action) => JSON.parse((project(a).Properties.Source as { BuildSpec: string }).BuildSpec) as BuildSpec;
/** jest.config.js as jest reads it with these variables, evaluated in a fresh Node (jest's module registry caches it here). */
function loadJestConfig(env: Record<string, string>): { collectCoverage: boolean; coverageThreshold: unknown; coverageReporters: unknown[]; coverageDirectory: string } {
  const { DYNCONF_TESTS: _selection, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(require("./jest.config.js")))'], { cwd: REPO_ROOT, env: { ...inherited, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as ReturnType<typeof loadJestConfig>;
}
const isError = (setting: unknown) => [setting].flat()[0] === 2 || [setting].flat()[0] === 'error';
const named = (acts: Action[], name: string) => acts.find((a) => a.Name === name || a.Name.endsWith(`.${name}`));

test('a V2 pipeline with KMS keys for cross-account deployments that updates itself', () => {
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2', Name: 'g360-dynconf', RestartExecutionOnUpdate: true });
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, KeyPolicy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Principal: { AWS: Match.anyValue() } })]) }) });
  const selfMutate = stage('UpdatePipeline').Actions.find((a) => a.Name === 'SelfMutate')!;
  // The CLI the checkout pins, not npm's `latest` tag (an older 3.0.0 that cannot read this assembly).
  expect(buildSpec(selfMutate).phases.install!.commands).toContain(`npm install -g aws-cdk@${pinnedCdkCliVersion()}`);
});

test('the source is the CodeConnections repository, branch and connection of workload.json', () => {
  const source = model().workload.pipeline.source;
  expect(stage('Source').Actions).toEqual([
    expect.objectContaining({
      ActionTypeId: expect.objectContaining({ Provider: 'CodeStarSourceConnection' }),
      Configuration: { ConnectionArn: source.connectionArn, FullRepositoryId: source.repository, BranchName: source.branch },
    }),
  ]);
});

test('stages follow workload.json: the stages in order, then each wave', () => {
  expect(stages.map((st) => st.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'beta', 'gamma', 'prod-wave-1', 'prod-wave-2']);
  expect(stages.slice(4).map((st) => st.Name)).toEqual(model().pipeline.map((p) => p.name));
});

test("a wave's environments deploy in parallel", () => {
  const wave = stage('prod-wave-2');
  const order = (env: string) => wave.Actions.filter((a) => a.Name.startsWith(`${env}.`)).map((a) => [a.Name.slice(env.length + 1).replaceAll(env, '<env>'), a.RunOrder]);
  expect(order('prod-02').length).toBeGreaterThan(2);
  expect(order('prod-02')).toEqual(order('prod-03'));
  expect(wave.Actions.every((a) => a.Name.startsWith('prod-02.') || a.Name.startsWith('prod-03.'))).toBe(true);
});

test('after every environment, its rollout gate, once all its stacks are deployed', () => {
  for (const env of model().environments) {
    const { actions: acts } = environmentActions(env);
    const gate = named(acts, `RolloutGate-${env}`);
    expect([env, gate?.ActionTypeId.Provider]).toEqual([env, 'CodeBuild']);
    const deploys = acts.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(deploys.length).toBeGreaterThan(0);
    expect(gate!.RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder)));

    const timeout = gateTimeoutMinutes(model(), env);
    const spec = buildSpec(gate!);
    expect(spec.phases.build!.commands).toEqual([
      expect.stringContaining(`role_arn = ${gateRoleArn(model(), env)}`),
      `node dist/cli-standalone/dynconf.cjs rollout wait --env ${env} --timeout ${timeout} --junit ${STEP_JUNIT_REPORT.directory}/${STEP_JUNIT_REPORT.file}`,
    ]);
    expect(project(gate!).Properties).toMatchObject({
      TimeoutInMinutes: timeout + CHECK_STEP_OVERHEAD_MINUTES,
      ServiceRole: { 'Fn::GetAtt': [expect.stringMatching(/^GateStepRole/), 'Arn'] },
      Environment: expect.objectContaining({
        EnvironmentVariables: expect.arrayContaining([
          { Name: 'AWS_PROFILE', Type: 'PLAINTEXT', Value: 'dynconf-rollout-gate' },
          { Name: 'AWS_CONFIG_FILE', Type: 'PLAINTEXT', Value: '/tmp/dynconf-aws-config' },
        ]),
      }),
    });
  }
});

test('after its gate, beta runs the integration test, and gamma and every prod environment the acceptance test', () => {
  const verify = (env: string) => named(environmentActions(env).actions, `Verify-${env}`);
  const gate = (env: string) => named(environmentActions(env).actions, `RolloutGate-${env}`)!;
  const junit = `--junit ${STEP_JUNIT_REPORT.directory}/${STEP_JUNIT_REPORT.file}`;
  expect(buildSpec(verify('beta')!).phases.build!.commands[1]).toBe(`node dist/cli-standalone/dynconf.cjs verify --env beta ${junit}`);
  for (const env of ['gamma', 'prod-01', 'prod-02', 'prod-03']) {
    expect(buildSpec(verify(env)!).phases.build!.commands[1]).toBe(`node dist/cli-standalone/dynconf.cjs verify --env ${env} --acceptance ${junit}`);
  }
  for (const env of model().environments) expect([env, verify(env)!.RunOrder > gate(env).RunOrder]).toEqual([env, true]);
});

test('a manual approval opens prod-wave-1, as workload.json asks, and nothing else waits for one', () => {
  const approvals = stages.flatMap((st) => st.Actions.filter((a) => a.ActionTypeId.Category === 'Approval').map((a) => [st.Name, a.Name, a.RunOrder]));
  expect(approvals).toEqual([['prod-wave-1', 'Approve-prod-wave-1', 1]]);
  expect(model().pipeline.filter((p) => p.manualApproval).map((p) => p.name)).toEqual(['prod-wave-1']);
  expect(stage('prod-wave-1').Actions.filter((a) => a.ActionTypeId.Category !== 'Approval').every((a) => a.RunOrder > 1)).toBe(true);
});

describe('the synth step', () => {
  const synthAction = () => stage('Build').Actions.find((a) => a.Name === 'Synth')!;

  test('runs CI from nothing, the secret scan and cdk synth, on the pinned image', () => {
    expect(buildSpec(synthAction()).phases.build!.commands).toEqual([...SYNTH_COMMANDS]);
    expect(project(synthAction()).Properties.Environment).toMatchObject({ ComputeType: 'BUILD_GENERAL1_MEDIUM' });
    expect(imageOf(project(synthAction()).Properties)).toBe(buildImageUri(model()));
    // .ci/run is what makes the first command the README's test command; ensure-chromium skips the browser under the synth step's selection.
    expect(SYNTH_COMMANDS[0]).toBe('DYNCONF_TESTS=without-chromium bash .ci/run');
    const ci = fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^bash \.ci\/ensure-chromium$/m);
    expect(fs.readFileSync(path.join(REPO_ROOT, '.ci/ensure-chromium'), 'utf8')).toMatch(/apt-get install -y[^\n]* chromium/);
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  test('runs SAST and coverage: its npm test lints with the security rule sets as errors and runs jest with coverage held to the floor', () => {
    expect(buildSpec(synthAction()).phases.build!.commands.some((c) => /(^|\s)bash \.ci\/run$/.test(c))).toBe(true);
    expect(fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test!.split(' && ')).toEqual(expect.arrayContaining(['npm run lint', 'jest']));
    expect(scripts.lint).toBe('eslint --max-warnings 0 .');
    // What eslint applies to shipped TypeScript and to the browser scripts: the SAST rule sets, as errors.
    // eslint.config.mjs is ESM, which jest's module loader cannot import: ask eslint itself, as npm test runs it.
    const printConfig = (file: string) =>
      (JSON.parse(execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/eslint/bin/eslint.js'), '--print-config', file], { cwd: REPO_ROOT, encoding: 'utf8' })) as { rules: Record<string, unknown> }).rules;
    const ts = printConfig('lib/model/load.ts');
    for (const rule of ['security/detect-eval-with-expression', 'security/detect-child-process', 'security/detect-unsafe-regex', '@typescript-eslint/no-floating-promises', '@typescript-eslint/no-implied-eval']) {
      expect([rule, isError(ts[rule])]).toEqual([rule, true]);
    }
    expect(isError(printConfig('lib/runtime/browser/openfeature-provider.js')['no-unsanitized/property'])).toBe(true);
    // jest under `npm test` (npm_lifecycle_event=test): coverage on, the floor as its threshold, Cobertura for the report group.
    const floor = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, '.ci/coverage-floor.json'), 'utf8')) as Record<string, number>;
    const config = loadJestConfig({ npm_lifecycle_event: 'test' });
    expect(config.collectCoverage).toBe(true);
    expect(config.coverageThreshold).toEqual({ global: { statements: floor.statements, branches: floor.branches, functions: floor.functions, lines: floor.lines } });
    expect(config.coverageReporters).toContainEqual(['cobertura', { file: COVERAGE_REPORT.file }]);
    expect(config.coverageDirectory).toBe(COVERAGE_REPORT.directory);
  });

  test("publishes jest's JUnit report to the test report group and its coverage to the coverage report group, which its role may write to", () => {
    const reports = buildSpec(synthAction()).reports!;
    expect(reports).toEqual({
      [testReportGroupArn(model())]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' },
      [coverageReportGroupArn(model())]: { files: ['cobertura-coverage.xml'], 'base-directory': 'coverage', 'file-format': 'COBERTURAXML' },
    });
    expect(COVERAGE_REPORT).toEqual({ directory: 'coverage', file: 'cobertura-coverage.xml', format: 'COBERTURAXML' });
    // jest writes where the buildspec reads.
    const jestConfig = createRequire(__filename)(path.join(REPO_ROOT, 'jest.config.js')) as { reporters: [string, { outputDirectory: string; outputName: string }?][] };
    expect(jestConfig.reporters).toContainEqual(['jest-junit', { outputDirectory: JUNIT_REPORT.directory, outputName: JUNIT_REPORT.file }]);

    const groups = template.findResources('AWS::CodeBuild::ReportGroup');
    expect(Object.values(groups).map((g) => g.Properties)).toEqual([
      expect.objectContaining({ Name: testReportGroupName(model()), Type: 'TEST' }),
      expect.objectContaining({ Name: coverageReportGroupName(model()), Type: 'CODE_COVERAGE' }),
    ]);
    const [testGroupId, coverageGroupId] = Object.keys(groups) as [string, string];
    const roleId = (project(synthAction()).Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = roleStatements(template, roleId);
    const on = (groupId: string) => statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [groupId, 'Arn'] }));
    expect(on(testGroupId)).toEqual([{ Action: ['codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:UpdateReport'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [testGroupId, 'Arn'] } }]);
    expect(on(coverageGroupId)).toEqual([{ Action: ['codebuild:BatchPutCodeCoverages', 'codebuild:CreateReport', 'codebuild:UpdateReport'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [coverageGroupId, 'Arn'] } }]);
  });
});

test("each environment's gate and verify steps run as a role of fixed name that may assume only that environment's gate role", () => {
  const roles = template.findResources('AWS::IAM::Role');
  for (const env of model().environments) {
    const [roleId] = Object.entries(roles).find(([, r]) => r.Properties.RoleName === gateStepRoleName(model(), env))!;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const assumes = statements.filter((st) => actions(st).some((a) => a.startsWith('sts:')));
    expect([env, assumes]).toEqual([env, [{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: gateRoleArn(model(), env) }]]);
  }
});

test('every CodeBuild project logs to one log group, kept a year and encrypted with its own rotated key', () => {
  const [groupId, group] = Object.entries(template.findResources('AWS::Logs::LogGroup'))[0]!;
  expect(group.Properties).toMatchObject({ LogGroupName: '/dynconf/g360/pipeline', RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
  const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
  expect(projects.length).toBeGreaterThanOrEqual(10);
  for (const p of projects) expect(p.Properties.LogsConfig).toEqual({ CloudWatchLogs: { GroupName: { Ref: groupId }, Status: 'ENABLED' } });
});

test('cdk-nag (AwsSolutions) and CFN Guard pass on every stack, each acknowledgement with its reason', () => {
  // An AwsSolutions finding makes app.synth() throw (nag.test.ts shows one doing so), so
  // synthesizing at all is its pass; CFN Guard reports each rule it checked.
  const report = validationReport(s);
  for (const plugin of report.pluginReports) expect([plugin.pluginName, plugin.violations]).toEqual([plugin.pluginName, []]);
  const suppressed = report.pluginReports.flatMap((p) => p.suppressedViolations ?? []);
  expect(suppressed.length).toBeGreaterThan(0);
  for (const v of suppressed) expect([v.ruleName, (v.reason ?? '').length > 20]).toEqual([v.ruleName, true]);
});

/** A project's image, with the URL suffix of the standard partition. */
function imageOf(properties: Record<string, unknown>): string {
  const image = (properties.Environment as { Image: unknown }).Image;
  const join = (image as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return image as string;
  return join[1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p) === '{"Ref":"AWS::URLSuffix"}' ? 'amazonaws.com' : JSON.stringify(p))).join(join[0]);
}

/** The statements of every policy attached to a role, by the role's logical ID. */
function roleStatements(t: Template, roleId: string): { Action: string | string[]; Resource: unknown }[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
}

/** The UseConnection statements of the source action's role, and every connection action anywhere in the template. */
function connectionGrants(t: Template): { source: unknown[]; everywhere: string[] } {
  // The main pipeline; the emergency lane's has its own source action on the same connection.
  const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline')).find((p) => p.Properties.Name === pipelineName(model()))!;
  const sourceAction = (pipeline.Properties.Stages as PipelineStage[]).find((st) => st.Name === 'Source')!.Actions[0] as Action & { RoleArn: { 'Fn::GetAtt': [string, string] } };
  const roleId = sourceAction.RoleArn['Fn::GetAtt'][0];
  const source = roleStatements(t, roleId).filter((st) => actions(st).some((a) => a.endsWith(':UseConnection')));
  const everywhere = Object.values(t.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
    .flatMap((st) => actions(st))
    .filter((a) => /^(codeconnections|codestar-connections):/.test(a));
  return { source, everywhere };
}

describe('the source connection', () => {
  test('a codeconnections ARN (the sample): the source role may use it under codeconnections, and nothing grants codestar-connections', () => {
    const arn = model().workload.pipeline.source.connectionArn;
    expect(arn).toMatch(/^arn:aws:codeconnections:/);
    const grants = connectionGrants(template);
    expect(grants.source).toEqual([{ Action: 'codeconnections:UseConnection', Effect: 'Allow', Resource: arn }]);
    // The main source, and the emergency lane's source and clone: all under the ARN's own prefix.
    expect(new Set(grants.everywhere)).toEqual(new Set(['codeconnections:UseConnection']));
  });

  test('a codestar-connections ARN (a connection created before the rename): granted under codestar-connections', () => {
    const arn = 'arn:aws:codestar-connections:us-east-1:111111111111:connection/11111111-1111-1111-1111-111111111111';
    const m = withWorkload(model(), (w) => ({ ...w, pipeline: { ...w.pipeline, source: { ...w.pipeline.source, connectionArn: arn } } }));
    const stack = new PipelineStack(new cdk.App({ analyticsReporting: false }), 'Pipeline', { model: m, plan: s.pipeline.plan });
    const t = Template.fromStack(stack);
    const grants = connectionGrants(t);
    expect(grants.source).toEqual([{ Action: 'codestar-connections:UseConnection', Effect: 'Allow', Resource: arn }]);
    expect(new Set(grants.everywhere)).toEqual(new Set(['codestar-connections:UseConnection']));
    // The action is configured as CodePipelineSource.connection would configure it.
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline')).find((p) => p.Properties.Name === pipelineName(m))!;
    expect((pipeline.Properties.Stages as PipelineStage[])[0]!.Actions[0]!.Configuration).toEqual({ ConnectionArn: arn, FullRepositoryId: m.workload.pipeline.source.repository, BranchName: m.workload.pipeline.source.branch });
  });
});

describe('the build image', () => {
  const projects = () => Object.entries(template.findResources('AWS::CodeBuild::Project'));

  test("every CodeBuild project, CDK's own included, runs the digest-pinned image from the pipeline account's ECR, pulled with its role", () => {
    const { account, region } = model().workload.pipeline;
    const uri = buildImageUri(model());
    expect(uri).toMatch(new RegExp(`^${account}\\.dkr\\.ecr\\.${region}\\.amazonaws\\.com/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$`));
    expect(projects().length).toBeGreaterThanOrEqual(10);
    for (const [id, p] of projects()) {
      expect([id, imageOf(p.Properties), (p.Properties.Environment as { ImagePullCredentialsType?: string }).ImagePullCredentialsType]).toEqual([id, uri, 'SERVICE_ROLE']);
    }
    // No project names a public registry.
    expect(JSON.stringify(projects().map(([, p]) => p.Properties.Environment))).not.toMatch(/public\.ecr\.aws|docker\.io|registry-1\.docker|:20-bookworm/);
  });

  test("each project's role may pull from that repository", () => {
    const repositoryArn = `:ecr:us-east-1:111111111111:repository/${buildImageOf(model()).repository}`;
    for (const [id, p] of projects()) {
      const roleId = (p.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const pulls = roleStatements(template, roleId).filter((st) => JSON.stringify(st.Resource).includes(repositoryArn));
      expect([id, pulls.flatMap((st) => actions(st)).sort()]).toEqual([id, ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']]);
    }
  });
});

test('no buildspec runs dynconf through its exec bit: the check steps run the CLI bundle with node, the emergency lane `node bin/dynconf.js`', () => {
  const commands = Object.values(template.findResources('AWS::CodeBuild::Project')).flatMap((p) => {
    const text = (p.Properties.Source as { BuildSpec: string }).BuildSpec;
    // Asset publishing names a buildspec file it writes into the assembly.
    const spec = (text.startsWith('{') ? JSON.parse(text) : YAML.parse(fs.readFileSync(path.join(s.assembly.directory, text), 'utf8'))) as BuildSpec;
    return Object.values(spec.phases).flatMap((phase) => phase.commands ?? []);
  });
  expect(commands.length).toBeGreaterThan(20);
  expect(commands.filter((c) => /\bnpx\s+dynconf\b|(^|[\s;&|(])\.\/bin\/|(^|[\s;&|(])bin\/dynconf(\.ts|\.js)?\s/.test(c) && !c.startsWith(dynconfCommand('')))).toEqual([]);
  // A gate, a verify step and an emergency guard per environment, on the bundle.
  const bundled = commands.filter((c) => c.includes(CLI_BUNDLE.file));
  expect(bundled.length).toBe(3 * model().environments.length);
  for (const c of bundled) expect(c.startsWith(bundledDynconfCommand(''))).toBe(true);
  // The emergency lane's validate, check and deploy: its own build, with npm ci and the checkout (pr-check.test.ts checks the order).
  const calls = commands.filter((c) => c.includes(CHECKOUT_DYNCONF_ENTRY));
  expect(calls.length).toBe(3);
  for (const c of calls) expect(c.startsWith(dynconfCommand(''))).toBe(true);
  // The synth step calls no dynconf itself (npm scripts do, with node), and cdk is a JS bin npm installed.
  expect(SYNTH_COMMANDS.filter((c) => /dynconf|\.\/bin\//.test(c))).toEqual([]);
});

describe('the Build stage: synth and the browser tests side by side', () => {
  const build = () => stage('Build');
  const browser = () => build().Actions.find((a) => a.Name === 'BrowserTests')!;

  test('holds the actions of RELEASE_DEFINITION.build, all with one runOrder, so CodePipeline runs them at once and stops before UpdatePipeline if any fails', () => {
    expect(build().Actions.map((a) => a.Name)).toEqual(RELEASE_DEFINITION.build.map((d) => d.name));
    expect(new Set(build().Actions.map((a) => a.RunOrder))).toEqual(new Set([1]));
    expect(stages.map((st) => st.Name).slice(0, 4)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets']);
    // Each action runs exactly the commands of its definition, on its compute type: what pipeline-minutes.ts times.
    for (const d of RELEASE_DEFINITION.build) {
      const a = build().Actions.find((x) => x.Name === d.name)!;
      expect([d.name, buildSpec(a).phases.build!.commands]).toEqual([d.name, [...d.commands]]);
      expect(project(a).Properties.Environment).toMatchObject({ ComputeType: `BUILD_GENERAL1_${d.computeType}` });
    }
    expect(releaseMinutes(model()).buildActions.map((a) => [a.name, a.commands.map((c) => c.command)])).toEqual(build().Actions.map((a) => [a.Name, buildSpec(a).phases.build!.commands]));
  });

  test('the browser tests read the commit, run only the Chromium tests on the pinned image, and publish JUnit to the test report group', () => {
    const a = browser() as Action & { InputArtifacts: { Name: string }[] };
    const sourceArtifact = (stage('Source').Actions[0] as Action & { OutputArtifacts: { Name: string }[] }).OutputArtifacts[0]!.Name;
    expect(a.ActionTypeId).toMatchObject({ Category: 'Build', Provider: 'CodeBuild' });
    expect(a.InputArtifacts).toEqual([{ Name: sourceArtifact }]);
    expect(buildSpec(a).phases.build!.commands).toEqual(['bash .ci/ensure-chromium', 'npm ci --no-audit --no-fund', 'DYNCONF_TESTS=chromium-only npx jest']);
    expect(imageOf(project(a).Properties)).toBe(buildImageUri(model()));
    expect(buildSpec(a).reports).toEqual({ [testReportGroupArn(model())]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' } });
    const [testGroupId] = Object.keys(template.findResources('AWS::CodeBuild::ReportGroup')) as [string];
    const roleId = (project(a).Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const on = roleStatements(template, roleId).filter((st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [testGroupId, 'Arn'] }));
    expect(on).toEqual([{ Action: ['codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:UpdateReport'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [testGroupId, 'Arn'] } }]);
  });

  test('the synth step neither installs Chromium nor runs the Chromium tests, builds the CLI bundle and hands it on as an artifact', () => {
    const synth = build().Actions.find((a) => a.Name === 'Synth')! as Action & { OutputArtifacts: { Name: string }[] };
    const commands = buildSpec(synth).phases.build!.commands;
    expect(commands.some((c) => /chromium/i.test(c) && !c.includes('without-chromium'))).toBe(false);
    expect(commands.indexOf(BUILD_CLI_COMMAND)).toBeGreaterThan(-1);
    const artifacts = (buildSpec(synth) as BuildSpec & { artifacts: { 'secondary-artifacts': Record<string, { 'base-directory': string }> } }).artifacts['secondary-artifacts'];
    const cli = Object.entries(artifacts).find(([, a]) => a['base-directory'] === CLI_BUNDLE.directory)![0];
    expect(synth.OutputArtifacts.map((o) => o.Name)).toContain(cli);
  });
});

describe('the check steps (rollout gates, verify, emergency guards)', () => {
  const checkActions = () =>
    stages.flatMap((st) => st.Actions).filter((a) => /(^|\.)(RolloutGate|Verify|EmergencyGuard)-[^.]+$/.test(a.Name)) as (Action & { InputArtifacts: { Name: string }[] })[];
  const cliArtifact = () => {
    const synth = stage('Build').Actions.find((a) => a.Name === 'Synth')!;
    const artifacts = (buildSpec(synth) as BuildSpec & { artifacts: { 'secondary-artifacts': Record<string, { 'base-directory': string }> } }).artifacts['secondary-artifacts'];
    return Object.entries(artifacts).find(([, a]) => a['base-directory'] === CLI_BUNDLE.directory)![0];
  };

  test('install nothing: no npm ci in any of their buildspecs, only the CLI bundle linked into the checkout', () => {
    expect(checkActions().length).toBe(3 * model().environments.length);
    for (const a of checkActions()) {
      const spec = buildSpec(a);
      const all = Object.values(spec.phases).flatMap((phase) => phase.commands);
      expect([a.Name, all.filter((c) => /\bnpm\s+(ci|install|i)\b|npx\s/.test(c))]).toEqual([a.Name, []]);
      expect(spec.phases.install!.commands).toEqual([expect.stringContaining(`ln -s -- "$CODEBUILD_SRC_DIR_${cliArtifact()}" "${CLI_BUNDLE.directory}"`)]);
      expect(spec.phases.build!.commands[1]!.startsWith(bundledDynconfCommand(''))).toBe(true);
    }
  });

  test("time out CHECK_STEP_OVERHEAD_MINUTES after their command's own limit (the gate's --timeout, verify's and the guard's reads); the emergency lane, which runs npm ci, NPM_CI_BUILD_OVERHEAD_MINUTES after its deployments' worst case", () => {
    const limit = (a: Action) => project(a).Properties.TimeoutInMinutes;
    for (const a of checkActions()) {
      const env = /(RolloutGate|Verify|EmergencyGuard)-([^.]+)$/.exec(a.Name)!;
      const own = { RolloutGate: gateTimeoutMinutes(model(), env[2]!), Verify: VERIFY_MINUTES, EmergencyGuard: GUARD_MINUTES }[env[1] as 'RolloutGate' | 'Verify' | 'EmergencyGuard'];
      expect([a.Name, limit(a)]).toEqual([a.Name, own + CHECK_STEP_OVERHEAD_MINUTES]);
    }
    const [lane] = Object.entries(template.findResources('AWS::CodeBuild::Project')).filter(([id]) => id.startsWith('EmergencyLaneProject'));
    const laneMinutes = emergencyBuildTimeoutMinutes(model(), emergencyLaneOf(model())!);
    expect(lane![1].Properties.TimeoutInMinutes).toBe(laneMinutes);
    // The sample's lane: 3 queued deployments x (0 + 5) minutes, the gate margin 15, and the npm ci overhead.
    expect(laneMinutes).toBe(3 * 5 + 15 + NPM_CI_BUILD_OVERHEAD_MINUTES);
  });

  test("take the commit (their working directory: config/ and flags/) and the synth step's CLI bundle as inputs", () => {
    const sourceArtifact = (stage('Source').Actions[0] as Action & { OutputArtifacts: { Name: string }[] }).OutputArtifacts[0]!.Name;
    for (const a of checkActions()) expect([a.Name, a.InputArtifacts.map((i) => i.Name)]).toEqual([a.Name, [sourceArtifact, cliArtifact()]]);
  });
});

test("pipeline-minutes.ts's stages and layers of each environment are the synthesized pipeline's (scale.test.ts: a split workload)", () => {
  for (const env of model().environments) {
    const { stage: st, actions: acts } = environmentActions(env);
    const prepares = new Set(acts.filter((a) => a.Name.endsWith('.Prepare')).map((a) => a.RunOrder));
    const guard = acts.some((a) => a.Name.endsWith(`EmergencyGuard-${env}`));
    expect([env, environmentStageLayers(model(), env)]).toEqual([env, [{ stage: st.Name, parts: { first: 1, last: 1 }, layers: prepares.size, guard }]]);
  }
});

/** Values that change without the deployed pipeline changing (the build image's digest is not one of them). */
function scrub(t: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(t).replace(/(?<!sha256:)\b[0-9a-f]{64}\b/g, '<asset-hash>')) as Record<string, unknown>;
}

test('snapshot of the pipeline stack', () => {
  expect(scrub(template.toJSON())).toMatchSnapshot();
});
