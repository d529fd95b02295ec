/**
 * The acceptance checks after every prod environment's rollout gate, on the sample as
 * bin/app.ts synthesizes it (once): for each prod environment of workload.json, a step
 * after its gate runs `dynconf verify --acceptance` (what gamma runs) with its JUnit
 * report, as a role that can read AppConfig in that environment and do nothing else there.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { GATE_ACCOUNT_ACTIONS, GATE_CONTROL_PLANE_ACTIONS } from '../../lib/pipeline/gate-role';
import { STEP_JUNIT_REPORT } from '../../lib/pipeline/gate-steps';
import { gateRoleArn, gateRoleName, gateStepRoleName, readersStackName } from '../../lib/pipeline/names';
import { rmrf } from '../support/workspace';
import { actions, resourcesOf, stageTemplate, statementsOf, synthesize, type SynthesizedApp } from './support';

interface Action {
  readonly Name: string;
  readonly RunOrder: number;
  readonly ActionTypeId: { readonly Provider: string };
  readonly Configuration?: { ProjectName?: { Ref: string } };
}

let s: SynthesizedApp;
let template: Template;
let stages: { Name: string; Actions: Action[] }[];
beforeAll(() => {
  s = synthesize();
  template = Template.fromJSON(s.assembly.getStackByName(s.pipeline.stackName).template as Record<string, unknown>);
  stages = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]!.Properties.Stages;
});
afterAll(() => rmrf(s.outdir));

const model = () => s.model;
const prodEnvironments = () => model().environments.filter((e) => model().workload.environments[e]!.tier === 'prod');
/** The actions of the CodePipeline stage that deploys an environment, for that environment (a one-environment wave keeps no prefix). */
function postActions(env: string): Action[] {
  const step = model().pipeline.find((p) => p.environments.includes(env))!;
  const stage = stages.find((st) => st.Name === step.name)!;
  return step.environments.length === 1 ? stage.Actions : stage.Actions.filter((a) => a.Name.startsWith(`${env}.`));
}
const project = (a: Action) => template.toJSON().Resources[a.Configuration!.ProjectName!.Ref] as { Properties: Record<string, unknown> };
const commands = (a: Action) => (JSON.parse((project(a).Properties.Source as { BuildSpec: string }).BuildSpec) as { phases: { build: { commands: string[] } } }).phases.build.commands;
const roleIdOf = (a: Action) => (project(a).Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

test('the sample has prod environments in more than one wave, so every wave is covered', () => {
  expect(prodEnvironments()).toEqual(['prod-01', 'prod-02', 'prod-03']);
  expect(new Set(model().pipeline.filter((p) => p.environments.some((e) => prodEnvironments().includes(e))).map((p) => p.name)).size).toBeGreaterThan(1);
});

describe.each(['prod-01', 'prod-02', 'prod-03'])('%s', (env) => {
  const gate = () => postActions(env).find((a) => a.Name.endsWith(`RolloutGate-${env}`))!;
  const acceptance = () => postActions(env).find((a) => a.Name.endsWith(`Verify-${env}`));

  test("runs gamma's acceptance checks, read-only, with its JUnit report, after its rollout gate", () => {
    expect(prodEnvironments()).toContain(env);
    expect(acceptance()?.ActionTypeId.Provider).toBe('CodeBuild');
    expect(commands(acceptance()!)).toEqual([
      expect.stringContaining(`role_arn = ${gateRoleArn(model(), env)}`),
      `node dist/cli-standalone/dynconf.cjs verify --env ${env} --acceptance --junit ${STEP_JUNIT_REPORT.directory}/${STEP_JUNIT_REPORT.file}`,
    ]);
    // The same checks gamma runs.
    const gamma = stages.find((st) => st.Name === 'gamma')!.Actions.find((a) => a.Name === 'Verify-gamma')!;
    expect(commands(gamma)[1]!.replace('--env gamma', `--env ${env}`)).toBe(commands(acceptance()!)[1]);
    // After the gate: a later run order in the same CodePipeline stage, and after every stack of the environment.
    expect(acceptance()!.RunOrder).toBeGreaterThan(gate().RunOrder);
    const deploys = postActions(env).filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(deploys.length).toBeGreaterThan(0);
    expect(gate().RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder)));
  });

  test('its CodeBuild role may assume only the environment’s gate role, and touches no AppConfig itself', () => {
    const roleId = roleIdOf(acceptance()!);
    expect(template.toJSON().Resources[roleId].Properties.RoleName).toBe(gateStepRoleName(model(), env));
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOf(template.toJSON() as never, roleId);
    expect(statements.filter((st) => actions(st).some((a) => a.startsWith('sts:')))).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: gateRoleArn(model(), env) }]);
    expect(statements.flatMap(actions).filter((a) => /^(appconfig|ssm|cloudformation|iam):/.test(a))).toEqual([]);
  });

  test('the role it assumes in the environment reads the control and data planes and can write nothing', () => {
    const readers = stageTemplate(s, env, readersStackName(model(), env));
    const [roleId, role] = resourcesOf(readers, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === gateRoleName(model(), env))!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    const granted = new Set(statementsOf(readers, roleId).flatMap(actions));
    // Exactly the reads of `rollout wait` and of `verify --acceptance` (StartConfigurationSession, GetLatestConfiguration).
    expect([...granted].sort()).toEqual([...GATE_CONTROL_PLANE_ACTIONS, ...GATE_ACCOUNT_ACTIONS, 'appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'].sort());
    expect(statementsOf(readers, roleId).every((st) => st.Effect === 'Allow')).toBe(true);
  });
});

test('each prod environment’s acceptance step is the environment’s own (no step verifies two environments)', () => {
  for (const env of prodEnvironments()) {
    const checks = s.pipeline.checks.get(env)!;
    expect([env, checks.steps.map((st) => st.id)]).toEqual([env, [`RolloutGate-${env}`, `Verify-${env}`]]);
    expect(checks.verify.dependencies).toContain(checks.gate);
  }
});
