/**
 * The acknowledgements of lib/pipeline/nag.ts explain known aws-cdk-lib grants and nothing
 * else: the table, statement by statement, and the real app failing synth when a wildcard
 * it does not describe appears.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { buildDynconfApp } from '../../lib/pipeline/app';
import { PIPELINE_GRANTS, reasonFor, wildcardFindings, type ArtifactStore, type Statement } from '../../lib/pipeline/nag';
import { rmrf, tempDir } from '../support/workspace';
import { sampleModel } from './support';

const store: ArtifactStore = {
  buckets: new Set(['<PipelineArtifactsBucketAEA9A052.Arn>', '<PipelineArtifactsBucketAEA9A052.Arn>/*']),
  keys: new Set(['<PipelineArtifactsBucketEncryptionKeyF5BF0670.Arn>']),
};
const allow = (Action: string | string[], Resource: unknown, Condition?: Statement['Condition']): Statement => ({ Effect: 'Allow', Action, Resource, Condition });
const ref = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objects = (id: string) => ({ 'Fn::Join': ['', [ref(id), '/*']] });
/** The reasons for every finding of a statement; undefined where nothing explains one. */
const reasons = (s: Statement) => wildcardFindings(s).map((f) => [f, reasonFor(PIPELINE_GRANTS, f, s, store) !== undefined]);

describe('the known CDK Pipelines grants', () => {
  test('read/write on the artifact bucket and its objects is explained', () => {
    const s = allow(['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:PutObject'], [ref('PipelineArtifactsBucketAEA9A052'), objects('PipelineArtifactsBucketAEA9A052')]);
    expect(reasons(s)).toEqual([
      ['Action::s3:GetObject*', true],
      ['Action::s3:GetBucket*', true],
      ['Action::s3:List*', true],
      ['Resource::<PipelineArtifactsBucketAEA9A052.Arn>/*', true],
    ]);
  });

  test('the same actions on any other bucket are not', () => {
    expect(reasons(allow(['s3:GetObject*'], objects('SomeOtherBucket1234ABCD')))).toEqual([
      ['Action::s3:GetObject*', false],
      ['Resource::<SomeOtherBucket1234ABCD.Arn>/*', false],
    ]);
    expect(reasons(allow('s3:*', '*'))).toEqual([
      ['Action::s3:*', false],
      ['Resource::*', false],
    ]);
  });

  test("a CodeBuild project's own log streams and report groups are explained; other log groups are not", () => {
    const logs = (group: string) => allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], `arn:aws:logs:us-east-1:111111111111:log-group:${group}`);
    expect(reasons(logs('/aws/codebuild/<PipelineBuildSynthCdkBuildProject6BEFA8E6>:*'))).toEqual([['Resource::arn:aws:logs:us-east-1:111111111111:log-group:/aws/codebuild/<PipelineBuildSynthCdkBuildProject6BEFA8E6>:*', true]]);
    expect(reasons(logs('/aws/lambda/*'))).toEqual([['Resource::arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/*', false]]);
    const reports = allow(['codebuild:CreateReportGroup', 'codebuild:CreateReport'], 'arn:aws:codebuild:us-east-1:111111111111:report-group/<PipelineBuildSynthCdkBuildProject6BEFA8E6>-*');
    expect(reasons(reports)).toEqual([['Resource::arn:aws:codebuild:us-east-1:111111111111:report-group/<PipelineBuildSynthCdkBuildProject6BEFA8E6>-*', true]]);
  });

  test('assuming any role is explained only when held to the CDK bootstrap roles by their tag', () => {
    const tagged = allow('sts:AssumeRole', 'arn:*:iam::111111111111:role/*', { 'ForAnyValue:StringEquals': { 'iam:ResourceTag/aws-cdk:bootstrap-role': ['deploy'] } });
    expect(reasons(tagged)).toEqual([['Resource::arn:*:iam::111111111111:role/*', true]]);
    expect(reasons(allow('sts:AssumeRole', 'arn:*:iam::111111111111:role/*'))).toEqual([['Resource::arn:*:iam::111111111111:role/*', false]]);
  });

  test('a statement CDK merged from several known grants (minimizePolicies) is explained action by action; one unknown action leaves it unexplained', () => {
    expect(reasons(allow(['cloudformation:DescribeStacks', 'ecr:GetAuthorizationToken', 's3:ListBucket'], '*'))).toEqual([['Resource::*', true]]);
    expect(reasons(allow(['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild', 'ecr:GetAuthorizationToken'], '*'))).toEqual([['Resource::*', true]]);
    expect(reasons(allow(['cloudformation:DescribeStacks', 'ecr:GetAuthorizationToken', 'ssm:GetParameter'], '*'))).toEqual([['Resource::*', false]]);
  });

  test("ECR's authorization token, which has no resource, is explained; any other ECR action on every resource is not", () => {
    expect(reasons(allow('ecr:GetAuthorizationToken', '*'))).toEqual([['Resource::*', true]]);
    expect(reasons(allow(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], '*'))).toEqual([['Resource::*', false]]);
  });

  test('a Deny is never a finding', () => {
    expect(wildcardFindings({ Effect: 'Deny', Action: 'kms:*', Resource: '*' })).toEqual([]);
  });
});

describe('the real app', () => {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('a wildcard no known grant explains fails synth with its AwsSolutions-IAM5 finding', () => {
    const outdir = tempDir('dynconf-pipeline-');
    try {
      const app = new cdk.App({ outdir, analyticsReporting: false });
      const pipeline = buildDynconfApp(app, sampleModel());
      pipeline.synthRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::someone-elses-bucket/*'] }));
      expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::someone-elses-bucket\/\*\]/);
    } finally {
      rmrf(outdir);
    }
  });
});
