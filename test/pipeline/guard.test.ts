/**
 * GuardRulesPerTemplate checks each template with the Guard rules that can apply to it,
 * and still fails synth on what those rules find.
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { everyViolationFails } from '../../lib/appconfig';
import { GuardRulesPerTemplate } from '../../lib/pipeline/guard';
import { rmrf, tempDir } from '../support/workspace';

let outdir: string;
beforeEach(() => {
  outdir = tempDir('dynconf-guard-');
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  rmrf(outdir);
  jest.restoreAllMocks();
});

/** An app with a stack holding an alarm without action, one holding a bucket, one with neither. */
function app(): cdk.App {
  const a = new cdk.App({ outdir, analyticsReporting: false });
  const env = { account: '111111111111', region: 'us-east-1' };
  const alarms = new cdk.Stack(a, 'Alarms', { env });
  new cloudwatch.Alarm(alarms, 'NoAction', { metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'm' }), threshold: 1, evaluationPeriods: 1 });
  new s3.Bucket(new cdk.Stack(a, 'Buckets', { env }), 'Bucket');
  new cdk.CfnWaitConditionHandle(new cdk.Stack(a, 'Nothing', { env }), 'Handle');
  return a;
}

test('each template gets only the rules that name one of its resource types; a template no rule names is skipped', () => {
  const assembly = app().synth();
  const file = (stack: string) => path.join(assembly.directory, `${stack}.template.json`);
  const groups = new GuardRulesPerTemplate().groups([file('Alarms'), file('Buckets'), file('Nothing')]);
  const names = (rules: string[]) => rules.map((r) => path.basename(r));
  expect(groups.map((g) => g.templates.map((t) => path.basename(t)))).toEqual([['Alarms.template.json'], ['Buckets.template.json']]);
  const [alarmRules, bucketRules] = groups.map((g) => names(g.rules));
  expect(alarmRules).toContain('ct-cloudwatch-pr-1.guard');
  expect(alarmRules!.some((r) => r.startsWith('ct-s3-'))).toBe(false);
  expect(bucketRules).toContain('ct-s3-pr-1.guard');
  expect(bucketRules!.some((r) => r.startsWith('ct-cloudwatch-'))).toBe(false);
});

test('what the rules find still fails synth, named by rule and construct', () => {
  const a = app();
  cdk.Validations.of(a).addPlugins(everyViolationFails(new GuardRulesPerTemplate()));
  expect(() => a.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.1[\s\S]*Alarms\/NoAction/);
});
