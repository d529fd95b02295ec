/**
 * The benchmark's baseline: the smallest real CDK app, one S3 bucket in one stack,
 * synthesized the same way as bin/app.ts (tsx, `cdk synth`).
 */
import * as cdk from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new cdk.App();
const stack = new cdk.Stack(app, 'OneBucket', { env: { account: '111111111111', region: 'us-east-1' } });
new s3.Bucket(stack, 'Bucket');
app.synth();
