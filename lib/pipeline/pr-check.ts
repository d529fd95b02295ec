/**
 * The PR check for repositories that are not on GitHub (or do not use GitHub Actions): a
 * CodeBuild project, in the pipeline account, that a pull request against the pipeline's
 * branch starts through a CodeBuild webhook on the same CodeConnections connection as the
 * pipeline's source. It validates, diffs against the merge base with the target branch
 * (markdown, with the change's reach and blast radius), reports the build's status on
 * the pull request, prints the diff in the build log and keeps it as an S3 artifact.
 *
 * Enabled by workload.json `pipeline.pullRequestCheck` (`provider`, and `url` where the host
 * cannot be derived). What CodeBuild supports with a CodeConnections connection
 * (CodeBuild user guide: "GitLab connections", "Bitbucket webhook events", "GitLab webhook
 * events"; AWS::CodeBuild::Project SourceAuth type CODECONNECTIONS): source types GITHUB,
 * GITHUB_ENTERPRISE, BITBUCKET, GITLAB and GITLAB_SELF_MANAGED; pull-request events
 * PULL_REQUEST_CREATED and PULL_REQUEST_UPDATED on all of them, PULL_REQUEST_REOPENED on
 * GitHub, GitHub Enterprise and GitLab but not Bitbucket (its webhook has no reopen event).
 *
 * Untrusted code: a pull request's build runs the pull request's code (`npm ci` scripts
 * included) with this project's role. So the role reaches nothing of the pipeline: its own
 * log group, its own report bucket and key, and the connection (CodeBuild fetches the
 * source through it, which needs GetConnection and GetConnectionToken on the service
 * role). Pull requests from forks wait for a comment approval by someone with write access
 * (the webhook's pull request build policy). Never grant this role anything the pipeline uses.
 */
import * as cdk from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Model, PrCheckProvider, PullRequestCheckConfig } from '../model';
import { dynconfCommand } from './gate-steps';
import { BuildLogs, restrictKmsGrantsToAwsServices } from './hardening';
import { acknowledgePrCheck } from './nag';
import { connectionServicePrefix } from './source';

/** The declared check, or undefined when workload.json has no `pipeline.pullRequestCheck`. */
export function pullRequestCheckOf(model: Model): PullRequestCheckConfig | undefined {
  return model.workload.pipeline.pullRequestCheck;
}

interface ProviderFacts {
  readonly sourceType: string;
  /** The clone URL for `owner/name`, when the host is fixed. */
  readonly location?: (repository: string) => string;
  readonly events: readonly codebuild.EventAction[];
  /** Repository roles whose pull requests build without a comment approval, and who may approve one. */
  readonly approverRoles: readonly string[];
}

const CREATED_UPDATED = [codebuild.EventAction.PULL_REQUEST_CREATED, codebuild.EventAction.PULL_REQUEST_UPDATED];
const WITH_REOPENED = [...CREATED_UPDATED, codebuild.EventAction.PULL_REQUEST_REOPENED];
const GITHUB_WRITERS = ['GITHUB_WRITE', 'GITHUB_MAINTAIN', 'GITHUB_ADMIN'];
const GITLAB_WRITERS = ['GITLAB_DEVELOPER', 'GITLAB_MAINTAINER', 'GITLAB_OWNER'];

export const PROVIDER_FACTS: Readonly<Record<PrCheckProvider, ProviderFacts>> = {
  bitbucket: { sourceType: 'BITBUCKET', location: (r) => `https://bitbucket.org/${r}.git`, events: CREATED_UPDATED, approverRoles: ['BITBUCKET_WRITE', 'BITBUCKET_ADMIN'] },
  gitlab: { sourceType: 'GITLAB', location: (r) => `https://gitlab.com/${r}`, events: WITH_REOPENED, approverRoles: GITLAB_WRITERS },
  'gitlab-self-managed': { sourceType: 'GITLAB_SELF_MANAGED', events: WITH_REOPENED, approverRoles: GITLAB_WRITERS },
  'github-enterprise': { sourceType: 'GITHUB_ENTERPRISE', events: WITH_REOPENED, approverRoles: GITHUB_WRITERS },
  github: { sourceType: 'GITHUB', location: (r) => `https://github.com/${r}.git`, events: WITH_REOPENED, approverRoles: GITHUB_WRITERS },
};

/** The build status context on the pull request. */
export const PR_CHECK_STATUS_CONTEXT = 'dynconf PR check';
/** Where the build writes the markdown, relative to the checkout; the artifact holds this folder. */
export const PR_CHECK_REPORT_DIR = 'pr-check';
export const PR_CHECK_REPORT_FILE = 'dynconf-diff.md';
/** Days a report is kept: a pull request's life, give or take. */
export const PR_CHECK_REPORT_DAYS = 90;

/** The clone URL of the repository: `url` when given, else the provider's host and `owner/name`. */
export function prCheckLocation(model: Model, check: PullRequestCheckConfig): string {
  const facts = PROVIDER_FACTS[check.provider];
  if (check.url) return check.url;
  if (!facts.location) {
    throw new Error(`config/workload.json pipeline.pullRequestCheck.url: required for provider '${check.provider}' (the host is yours); give the repository's clone URL, e.g. https://git.example.com/${model.workload.pipeline.source.repository}`);
  }
  return facts.location(model.workload.pipeline.source.repository);
}

/**
 * The build commands. The base is the merge base of the pull request and its target
 * branch (CODEBUILD_WEBHOOK_BASE_REF; the pipeline's branch for a build started by hand):
 * the diff shows what the pull request changes, whatever the target did since. The target
 * is fetched explicitly (the git credential helper authenticates the fetch through the
 * connection) so the merge base never depends on the refs the clone brought. A failing
 * validate or diff fails the build, and the status on the pull request with it.
 */
export function prCheckCommands(model: Model): { install: string[]; build: string[] } {
  const branch = model.workload.pipeline.source.branch;
  const report = `${PR_CHECK_REPORT_DIR}/${PR_CHECK_REPORT_FILE}`;
  return {
    install: ['npm ci --no-audit --no-fund'],
    build: [
      `TARGET="\${CODEBUILD_WEBHOOK_BASE_REF:-refs/heads/${branch}}"`,
      'TARGET="${TARGET#refs/heads/}"',
      'git fetch --no-tags origin "+refs/heads/$TARGET:refs/remotes/origin/$TARGET"',
      'BASE="$(git merge-base "origin/$TARGET" HEAD)"',
      'echo "dynconf PR check: $CODEBUILD_RESOLVED_SOURCE_VERSION against $BASE (merge base with $TARGET)"',
      dynconfCommand('validate'),
      `mkdir -p ${PR_CHECK_REPORT_DIR}`,
      `${dynconfCommand('diff --base "$BASE" --format markdown')} > ${report}`,
      `cat ${report}`,
    ],
  };
}

/**
 * The connection source of the project: what aws-cdk-lib's Source.bitBucket/gitHub write,
 * plus what they cannot: GitLab types, CODECONNECTIONS auth, and the pull request build policy.
 */
class ConnectionPullRequestSource extends codebuild.Source {
  readonly type: string;

  constructor(
    private readonly props: { facts: ProviderFacts; location: string; connectionArn: string; branch: string },
  ) {
    super({});
    this.type = props.facts.sourceType;
  }

  override bind(_scope: Construct, _project: codebuild.IProject): codebuild.SourceConfig {
    const { facts, location, connectionArn, branch } = this.props;
    // Anchored: aws-cdk-lib's andBaseBranchIs writes an unanchored pattern, which `main` would also match in `main-old`.
    const filter = codebuild.FilterGroup.inEventOf(...facts.events).andBaseRefIs(`^refs/heads/${branch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    return {
      sourceProperty: {
        type: this.type,
        location,
        auth: { type: 'CODECONNECTIONS', resource: connectionArn },
        // The full history: the merge base may be far back.
        gitCloneDepth: 0,
        reportBuildStatus: true,
        buildStatusConfig: { context: PR_CHECK_STATUS_CONTEXT },
      },
      buildTriggers: {
        webhook: true,
        filterGroups: [filter._toJson()],
        pullRequestBuildPolicy: { requiresCommentApproval: 'FORK_PULL_REQUESTS', approverRoles: [...facts.approverRoles] },
      },
    };
  }
}

export interface PullRequestCheckProps {
  readonly model: Model;
  readonly check: PullRequestCheckConfig;
  /** The pipeline's image (build-image.ts). */
  readonly buildImage: codebuild.IBuildImage;
}

export class PullRequestCheck extends Construct {
  readonly project: codebuild.Project;
  readonly role: iam.Role;
  readonly reports: s3.Bucket;
  readonly key: kms.Key;
  readonly logs: BuildLogs;

  constructor(scope: Construct, id: string, props: PullRequestCheckProps) {
    super(scope, id);
    const { model, check } = props;
    const source = model.workload.pipeline.source;
    const facts = PROVIDER_FACTS[check.provider];
    const location = prCheckLocation(model, check);
    const prefix = connectionServicePrefix(source.connectionArn);

    this.role = new iam.Role(this, 'Role', {
      description: `CodeBuild role of the ${model.workload.workload} PR check: runs pull requests' code, so it reaches only its logs, its reports and the connection`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    });
    // CodeBuild fetches the source, reports the status and authenticates git through the connection.
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'SourceThroughConnection', actions: [`${prefix}:GetConnection`, `${prefix}:GetConnectionToken`], resources: [source.connectionArn] }),
    );

    this.key = new kms.Key(this, 'Key', { description: `Encrypts the ${model.workload.workload} PR check's reports`, enableKeyRotation: true });
    restrictKmsGrantsToAwsServices(this.key);
    this.reports = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ id: 'ExpireReports', expiration: cdk.Duration.days(PR_CHECK_REPORT_DAYS) }],
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    this.logs = new BuildLogs(this, 'Logs', { logGroupName: `/dynconf/${model.workload.workload}/pr-check` });

    const commands = prCheckCommands(model);
    this.project = new codebuild.Project(this, 'Project', {
      description: `dynconf ${model.workload.workload}: validate and diff each pull request against ${source.branch}, status reported on the pull request`,
      role: this.role,
      source: new ConnectionPullRequestSource({ facts, location, connectionArn: source.connectionArn, branch: source.branch }),
      environment: { buildImage: props.buildImage, computeType: codebuild.ComputeType.SMALL },
      encryptionKey: this.key,
      logging: { cloudWatch: { logGroup: this.logs.logGroup } },
      timeout: cdk.Duration.minutes(20),
      artifacts: codebuild.Artifacts.s3({ bucket: this.reports, includeBuildId: true, packageZip: false, name: 'report', path: 'pull-requests' }),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { variables: { CI: 'true' }, 'git-credential-helper': 'yes' },
        phases: { install: { commands: commands.install }, build: { commands: commands.build } },
        artifacts: { 'base-directory': PR_CHECK_REPORT_DIR, files: [PR_CHECK_REPORT_FILE] },
      }),
    });
    acknowledgePrCheck(this, this.reports, props.buildImage);
  }
}
