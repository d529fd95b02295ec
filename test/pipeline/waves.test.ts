/**
 * The pipeline follows workload.json, not the sample's shape: with other waves (prod-01
 * and prod-02 together, then prod-03 behind an approval) the stages, the approval and the
 * gates move with them, and prod-02's AppConfig stack waits for the shared stack prod-01
 * deploys in the same wave. Synthesized once, with the policy checks.
 */
import { rmrf } from '../support/workspace';
import { sampleModel, synthesize, withWaves, type SynthesizedApp } from './support';

interface Action {
  readonly Name: string;
  readonly RunOrder: number;
  readonly Namespace?: string;
  readonly ActionTypeId: { readonly Category: string };
  readonly Configuration?: { ProjectName?: { Ref: string }; EnvironmentVariables?: string };
}

let s: SynthesizedApp;
let stages: { Name: string; Actions: Action[] }[];

beforeAll(() => {
  s = synthesize(
    withWaves(sampleModel(), [
      { name: 'prod-cells-a', environments: ['prod-01', 'prod-02'] },
      { name: 'prod-cells-b', environments: ['prod-03'], manualApproval: true },
    ]),
  );
  const template = s.assembly.getStackByName(s.pipeline.stackName).template as { Resources: Record<string, { Type: string; Properties: { Stages: typeof stages } }> };
  stages = Object.values(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!.Properties.Stages;
});
afterAll(() => rmrf(s.outdir));

const stage = (name: string) => stages.find((st) => st.Name === name)!;
const action = (st: string, name: string) => {
  const a = stage(st).Actions.find((x) => x.Name === name);
  if (!a) throw new Error(`no action ${name} in ${st}: ${stage(st).Actions.map((x) => x.Name).join(', ')}`);
  return a;
};

test('stages and waves in the order of workload.json', () => {
  expect(stages.map((st) => st.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'beta', 'gamma', 'prod-cells-a', 'prod-cells-b']);
});

test('the approval moves to the wave that asks for it', () => {
  const approvals = stages.flatMap((st) => st.Actions.filter((a) => a.ActionTypeId.Category === 'Approval').map((a) => `${st.Name}/${a.Name}`));
  expect(approvals).toEqual(['prod-cells-b/Approve-prod-cells-b']);
});

test('a gate follows each environment in its new wave', () => {
  expect(action('prod-cells-a', 'prod-01.RolloutGate-prod-01').RunOrder).toBeGreaterThan(action('prod-cells-a', 'prod-01.g360-prod-01-config-readers.Deploy').RunOrder);
  expect(action('prod-cells-a', 'prod-02.RolloutGate-prod-02').RunOrder).toBeGreaterThan(action('prod-cells-a', 'prod-02.g360-prod-02-config-readers.Deploy').RunOrder);
  expect(action('prod-cells-b', 'RolloutGate-prod-03').RunOrder).toBeGreaterThan(action('prod-cells-b', 'g360-prod-03-config-readers.Deploy').RunOrder);
});

/** The step that makes `consumer` wait for `producer`, both of prod-cells-a, checked to sit between them. */
function awaitBetween(producer: string, consumer: string, output: string): Action {
  const produced = action('prod-cells-a', `prod-01.${producer}.Deploy`);
  const waiting = stage('prod-cells-a').Actions.find((a) => a.Name.startsWith('prod-02.') && a.Name.endsWith(`Await-${producer}-for-prod-02`))!;
  const consuming = action('prod-cells-a', `prod-02.${consumer}.Prepare`);
  expect([produced.RunOrder < waiting.RunOrder, waiting.RunOrder < consuming.RunOrder]).toEqual([true, true]);
  // It waits by reading an output of the producer, which CodePipeline has once that stack is deployed.
  expect(produced.Namespace).toEqual(expect.any(String));
  expect(JSON.parse(waiting.Configuration!.EnvironmentVariables!)).toContainEqual({ name: 'PRODUCED', type: 'PLAINTEXT', value: `#{${produced.Namespace!}.${output}}` });
  return waiting;
}

test("prod-02's AppConfig stack waits for the shared stack prod-01 deploys, in the same wave", () => {
  awaitBetween('g360-appconfig-shared-333333333333-us-east-1', 'g360-appconfig-prod-02', 'StackId');
});

test("nothing else waits: the agent role needs no grant from prod-02, and prod-03 is deployed after both", () => {
  expect(stages.flatMap((st) => st.Actions.map((a) => a.Name)).filter((n) => n.includes('Await-'))).toEqual([
    expect.stringMatching(/^prod-02\..*Await-g360-appconfig-shared-333333333333-us-east-1-for-prod-02$/),
  ]);
});
