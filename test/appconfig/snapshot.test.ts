/**
 * One snapshot per stack of the sample. A diff here is a change to what CloudFormation
 * deploys: review it like one. Volatile values (asset hashes, CDK's analytics metadata)
 * are scrubbed so that only real changes show.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { allEnvironmentStacks, allSharedStacks, buildApp } from './sample';

/** Replace values that change without the deployed resources changing. */
function scrub(template: Record<string, unknown>): Record<string, unknown> {
  const resources = { ...(template.Resources as Record<string, { Type: string }>) };
  for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::CDK::Metadata') delete resources[id];
  const conditions = { ...((template.Conditions as Record<string, unknown> | undefined) ?? {}) };
  delete conditions.CDKMetadataAvailable;
  const out: Record<string, unknown> = { ...template, Resources: resources };
  if (Object.keys(conditions).length > 0) out.Conditions = conditions;
  else delete out.Conditions;
  return JSON.parse(JSON.stringify(out).replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>')) as Record<string, unknown>;
}

const sample = buildApp();
const stacks = [...allSharedStacks(sample), ...allEnvironmentStacks(sample)];

test('the sample has a snapshot for each of its stacks', () => {
  expect(stacks.map((s) => s.stackName).sort()).toEqual([
    'g360-appconfig-beta',
    'g360-appconfig-gamma',
    'g360-appconfig-prod-01',
    'g360-appconfig-prod-02',
    'g360-appconfig-prod-03',
    'g360-appconfig-shared-222222222222-us-west-2',
    'g360-appconfig-shared-333333333333-us-east-1',
  ]);
});

test.each(stacks.map((s) => [s.stackName, s] as const))('%s', (_name, stack) => {
  expect(scrub(Template.fromStack(stack).toJSON())).toMatchSnapshot();
});
