/**
 * IAM's quotas on the synthesized templates: what each role's inline policies add up to
 * (across stacks, for an imported role), the size of managed policies and how many a role
 * has, with deploy-time values counted at realistic lengths.
 */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as iam from 'aws-cdk-lib/aws-iam';
import { iamLimitViolations, IAM_LIMITS, loadTemplates, measureIam, policyCharacters, RESOLVED_LENGTHS } from '../../lib/pipeline/iam-limits';
import { rmrf, tempDir } from '../support/workspace';

const env = { account: '333333333333', region: 'us-east-1' };
/** As cdk.json sets it: CDK merges statements that differ only in resources. */
const MINIMIZE = { '@aws-cdk/aws-iam:minimizePolicies': true };
let outdir: string;
beforeEach(() => {
  outdir = tempDir('dynconf-iam-');
});
afterEach(() => rmrf(outdir));

/** The design issue 9 replaced: one grantReadConfig per application and environment, on an imported role. */
function perEnvironmentGrants(app: cdk.App, id: string, applications: number): void {
  const stack = new cdk.Stack(app, id, { env });
  const role = iam.Role.fromRoleName(stack, 'Agent', 'g360-prod-core-01-appconfig-agent', { mutable: true });
  for (let i = 0; i < applications; i++) {
    const application = new appconfig.Application(stack, `App${i}`, { applicationName: `svc-${i}` });
    new appconfig.Environment(stack, `Env${i}`, { application, environmentName: 'prod-02' }).grantReadConfig(role);
  }
}

test('a policy document is counted without white space, with references at realistic lengths', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'appconfig:GetLatestConfiguration', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':appconfig:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':application/', { Ref: 'App' }, '/*']] } }],
  };
  const template = { Resources: { App: { Type: 'AWS::AppConfig::Application' } } };
  const resolved = `arn:${'x'.repeat(RESOLVED_LENGTHS.partition)}:appconfig:${'x'.repeat(14)}:${'x'.repeat(12)}:application/${'x'.repeat(7)}/*`;
  const expected = JSON.stringify({ ...doc, Statement: [{ ...doc.Statement[0], Resource: resolved }] }).length;
  expect(policyCharacters(doc, template)).toBe(expected);
  expect(policyCharacters({ Statement: [{ Action: 'a b' }] })).toBe(JSON.stringify({ Statement: [{ Action: 'ab' }] }).length);
});

test("an imported role's inline policies add up across every stack that attaches one", () => {
  const app = new cdk.App({ outdir, context: MINIMIZE });
  perEnvironmentGrants(app, 'Prod02', 20);
  perEnvironmentGrants(app, 'Prod03', 20);
  const { roles } = measureIam(loadTemplates(app.synth()));
  const agent = roles.find((r) => r.role === '333333333333:role/g360-prod-core-01-appconfig-agent')!;
  expect(agent.sources).toHaveLength(2);
  // About 100 characters per application and environment, as the issue measured.
  expect(agent.inlineCharacters / 40).toBeGreaterThan(90);
  expect(agent.inlineCharacters / 40).toBeLessThan(130);
});

test('the old per-environment grants break the inline quota at a few dozen applications, and the error says so', () => {
  const app = new cdk.App({ outdir, context: MINIMIZE });
  perEnvironmentGrants(app, 'Prod02', 60);
  perEnvironmentGrants(app, 'Prod03', 60);
  const violations = iamLimitViolations(app.synth());
  expect(violations).toHaveLength(1);
  expect(violations[0]!.subject).toBe('333333333333:role/g360-prod-core-01-appconfig-agent');
  expect(violations[0]!.message).toMatch(new RegExp(`inline policies add up to \\d+ characters .*IAM allows ${IAM_LIMITS.roleInlineCharacters} per role \\("Role policy size", IAM and AWS STS quotas\\)`));
});

test('managed policies: their size, and how many a role has', () => {
  const app = new cdk.App({ outdir });
  const stack = new cdk.Stack(app, 'Managed', { env });
  const role = new iam.Role(stack, 'Role', { roleName: 'many', assumedBy: new iam.AccountRootPrincipal() });
  for (let i = 0; i < 11; i++) {
    const statements = [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::bucket-${i}/${'k'.repeat(i === 0 ? 7000 : 10)}`] })];
    new iam.ManagedPolicy(stack, `Policy${i}`, { statements, roles: [role] });
  }
  const violations = iamLimitViolations(app.synth());
  expect(violations.map((v) => v.subject).sort()).toEqual(['333333333333:role/many', expect.stringMatching(/^Managed\/Policy0/)]);
  expect(violations.find((v) => v.subject === '333333333333:role/many')!.message).toMatch(/11 managed policies are attached; IAM allows 10 per role/);
  expect(violations.find((v) => v.subject.startsWith('Managed/'))!.message).toMatch(/managed policy of \d+ characters; IAM allows 6144/);
});
