/**
 * cdk-nag (AwsSolutions) and CFN Guard run on the whole app: the sample synthesizes with
 * no unacknowledged finding, each acknowledgement sits on one resource with a reason, and
 * a new finding fails synth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge, addComplianceChecks, everyViolationFails, FINDINGS, RelevantGuardRules } from '../../lib/appconfig';
import { rmrf, tempDir } from '../support/workspace';
import { buildApp, stageOf } from './sample';

interface ReportedConstruct {
  readonly constructPath: string;
}
interface Report {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: { ruleName: string; violatingConstructs: ReportedConstruct[] }[];
    readonly suppressedViolations?: { ruleName: string; reason?: string; acknowledgedId?: string; violatingConstructs: ReportedConstruct[] }[];
  }[];
}

test('the sample synthesizes under AwsSolutions and CFN Guard; every acknowledgement is on one alarm, with its reason', () => {
  const sample = buildApp(undefined, { checks: true });
  try {
    const assembly = sample.app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as Report;
    for (const plugin of report.pluginReports) expect([plugin.pluginName, plugin.violations]).toEqual([plugin.pluginName, []]);
    // The stages' other stacks (canary, agent, config readers) are lib/pipeline's and
    // lib/agent's, and checked in their tests; here, the AppConfig stacks.
    const suppressed = report.pluginReports
      .flatMap((p) => p.suppressedViolations ?? [])
      .filter((s) => s.violatingConstructs.some((c) => /^[^/]+\/AppConfig(Shared-[^/]+|-\d+)?\//.test(c.constructPath)));
    // gamma's and prod-01's metric alarms; nothing else needed an exception.
    expect(suppressed.flatMap((s) => s.violatingConstructs.map((c) => c.constructPath)).sort()).toEqual([
      'gamma/AppConfig/Monitors/g360-gamma-api-5xx/Resource',
      'prod-01/AppConfig/Monitors/g360-prod-01-checkout-p99/Resource',
    ]);
    for (const s of suppressed) {
      expect(s.ruleName).toBe('cloudwatch_alarm_action_check');
      expect(s.violatingConstructs).toHaveLength(1);
      expect(s.reason).toMatch(/rolls the deployment back/);
    }
  } finally {
    rmrf(sample.outdir);
  }
});

test('a wildcard IAM permission fails synth with AwsSolutions-IAM5', () => {
  const sample = buildApp(undefined, { checks: true });
  try {
    const extra = new iam.Role(stageOf(sample, 'beta').appConfigStacks[0]!, 'TooBroad', { assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com') });
    extra.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
    expect(() => sample.app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  } finally {
    rmrf(sample.outdir);
  }
});

describe('CFN Guard findings stay fatal once one is acknowledged', () => {
  // aws-cdk-lib prints the validation report as well as returning it.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  const synthWithAlarms = (wrap: boolean): void => {
    const outdir = tempDir('dynconf-cdk-');
    try {
      const app = new cdk.App({ outdir, analyticsReporting: false });
      const stack = new cdk.Stack(app, 'Alarms', { env: { account: '111111111111', region: 'us-east-1' } });
      const alarm = (id: string) => new cloudwatch.Alarm(stack, id, { metric: new cloudwatch.Metric({ namespace: 'Test', metricName: id }), threshold: 1, evaluationPeriods: 1 });
      acknowledge(alarm('Acknowledged'), FINDINGS.alarmWithoutAction, 'test: this one is accepted');
      alarm('NotAcknowledged');
      const guard = new RelevantGuardRules();
      cdk.Validations.of(app).addPlugins(wrap ? everyViolationFails(guard) : guard);
      app.synth();
    } finally {
      rmrf(outdir);
    }
  };

  test('with everyViolationFails, the unacknowledged alarm fails synth', () => {
    expect(() => synthWithAlarms(true)).toThrow(/CT\.CLOUDWATCH\.PR\.1[\s\S]*Alarms\/NotAcknowledged/);
  });

  test('without it, aws-cdk-lib lets the unacknowledged alarm through (the trap the wrapper closes)', () => {
    expect(() => synthWithAlarms(false)).not.toThrow();
  });
});

describe('RelevantGuardRules', () => {
  const guard = new RelevantGuardRules();

  test('passes the rules that name a resource type present, and only those', () => {
    const rules = guard.rulesFor(new Set(['AWS::CloudWatch::Alarm'])).map((f) => path.basename(f));
    expect(rules).toEqual(expect.arrayContaining(['ct-cloudwatch-pr-1.guard', 'ct-cloudwatch-pr-4.guard']));
    expect(rules).not.toContain('ct-s3-pr-1.guard');
    expect(guard.rulesFor(new Set(['AWS::AppConfig::Application']))).toEqual([]);
  });

  test('a rule file that names no resource type is always passed', () => {
    const dir = tempDir('dynconf-guard-');
    try {
      fs.writeFileSync(path.join(dir, 'typed.guard'), 'let t = Resources.*[ Type == "AWS::S3::Bucket" ]\n');
      fs.writeFileSync(path.join(dir, 'untyped.guard'), 'rule everything { Resources exists }\n');
      expect(new RelevantGuardRules(dir).rulesFor(new Set(['AWS::SQS::Queue'])).map((f) => path.basename(f))).toEqual(['untyped.guard']);
    } finally {
      rmrf(dir);
    }
  });

  test('an empty rules folder is an error, not a silent pass', () => {
    const dir = tempDir('dynconf-guard-');
    try {
      expect(() => new RelevantGuardRules(dir)).toThrow(/no \.guard rules/);
    } finally {
      rmrf(dir);
    }
  });
});

test('addComplianceChecks can leave CFN Guard out', () => {
  const app = new cdk.App();
  addComplianceChecks(app, { cfnGuard: false });
  const plugins = (app as unknown as { _validationPlugins: { name: string }[] })._validationPlugins.map((p) => p.name);
  expect(plugins).not.toContain('cdk-validator-cfnguard');
  expect(plugins.length).toBe(1);
});
