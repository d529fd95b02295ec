/**
 * No stage reads a value from another stack that could go stale. CloudFormation does not
 * update a stack whose template and parameters are unchanged, so a value read through
 * another stack's output (Fn::GetStackOutput, Fn::ImportValue) stays what it was when the
 * reader was last deployed, even after the producer replaced the resource behind it: the
 * agent and the gate would keep a grant on an Environment that no longer exists.
 *
 * What crosses stacks instead:
 * - names computed from workload.json on both sides (roles, the canary's alarm), whose
 *   value cannot change without the reader's template changing too;
 * - SSM parameters of the CloudFormation-supplied types, which CloudFormation resolves
 *   again on every stack update ("Specify existing resources at runtime with
 *   CloudFormation-supplied parameter types", CloudFormation User Guide), and the pipeline
 *   updates every stack on every run.
 */
import * as fs from 'node:fs';
import type * as cxapi from 'aws-cdk-lib/cx-api';
import { applicationIdsParameterName, strategyIdParameterName } from '../../lib/appconfig';
import { canaryAlarmName } from '../../lib/pipeline/names';
import { rmrf } from '../support/workspace';
import { sampleModel, synthesize, withWorkload, type SynthesizedApp } from './support';

let sample: SynthesizedApp;
beforeAll(() => {
  sample = synthesize();
});
afterAll(() => rmrf(sample.outdir));

type Json = unknown;
const stageStacks = (assembly: cxapi.CloudAssembly) => assembly.stacksRecursively.filter((s) => s.stackName !== 'g360-dynconf-pipeline' && !s.stackName.startsWith('cross-region'));

function intrinsics(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => intrinsics(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('Fn::') || k === 'Ref') out.push(k);
      intrinsics(v, out);
    }
  }
  return out;
}

test('no stage template reads another stack through an output or an export', () => {
  const stacks = stageStacks(sample.assembly);
  expect(stacks.length).toBeGreaterThan(10);
  for (const stack of stacks) {
    const used = new Set(intrinsics(JSON.parse(fs.readFileSync(stack.templateFullPath, 'utf8'))));
    expect([stack.stackName, used.has('Fn::GetStackOutput'), used.has('Fn::ImportValue')]).toEqual([stack.stackName, false, false]);
  }
});

test('the values that do cross stacks are SSM parameters of the types CloudFormation resolves on every update, written by the shared stacks', () => {
  const model = sampleModel();
  const written = new Set([
    ...model.applications.map((a) => applicationIdsParameterName(model.workload.workload, a.name)),
    ...Object.keys(model.workload.strategies).map((s) => strategyIdParameterName(model.workload.workload, s)),
  ]);
  let read = 0;
  for (const stack of stageStacks(sample.assembly)) {
    const template = stack.template as { Parameters?: Record<string, { Type: string; Default?: string }> };
    for (const [name, p] of Object.entries(template.Parameters ?? {})) {
      if (name === 'BootstrapVersion') continue;
      expect([stack.stackName, name, p.Type]).toEqual([stack.stackName, name, expect.stringMatching(/^AWS::SSM::Parameter::Value</)]);
      expect(written.has(p.Default!)).toBe(true);
      read++;
    }
  }
  expect(read).toBeGreaterThan(0);
});

test("an environment watches its canary's alarm by the ARN of its fixed name, and is deployed after the canary's stack", () => {
  const gamma = stageStacks(sample.assembly).find((s) => s.stackName === 'g360-appconfig-gamma')!;
  const text = fs.readFileSync(gamma.templateFullPath, 'utf8');
  expect(text).toContain(`arn:aws:cloudwatch:us-west-2:222222222222:alarm:${canaryAlarmName(sampleModel(), 'gamma')}`);
  expect(gamma.dependencies.map((d) => d.id)).toEqual(expect.arrayContaining([expect.stringMatching(/Canary/)]));
});

test('renaming the canary alarm changes the reader: nothing it reads is fixed at its last deployment', () => {
  // The alarm name derives from the workload name; the reader's template must follow it.
  const renamed = synthesize(withWorkload(sampleModel(), (w) => ({ ...w, workload: 'g361' })));
  try {
    const gamma = stageStacks(renamed.assembly).find((s) => s.stackName === 'g361-appconfig-gamma')!;
    expect(fs.readFileSync(gamma.templateFullPath, 'utf8')).toContain(':alarm:g361-gamma-canary-failed');
  } finally {
    rmrf(renamed.outdir);
  }
});
