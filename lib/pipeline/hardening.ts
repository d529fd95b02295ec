/**
 * What the pipeline adds to the resources aws-cdk-lib creates for it, where Control
 * Tower's proactive controls (CFN Guard) ask for something that can be given: encrypted,
 * retained build logs; KMS keys whose grants only AWS services may create; artifacts
 * that expire. What cannot be given is acknowledged in nag.ts, with the reason.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Days a pipeline artifact (source zip, cloud assembly) is kept: far longer than any
 * retry or stage rollback reaches back, short enough that builds do not pile up forever.
 */
export const ARTIFACT_RETENTION_DAYS = 180;

/** CT.KMS.PR.3: only AWS services, for AWS resources, may create grants on the key. */
export function restrictKmsGrantsToAwsServices(key: kms.IKey): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/** Expire artifacts; an imported bucket (not created by this app) is left alone. */
export function expireArtifacts(bucket: s3.IBucket): void {
  if (bucket instanceof s3.Bucket) bucket.addLifecycleRule({ id: 'ExpireArtifacts', expiration: cdk.Duration.days(ARTIFACT_RETENTION_DAYS) });
}

export interface BuildLogsProps {
  /** Name of the log group every CodeBuild project of the pipeline writes to. */
  readonly logGroupName: string;
}

/**
 * One log group for every CodeBuild project of the pipeline, kept a year and encrypted
 * with its own key (CT.CLOUDWATCH.PR.2, PR.3; CT.CODEBUILD.PR.3 wants projects to name
 * their logging), so a gate's progress lines outlive the build that printed them.
 */
export class BuildLogs extends Construct {
  readonly key: kms.Key;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BuildLogsProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    this.key = new kms.Key(this, 'Key', { description: `Encrypts the CodeBuild logs in ${props.logGroupName}`, enableKeyRotation: true });
    restrictKmsGrantsToAwsServices(this.key);
    // The ARN from the fixed name, not the log group's attribute: the log group names the
    // key, so the key's policy naming the log group would be a cycle.
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: props.logGroupName, arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.key,
    });
  }
}
