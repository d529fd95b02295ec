/**
 * Guard in a worker thread (lib/pipeline/guard.ts startGuardWithValidation): it runs beside
 * aws-cdk-lib's validation and cdk-nag, finds what it found on the main thread, and leaves
 * every template and the validation report exactly as they were.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { acknowledge, everyViolationFails, FINDINGS } from '../../lib/appconfig';
import { appTemplatePaths, GuardRulesPerTemplate, startGuardWithValidation } from '../../lib/pipeline/guard';
import { assertSameTemplates, BackgroundJob } from '../../lib/pipeline/validation-worker';
import { rmrf, tempDir } from '../support/workspace';

const dirs: string[] = [];
const outdir = () => {
  const d = tempDir('dynconf-guard-worker-');
  dirs.push(d);
  return d;
};
beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
afterEach(() => {
  for (const d of dirs.splice(0)) rmrf(d);
  jest.restoreAllMocks();
});

const env = { account: '111111111111', region: 'us-east-1' };

/**
 * Like the dynconf app: stacks in the app and in two nested stages, an alarm without action
 * in each (the one in beta acknowledged unless `failing`), and a stack with nothing Guard checks. Analytics on, so
 * that the plugins listed in CDKMetadata are part of the comparison.
 */
function app(dir: string, failing = false): { app: cdk.App; guard: GuardRulesPerTemplate } {
  const a = new cdk.App({ outdir: dir, analyticsReporting: true });
  const alarm = (stack: cdk.Stack, ack = true) => {
    const al = new cloudwatch.Alarm(stack, 'NoAction', { metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'm' }), threshold: 1, evaluationPeriods: 1 });
    if (ack) acknowledge(al.node.defaultChild!, FINDINGS.alarmWithoutAction, 'test');
  };
  alarm(new cdk.Stack(a, 'Root', { env }));
  alarm(new cdk.Stack(new cdk.Stage(a, 'beta', { env }), 'Alarms'), !failing);
  const prod = new cdk.Stage(a, 'prod', { env });
  alarm(new cdk.Stack(prod, 'Alarms'));
  new cdk.CfnWaitConditionHandle(new cdk.Stack(prod, 'Nothing'), 'Handle');
  const guard = new GuardRulesPerTemplate();
  cdk.Validations.of(a).addPlugins(everyViolationFails(guard));
  return { app: a, guard };
}

/** Synthesize app(dir), with Guard in the worker or not; one call site, so creation traces match. */
function synth(dir: string, inWorker: boolean): cdk.App {
  const { app: a, guard } = app(dir);
  if (inWorker) startGuardWithValidation(a, guard);
  a.synth();
  return a;
}

/** Every file of a cloud assembly, its own directory written as `<outdir>`. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out.set(path.relative(dir, f), fs.readFileSync(f, 'utf8').split(dir).join('<outdir>'));
    }
  };
  walk(dir);
  return out;
}

test('Guard runs in a worker started when validation begins, on the templates and in the order aws-cdk-lib gives it', () => {
  const { app: a, guard } = app(outdir());
  startGuardWithValidation(a, guard);
  const started = jest.spyOn(guard, 'startEarly');
  // The worker loads its own copy of the validator: any call here would be Guard on the main thread.
  const onMainThread = jest.spyOn(CfnGuardValidator.prototype, 'validate');
  a.synth();
  expect(started).toHaveBeenCalledTimes(1);
  expect(started.mock.calls[0]![0]).toEqual(appTemplatePaths(a));
  expect(started.mock.calls[0]![0].map((p) => path.relative(a.outdir, p))).toEqual([
    'Root.template.json',
    path.join('assembly-beta', 'betaAlarms8335776B.template.json'),
    path.join('assembly-prod', 'prodAlarms83D0A090.template.json'),
    path.join('assembly-prod', 'prodNothing5F01CD8A.template.json'),
  ]);
  expect(onMainThread).not.toHaveBeenCalled();
});

test('templates, manifests and the validation report are byte-identical to Guard on the main thread', () => {
  const mainDir = outdir();
  const workerDir = outdir();
  for (const [dir, inWorker] of [[mainDir, false], [workerDir, true]] as const) synth(dir, inWorker);
  const before = files(mainDir);
  const after = files(workerDir);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [file, text] of before) expect({ file, text: after.get(file) }).toEqual({ file, text });
  // The comparison covers real findings: the report holds Guard's acknowledged ones.
  expect(before.get('validation-report.json')).toContain('cloudwatch_alarm_action_check');
  // and CDKMetadata, which lists the plugins registered before the templates were written.
  expect(before.get('Root.template.json')).toContain('"Analytics"');
});

test('what Guard finds in the worker still fails synth, named by rule and construct', () => {
  const { app: a, guard } = app(outdir(), true);
  startGuardWithValidation(a, guard);
  expect(() => a.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.1[\s\S]*beta\/Alarms\/NoAction/);
});

test('an error in the worker fails, naming the job and the error', () => {
  const job = new BackgroundJob('CFN Guard (test)', { kind: 'cfn-guard', module: '/nonexistent/cfn-guard-validator.js', groups: [] });
  expect(() => job.wait()).toThrow(/CFN Guard \(test\) failed in its worker thread: Error: Cannot find module '\/nonexistent\/cfn-guard-validator\.js'/);
});

test('a worker started on other templates, or in another order, than aws-cdk-lib gives is a bug, not a silent pass', () => {
  expect(() => assertSameTemplates('CFN Guard', ['/a', '/b'], ['/a', '/b'])).not.toThrow();
  expect(() => assertSameTemplates('CFN Guard', ['/a', '/b'], ['/b', '/a'])).toThrow(/CFN Guard: started early on other templates/);
  expect(() => assertSameTemplates('CFN Guard', ['/a'], ['/a', '/b'])).toThrow(/given: \/a, \/b/);
});
