/**
 * Reports from every step of the sample's pipeline (synthesized once): each test step
 * (rollout gates, verify and acceptance steps, emergency guards) writes JUnit with
 * `--junit` and its buildspec publishes it to the pipeline's test report group; the synth
 * step publishes jest's JUnit there and its coverage to the code coverage report group, and
 * the BrowserTests action beside it the Chromium tests' JUnit to the test report group.
 * Each role may write to the report groups it publishes to, and to no other.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { BROWSER_TEST_COMMANDS, bundledDynconfCommand, SYNTH_COMMANDS } from '../../lib/pipeline/build-actions';
import { STEP_JUNIT_REPORT } from '../../lib/pipeline/gate-steps';
import { testReportGroupArn, testReportGroupName } from '../../lib/pipeline/names';
import { COVERAGE_REPORT, coverageReportGroupArn, coverageReportGroupName, JUNIT_REPORT } from '../../lib/pipeline/pipeline-stack';
import { rmrf } from '../support/workspace';
import { actions, synthesize, type SynthesizedApp } from './support';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
interface Project {
  readonly id: string;
  readonly roleId: string;
  readonly spec: { phases: Record<string, { commands?: string[] }>; reports?: Record<string, unknown> };
}

let s: SynthesizedApp;
let template: Template;
let projects: Project[];
beforeAll(() => {
  s = synthesize();
  template = Template.fromJSON(s.assembly.getStackByName(s.pipeline.stackName).template as Record<string, unknown>);
  projects = Object.entries(template.findResources('AWS::CodeBuild::Project'))
    .filter(([, p]) => (p.Properties.Source as { BuildSpec: string }).BuildSpec.startsWith('{'))
    .map(([id, p]) => ({
      id,
      roleId: (p.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      spec: JSON.parse((p.Properties.Source as { BuildSpec: string }).BuildSpec) as Project['spec'],
    }));
});
afterAll(() => rmrf(s.outdir));

const model = () => s.model;
const JUNIT_FILE = `${STEP_JUNIT_REPORT.directory}/${STEP_JUNIT_REPORT.file}`;
const buildCommands = (p: Project) => p.spec.phases.build?.commands ?? [];
/** A step that judges something: it runs `rollout wait`, `rollout guard` or `verify`. */
const CLI = bundledDynconfCommand('');
const testSteps = () => projects.filter((p) => buildCommands(p).some((c) => c.startsWith(CLI) && /^(rollout (wait|guard)|verify) /.test(c.slice(CLI.length))));
const synthProject = () => projects.find((p) => buildCommands(p).includes(SYNTH_COMMANDS[0]))!;
const browserProject = () => projects.find((p) => buildCommands(p).join('\n') === BROWSER_TEST_COMMANDS.join('\n'))!;
const groupId = (name: string) => Object.entries(template.findResources('AWS::CodeBuild::ReportGroup')).find(([, g]) => g.Properties.Name === name)![0];
function roleStatements(roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
/** The actions a role may take on a report group, by the group's logical id. */
const actionsOn = (roleId: string, group: string) =>
  roleStatements(roleId)
    .filter((st) => JSON.stringify(st.Resource).includes(`"${group}"`))
    .flatMap(actions)
    .sort();

test('every gate, verify, acceptance and emergency guard step is a test step: three per environment', () => {
  const envs = model().environments;
  const ids = testSteps().map((p) => buildCommands(p).find((c) => c.startsWith(CLI))!.slice(CLI.length).replace(/^((rollout \w+|verify) --env [\w-]+).*$/, '$1'));
  expect(ids.sort()).toEqual(envs.flatMap((e) => [`rollout wait --env ${e}`, `rollout guard --env ${e}`, `verify --env ${e}`]).sort());
});

test('each test step writes its JUnit report and its buildspec publishes it to the test report group, as JUNITXML', () => {
  for (const p of testSteps()) {
    const call = buildCommands(p).find((c) => c.startsWith(CLI))!;
    expect([p.id, call.endsWith(` --junit ${JUNIT_FILE}`)]).toEqual([p.id, true]);
    expect([p.id, p.spec.reports]).toEqual([p.id, { [testReportGroupArn(model())]: { files: [STEP_JUNIT_REPORT.file], 'base-directory': STEP_JUNIT_REPORT.directory, 'file-format': 'JUNITXML' } }]);
  }
});

test('the buildspecs name the report groups this stack creates, by ARN', () => {
  const { account, region } = model().workload.pipeline;
  expect(testReportGroupArn(model())).toBe(`arn:aws:codebuild:${region}:${account}:report-group/${testReportGroupName(model())}`);
  expect(coverageReportGroupArn(model())).toBe(`arn:aws:codebuild:${region}:${account}:report-group/${coverageReportGroupName(model())}`);
  template.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: testReportGroupName(model()), Type: 'TEST' });
  template.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: coverageReportGroupName(model()), Type: 'CODE_COVERAGE' });
});

test("each test step's role may create, update and fill test reports in the test report group, and nothing in the coverage group", () => {
  const tests = groupId(testReportGroupName(model()));
  const coverage = groupId(coverageReportGroupName(model()));
  const roles = new Set(testSteps().map((p) => p.roleId));
  expect(roles.size).toBe(model().environments.length);
  for (const roleId of roles) {
    expect([roleId, actionsOn(roleId, tests)]).toEqual([roleId, ['codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:UpdateReport']]);
    expect([roleId, actionsOn(roleId, coverage)]).toEqual([roleId, []]);
    // Coverage only where it is published: the one other grant that carries it is aws-cdk-lib's
    // default to each project, on report groups named after that project (`<project>-*`).
    const coverageGrants = roleStatements(roleId).filter((st) => actions(st).includes('codebuild:BatchPutCodeCoverages'));
    for (const st of coverageGrants) {
      for (const r of ([] as unknown[]).concat(st.Resource)) expect(JSON.stringify(r)).toMatch(/report-group\/",\{"Ref":"[A-Za-z0-9]+"\},"-\*"\]\]\}$/);
    }
  }
});

test("the synth step publishes jest's JUnit to the test group and its coverage (Cobertura) to the coverage group; its role may write each kind to its own group", () => {
  const synth = synthProject();
  expect(synth.spec.reports).toEqual({
    [testReportGroupArn(model())]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' },
    [coverageReportGroupArn(model())]: { files: [COVERAGE_REPORT.file], 'base-directory': COVERAGE_REPORT.directory, 'file-format': 'COBERTURAXML' },
  });
  expect(actionsOn(synth.roleId, groupId(testReportGroupName(model())))).toEqual(['codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:UpdateReport']);
  expect(actionsOn(synth.roleId, groupId(coverageReportGroupName(model())))).toEqual(['codebuild:BatchPutCodeCoverages', 'codebuild:CreateReport', 'codebuild:UpdateReport']);
});

test("the BrowserTests action publishes the Chromium tests' JUnit to the test group, and its role may write test reports there and nothing to the coverage group", () => {
  const browser = browserProject();
  expect(browser.spec.reports).toEqual({ [testReportGroupArn(model())]: { files: [JUNIT_REPORT.file], 'base-directory': JUNIT_REPORT.directory, 'file-format': 'JUNITXML' } });
  expect(actionsOn(browser.roleId, groupId(testReportGroupName(model())))).toEqual(['codebuild:BatchPutTestCases', 'codebuild:CreateReport', 'codebuild:UpdateReport']);
  expect(actionsOn(browser.roleId, groupId(coverageReportGroupName(model())))).toEqual([]);
});

test('no other step publishes to, or may write to, the report groups', () => {
  const publishing = projects.filter((p) => p.spec.reports !== undefined);
  expect(publishing.length).toBe(testSteps().length + 2);
  const allowed = new Set([...testSteps(), synthProject(), browserProject()].map((p) => p.roleId));
  const groups = [groupId(testReportGroupName(model())), groupId(coverageReportGroupName(model()))];
  const writers = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => groups.some((g) => JSON.stringify(p.Properties.PolicyDocument).includes(`"${g}"`)))
    .flatMap((p) => (p.Properties.Roles as { Ref: string }[]).map((r) => r.Ref));
  expect(new Set(writers)).toEqual(allowed);
});
