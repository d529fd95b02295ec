/**
 * A CloudWatch Synthetics canary for an environment whose workload.json entry has a
 * `canary` (gamma and every prod environment in the sample), and the alarm AppConfig watches as one of that
 * environment's monitors: a change that breaks the service the canary calls rolls itself
 * back. It lives in its own stack of the environment's stage, which the AppConfig
 * environment stacks depend on, so the alarm exists before any deployment watches it.
 */
import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { Construct } from 'constructs';
import { acknowledge, FINDINGS } from '../appconfig';
import type { CanaryConfig, Model } from '../model';
import { CANARY_FAILED_RUNS_TO_ALARM } from './canary-alarm';
import { acknowledgeKnownGrants, ARN, type KnownGrant } from './nag';
import { canaryAlarmName, canaryName, canaryStackName } from './names';

export { CANARY_FAILED_RUNS_TO_ALARM, canaryDetectionMinutes } from './canary-alarm';

/** How long one check may take: the canary's own limit must stay under its rate (1 minute at least). */
export const CANARY_REQUEST_TIMEOUT_SECONDS = 30;

/** Days the canary's run artifacts (logs, reports) are kept, in Synthetics and in the bucket. */
export const CANARY_RETENTION_DAYS = 31;

export interface EnvironmentCanaryStackProps extends cdk.StackProps {
  readonly model: Model;
  readonly environment: string;
}

export class EnvironmentCanaryStack extends cdk.Stack {
  readonly canary: synthetics.Canary;
  /** In ALARM after CANARY_FAILED_RUNS_TO_ALARM failed runs in a row. */
  readonly alarm: cloudwatch.Alarm;
  readonly artifactsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EnvironmentCanaryStackProps) {
    const { model, environment, ...stackProps } = props;
    const config = model.workload.environments[environment];
    if (!config) throw new Error(`EnvironmentCanaryStack: unknown environment '${environment}'`);
    const canary = config.canary;
    if (!canary) throw new Error(`EnvironmentCanaryStack: environment '${environment}' has no canary; add environments.${environment}.canary { url, rateMinutes } to config/workload.json`);
    super(scope, id, {
      stackName: canaryStackName(model, environment),
      env: { account: config.account, region: config.region },
      description: `dynconf ${model.workload.workload}: synthetic canary of ${environment} (${canary.url}) and the alarm that rolls its AppConfig deployments back`,
      ...stackProps,
    });

    this.artifactsBucket = new s3.Bucket(this, 'Artifacts', {
      // SSE-KMS with the account's aws/s3 key: the canary role needs no key grant for it.
      encryption: s3.BucketEncryption.KMS_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      lifecycleRules: [{ expiration: cdk.Duration.days(CANARY_RETENTION_DAYS), noncurrentVersionExpiration: cdk.Duration.days(1) }],
    });
    const onlyRunReports = "Holds only the canary's own run logs and reports, written by the canary role and expired after 31 days";
    const bucketFindings: Record<string, string> = {
      'AwsSolutions-S1': `${onlyRunReports}; access logs would need a second bucket that is itself unlogged`,
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check': `${onlyRunReports}; access logs would need a second bucket that is itself unlogged`,
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check': `${onlyRunReports}; object lock would forbid that expiry`,
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check': `${onlyRunReports}; nothing reacts to them: the canary's verdict is its SuccessPercent metric`,
    };
    for (const [finding, reason] of Object.entries(bucketFindings)) acknowledge(this.artifactsBucket, finding, reason);

    this.canary = new synthetics.Canary(this, 'Canary', {
      canaryName: canaryName(model, environment),
      runtime: synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0,
      test: synthetics.Test.custom({ code: synthetics.Code.fromInline(canaryScript(canary.url)), handler: 'index.handler' }),
      schedule: synthetics.Schedule.rate(cdk.Duration.minutes(canary.rateMinutes)),
      timeout: cdk.Duration.seconds(CANARY_REQUEST_TIMEOUT_SECONDS + 15),
      artifactsBucketLocation: { bucket: this.artifactsBucket },
      successRetentionPeriod: cdk.Duration.days(CANARY_RETENTION_DAYS),
      failureRetentionPeriod: cdk.Duration.days(CANARY_RETENTION_DAYS),
    });
    acknowledgeCanaryRole(this.canary, this.artifactsBucket);

    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: canaryAlarmName(model, environment),
      alarmDescription: `${CANARY_FAILED_RUNS_TO_ALARM} failed runs in a row of the ${environment} canary (GET ${canary.url}); AppConfig rolls back a deployment to ${environment} while it is in ALARM`,
      metric: this.canary.metricSuccessPercent({ period: cdk.Duration.minutes(canary.rateMinutes), statistic: cloudwatch.Stats.MINIMUM }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 100,
      evaluationPeriods: CANARY_FAILED_RUNS_TO_ALARM,
      datapointsToAlarm: CANARY_FAILED_RUNS_TO_ALARM,
      // A period without a run says nothing about a deployment; it must not roll one back.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledge(
      this.alarm,
      FINDINGS.alarmWithoutAction,
      `AppConfig watches this alarm during every deployment to ${environment} and rolls the deployment back when it fires: that rollback is the action it exists for`,
    );
  }
}

/**
 * The canary's handler: one step that GETs the URL and fails on anything but a 2xx
 * answer within CANARY_REQUEST_TIMEOUT_SECONDS. Plain `fetch` (Node 22 in the runtime), no
 * browser and no bundled dependency, so the code stays inline and synth needs no asset.
 */
export function canaryScript(url: CanaryConfig['url']): string {
  const target = JSON.stringify(url);
  return [
    "const synthetics = require('Synthetics');",
    `const TARGET = ${target};`,
    'exports.handler = async () => {',
    "  await synthetics.executeStep('GET ' + new URL(TARGET).pathname, async () => {",
    `    const res = await fetch(TARGET, { redirect: 'manual', signal: AbortSignal.timeout(${CANARY_REQUEST_TIMEOUT_SECONDS * 1000}) });`,
    '    await res.arrayBuffer();',
    "    if (res.status < 200 || res.status > 299) throw new Error('GET ' + TARGET + ' answered ' + res.status + ', expected 2xx');",
    '  });',
    '};',
    '',
  ].join('\n');
}

/**
 * The role the Canary L2 writes: Synthetics needs `s3:ListAllMyBuckets` and
 * `cloudwatch:PutMetricData` (no resource-level permission; the latter is held to the
 * CloudWatchSynthetics namespace by a condition), objects in its own bucket, and the log
 * group of the Lambda function Synthetics creates, whose name it generates.
 */
function acknowledgeCanaryRole(canary: synthetics.Canary, bucket: s3.Bucket): void {
  const grants: KnownGrant<string>[] = [
    {
      finding: /^Resource::\*$/,
      actions: /^(s3:ListAllMyBuckets|cloudwatch:PutMetricData)$/,
      reason: 's3:ListAllMyBuckets and cloudwatch:PutMetricData (namespace CloudWatchSynthetics only) have no resource-level permission; Synthetics needs both',
    },
    {
      finding: /^Resource::.*\/\*$/,
      actions: /^s3:PutObject$/,
      when: (s, objects) => ([] as unknown[]).concat(s.Resource ?? []).every((r) => flattenCfnReference(r) === objects),
      reason: "Objects of the canary's own artifacts bucket, where it writes its run reports",
    },
    {
      // eslint-disable-next-line security/detect-non-literal-regexp -- a cdk-nag finding pattern built from constants and the stack's account/region, at synth time
      finding: new RegExp(`^Resource::${ARN}:logs:[a-z0-9-]+:\\d{12}:log-group:/aws/lambda/cwsyn-\\*$`),
      actions: /^logs:(CreateLogStream|CreateLogGroup|PutLogEvents)$/,
      reason: 'The log groups of the Lambda functions Synthetics creates for its canaries, whose names it generates',
    },
  ];
  acknowledgeKnownGrants(canary.role, grants, () => flattenCfnReference(cdk.Stack.of(bucket).resolve(bucket.arnForObjects('*'))));
}
