/**
 * cdk-nag and CFN Guard findings on what lib/pipeline creates or has aws-cdk-lib create
 * (CDK Pipelines, the Synthetics canary, the rollout gate's reads), acknowledged one by
 * one with the reason each is acceptable there.
 *
 * cdk-nag v3 accepts only an acknowledgement that names a finding exactly, and IAM5
 * findings name the resolved ARN (`arn:aws:` or `arn:<AWS::Partition>:` depending on the
 * app's feature flags, `<LogicalId.Arn>` for references). So IAM5 acknowledgements are
 * written at validation time, from the resolved policies, and only for statements that
 * match a known grant below: a wildcard no rule describes is still reported and fails synth.
 */
import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import { acknowledge } from '../appconfig';

export interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A wildcard that is acceptable in one known kind of statement. */
export interface KnownGrant<C = undefined> {
  /** Matches the finding's subject: `Action::<action>` or `Resource::<flattened ARN>`. */
  readonly finding: RegExp;
  /** Every action of the statement must match. */
  readonly actions: RegExp;
  /** Further condition on the statement, given the context of the call. */
  readonly when?: (s: Statement, context: C) => boolean;
  readonly reason: string;
}

const actionsOf = (s: Statement): string[] => ([] as string[]).concat(s.Action ?? []);
const resourcesOf = (s: Statement): string[] => ([] as unknown[]).concat(s.Resource ?? []).map((r) => flattenCfnReference(r));

/** The finding subjects (`Action::...`, `Resource::...`) cdk-nag's IAM5 reports for a statement. */
export function wildcardFindings(s: Statement): string[] {
  if (s.Effect !== 'Allow') return [];
  return [...actionsOf(s).filter((a) => a.includes('*')).map((a) => `Action::${a}`), ...resourcesOf(s).filter((r) => r.includes('*')).map((r) => `Resource::${r}`)];
}

/**
 * The reason known grants give for a finding of a statement; undefined when some action of
 * the statement is explained by none. Each action may be explained by a different grant of
 * the same finding: with `@aws-cdk/aws-iam:minimizePolicies` (cdk.json) CDK merges
 * statements that share a resource, such as its own `*` reads and ECR's authorization
 * token, into one.
 */
export function reasonFor<C>(grants: readonly KnownGrant<C>[], finding: string, s: Statement, context: C): string | undefined {
  const actions = actionsOf(s);
  if (actions.length === 0) return undefined;
  const applicable = grants.filter((g) => g.finding.test(finding) && (g.when?.(s, context) ?? true));
  const reasons = new Set<string>();
  for (const action of actions) {
    const grant = applicable.find((g) => g.actions.test(action));
    if (!grant) return undefined;
    reasons.add(grant.reason);
  }
  return [...reasons].join('; ');
}

/** Every policy document under a scope, with the resource that carries it. */
function policyDocuments(scope: IConstruct): { node: IConstruct; statements: Statement[] }[] {
  const out: { node: IConstruct; statements: Statement[] }[] = [];
  for (const node of scope.node.findAll()) {
    const resolve = (v: unknown) => cdk.Stack.of(node).resolve(v) as { Statement?: Statement[] } | undefined;
    if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy) {
      out.push({ node, statements: resolve(node.policyDocument)?.Statement ?? [] });
    } else if (node instanceof iam.CfnRole) {
      // L1 property names: camelCase until CloudFormation rendering.
      const inline = (cdk.Stack.of(node).resolve(node.policies) ?? []) as { policyDocument?: { Statement?: Statement[] } }[];
      out.push({ node, statements: inline.flatMap((p) => p.policyDocument?.Statement ?? []) });
    }
  }
  return out;
}

/**
 * Acknowledge, at validation time, each IAM5 finding under `scope` that a known grant
 * explains, on the policy resource that has it.
 */
export function acknowledgeKnownGrants<C>(scope: IConstruct, grants: readonly KnownGrant<C>[], context: () => C, only: (policy: IConstruct) => boolean = () => true): void {
  scope.node.addValidation({
    validate: () => {
      const ctx = context();
      for (const { node, statements } of policyDocuments(scope).filter((p) => only(p.node))) {
        for (const s of statements) {
          for (const finding of wildcardFindings(s)) {
            const reason = reasonFor(grants, finding, s, ctx);
            if (reason) cdk.Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
          }
        }
      }
      return [];
    },
  });
}

// ---- CDK Pipelines ----

/** The flattened ARNs of the pipeline's artifact buckets (and their objects) and of their keys. */
export interface ArtifactStore {
  readonly buckets: ReadonlySet<string>;
  readonly keys: ReadonlySet<string>;
}

/** The start of an ARN as cdk-nag prints it, whatever the app's partition-literal flag. */
export const ARN = '(arn:aws[a-z-]*|arn:<AWS::Partition>|arn:\\*)';
const ARTIFACTS = "aws-cdk-lib's grant on the pipeline's artifact buckets and their KMS keys (CodePipeline passes every stage's input and output through them)";
const KMS_ACTIONS = /^kms:(Decrypt|DescribeKey|Encrypt|ReEncrypt\*|GenerateDataKey\*)$/;
const S3_ARTIFACT_ACTIONS = /^s3:(GetObject\*|GetBucket\*|List\*|DeleteObject\*|PutObject|PutObjectLegalHold|PutObjectRetention|PutObjectTagging|PutObjectVersionTagging|Abort\*|PutObjectAcl|PutObjectVersionAcl)$/;
const LOG_ACTIONS = /^logs:(CreateLogGroup|CreateLogStream|PutLogEvents)$/;
const REPORT_ACTIONS = /^codebuild:(CreateReportGroup|CreateReport|UpdateReport|BatchPutTestCases|BatchPutCodeCoverages)$/;

/** The IAM5 findings of CDK Pipelines' own grants, each with its reason. */
export const PIPELINE_GRANTS: readonly KnownGrant<ArtifactStore>[] = [
  {
    finding: /^(Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|Resource::.*\/\*)$/,
    actions: S3_ARTIFACT_ACTIONS,
    when: (s, store) => resourcesOf(s).every((r) => store.buckets.has(r)),
    reason: `${ARTIFACTS}: those buckets and their objects only`,
  },
  {
    finding: /^Action::kms:(ReEncrypt|GenerateDataKey)\*$/,
    actions: KMS_ACTIONS,
    when: (s, store) => resourcesOf(s).every((r) => r === '*' || store.keys.has(r)),
    reason: ARTIFACTS,
  },
  {
    finding: /^Resource::\*$/,
    actions: KMS_ACTIONS,
    reason: "The pipeline role's use of the cross-region replication bucket's key: aws-cdk-lib grants it by `*` because that key lives in the support stack of another region",
  },
  {
    finding: new RegExp(`^Resource::${ARN}:logs:[a-z0-9-]+:\\d{12}:log-group:/aws/codebuild/(<[A-Za-z0-9]+>:)?\\*$`),
    actions: LOG_ACTIONS,
    reason: "aws-cdk-lib's default grant to a CodeBuild project on its own /aws/codebuild log streams (the project also logs to the pipeline's encrypted log group)",
  },
  {
    finding: new RegExp(`^Resource::${ARN}:codebuild:[a-z0-9-]+:\\d{12}:report-group/(<[A-Za-z0-9]+>-)?\\*$`),
    actions: REPORT_ACTIONS,
    reason: "aws-cdk-lib's default grant to a CodeBuild project on the report groups named after it",
  },
  {
    finding: new RegExp(`^Resource::${ARN}:iam::\\d{12}:role/\\*$`),
    actions: /^sts:AssumeRole$/,
    when: (s) => JSON.stringify(s.Condition ?? {}).includes('iam:ResourceTag/aws-cdk:bootstrap-role'),
    reason: "Self-mutation's `cdk deploy` assumes the CDK bootstrap roles, selected by their aws-cdk:bootstrap-role tag, whose names it cannot know",
  },
  {
    finding: /^Resource::\*$/,
    actions: /^(cloudformation:DescribeStacks|s3:ListBucket)$/,
    reason: "Self-mutation's `cdk deploy` reads stack states and finds the bootstrap bucket; aws-cdk-lib does not scope either action",
  },
  {
    finding: /^Resource::\*$/,
    actions: /^ecr:GetAuthorizationToken$/,
    reason:
      "aws-cdk-lib's grant to each CodeBuild project that pulls the build image from ECR: GetAuthorizationToken has no resource-level permission (Service Authorization Reference, Amazon ECR); the pulls themselves are granted on the build image repository only",
  },
  {
    finding: /^Resource::\*$/,
    actions: /^codebuild:(BatchGetBuilds|StartBuild|StopBuild)$/,
    reason: "The asset-publishing action's role starts and follows the builds of its CodeBuild project, as aws-cdk-lib writes it",
  },
];

/**
 * Acknowledge the IAM5 findings of CDK Pipelines' grants under `scope`; `artifactBuckets`
 * are the buckets (with their keys) the pipeline passes artifacts through.
 */
export function acknowledgePipelineGrants(scope: IConstruct, artifactBuckets: readonly s3.IBucket[]): void {
  acknowledgeKnownGrants(scope, PIPELINE_GRANTS, () => {
    const stack = cdk.Stack.of(scope);
    const flat = (v: string) => flattenCfnReference(stack.resolve(v));
    return {
      buckets: new Set(artifactBuckets.flatMap((b) => [flat(b.bucketArn), flat(b.arnForObjects('*'))])),
      keys: new Set(artifactBuckets.flatMap((b) => (b.encryptionKey ? [flat(b.encryptionKey.keyArn)] : []))),
    };
  });
}

/**
 * Every CodeBuild project of the pipeline runs on the pinned image of build-image.ts (Debian
 * bookworm with Node 24, copied into the pipeline account's ECR), not on a CodeBuild
 * curated image.
 */
export function acknowledgeBuildImage(scope: IConstruct, image: codebuild.IBuildImage): void {
  const stack = cdk.Stack.of(scope);
  const imageId = JSON.stringify(stack.resolve(image.imageId));
  for (const node of scope.node.findAll()) {
    if (!(node instanceof codebuild.CfnProject)) continue;
    const environment = cdk.Stack.of(node).resolve(node.environment) as { image?: unknown };
    if (JSON.stringify(environment.image) !== imageId) continue;
    acknowledge(
      node,
      'AwsSolutions-CB5',
      "Debian bookworm with Node 24 (an LTS line) pinned by digest and pulled from the pipeline account's ECR (lib/pipeline/build-image.ts): Debian's chromium for the browser tests, which CodeBuild's Ubuntu images only offer as a snap",
    );
  }
}

/**
 * The artifact buckets of CodePipeline (the pipeline's, and the replication bucket of each
 * other region): their contents are build outputs that every run writes anew.
 */
export function acknowledgeArtifactBucket(bucket: s3.IBucket): void {
  const resource = bucket.node.defaultChild;
  if (!resource) return;
  const unlogged = "CodePipeline's artifact store, read and written only by the pipeline's roles over TLS with its KMS key; CloudTrail records the access, and a log bucket would itself be unlogged";
  const reasons: Record<string, string> = {
    'AwsSolutions-S1': unlogged,
    'cdk-validator-cfnguard::s3_bucket_logging_enabled_check': unlogged,
    'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check': 'Every pipeline run writes its artifacts under new keys; nothing is overwritten that a version could keep',
    'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check': 'Build artifacts expire after their retention; object lock would forbid exactly that',
    'cdk-validator-cfnguard::s3_event_notifications_enabled_check': 'Nothing reacts to artifacts but the pipeline itself, which CodePipeline drives',
  };
  for (const [id, reason] of Object.entries(reasons)) acknowledge(resource, id, reason);
}

// ---- The PR check (pr-check.ts) ----

const PR_CHECK_REPORTS = "the PR check's grant on its own report bucket and key (CodeBuild writes each pull request's diff there), nothing of the pipeline's";

/** The IAM5 findings of the PR check's role, each with its reason; the context is its bucket and key, flattened. */
export const PR_CHECK_GRANTS: readonly KnownGrant<ArtifactStore>[] = [
  {
    finding: /^(Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*|Resource::.*\/\*)$/,
    actions: S3_ARTIFACT_ACTIONS,
    when: (s, store) => resourcesOf(s).every((r) => store.buckets.has(r)),
    reason: `${PR_CHECK_REPORTS}: that bucket and its objects only`,
  },
  {
    finding: /^Action::kms:(ReEncrypt|GenerateDataKey)\*$/,
    actions: KMS_ACTIONS,
    when: (s, store) => resourcesOf(s).every((r) => store.keys.has(r)),
    reason: PR_CHECK_REPORTS,
  },
  PIPELINE_GRANTS.find((g) => g.actions === LOG_ACTIONS)!,
  PIPELINE_GRANTS.find((g) => g.actions === REPORT_ACTIONS)!,
  PIPELINE_GRANTS.find((g) => g.actions.source.includes('GetAuthorizationToken'))!,
];

/**
 * The PR check's findings: its role's grants on its own bucket and key (and aws-cdk-lib's
 * defaults for any CodeBuild project), its report bucket's, and its pinned image.
 */
export function acknowledgePrCheck(scope: IConstruct, reports: s3.IBucket, image: codebuild.IBuildImage): void {
  acknowledgeKnownGrants(scope, PR_CHECK_GRANTS, () => {
    const stack = cdk.Stack.of(scope);
    const flat = (v: string) => flattenCfnReference(stack.resolve(v));
    return { buckets: new Set([flat(reports.bucketArn), flat(reports.arnForObjects('*'))]), keys: new Set(reports.encryptionKey ? [flat(reports.encryptionKey.keyArn)] : []) };
  });
  const resource = reports.node.defaultChild;
  if (resource) {
    const unlogged = 'Diff reports of pull requests, written only by the PR check over TLS with its KMS key; CloudTrail records the access, and a log bucket would itself be unlogged';
    const reasons: Record<string, string> = {
      'AwsSolutions-S1': unlogged,
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check': unlogged,
      'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check': 'Every build writes its report under its own build ID; nothing is overwritten that a version could keep',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check': 'Reports expire after their retention; object lock would forbid exactly that',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check': 'Nothing reacts to a report; people read it from the build',
    };
    for (const [id, reason] of Object.entries(reasons)) acknowledge(resource, id, reason);
  }
  acknowledgeBuildImage(scope, image);
}
