/**
 * The pipeline's source: a repository through an AWS CodeConnections connection, with
 * the source action's role granted `UseConnection` under the service prefix of the
 * connection's own ARN.
 *
 * Why not `pipelines.CodePipelineSource.connection` as it is: its action
 * (`CodeStarConnectionsSourceAction`, aws-cdk-lib 2.276) always grants
 * `codestar-connections:UseConnection`. Since the rename of March 2024, AWS creates
 * connections as `arn:aws:codeconnections:...`, and "when specifying a resource in the
 * IAM policy, the service prefix needs to match that of the resource" (AWS Developer Tools
 * console user guide, "Connections rename - Summary of changes"). A codeconnections ARN
 * under a codestar-connections action grants nothing, and the first run fails in Source.
 * This action writes the same configuration and the same artifact-bucket grants, and the
 * one matching statement instead of CDK's.
 */
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';

/** The two service prefixes a connection ARN can have: the new one, and the one from before the rename. */
export const CONNECTION_SERVICE_PREFIXES = ['codeconnections', 'codestar-connections'] as const;
export type ConnectionServicePrefix = (typeof CONNECTION_SERVICE_PREFIXES)[number];

/** The service prefix of a connection ARN (`arn:<partition>:<prefix>:<region>:<account>:connection/<id>`). */
export function connectionServicePrefix(connectionArn: string): ConnectionServicePrefix {
  const service = connectionArn.split(':')[2];
  const prefix = CONNECTION_SERVICE_PREFIXES.find((p) => p === service);
  if (!prefix) {
    throw new Error(
      `config/workload.json pipeline.source.connectionArn: '${connectionArn}' is not a connection ARN; ` +
        `expected arn:<partition>:codeconnections:<region>:<account>:connection/<id> (or codestar-connections for a connection created before the 2024 rename)`,
    );
  }
  return prefix;
}

/** The IAM action that lets CodePipeline use the connection: the prefix must be the ARN's. */
export function useConnectionAction(connectionArn: string): string {
  return `${connectionServicePrefix(connectionArn)}:UseConnection`;
}

export interface ConnectionSourceProps {
  /** `owner/name`. */
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
}

/** A CodePipelineSource like `CodePipelineSource.connection`, with the grant that matches the ARN. */
export class ConnectionSource extends pipelines.CodePipelineSource {
  private readonly source: ConnectionSourceProps;

  constructor(props: ConnectionSourceProps) {
    // The repository as the step's ID, as CodePipelineSource.connection does: the action keeps its name.
    super(props.repository);
    const parts = props.repository.split('/');
    if (parts.length < 2 || parts.some((p) => p === '')) {
      throw new Error(`config/workload.json pipeline.source.repository: '${props.repository}' is not 'owner/name'`);
    }
    useConnectionAction(props.connectionArn);
    this.source = props;
    this.configurePrimaryOutput(new pipelines.FileSet('Source', this));
  }

  protected override getAction(output: codepipeline.Artifact, actionName: string, runOrder: number, variablesNamespace?: string): cpactions.Action {
    const [owner, ...repo] = this.source.repository.split('/');
    return new ConnectionSourceAction({
      output,
      actionName,
      runOrder,
      variablesNamespace,
      connectionArn: this.source.connectionArn,
      owner: owner!,
      repo: repo.join('/'),
      branch: this.source.branch,
    });
  }
}

/**
 * CodeStarConnectionsSourceAction with `UseConnection` under the ARN's prefix. Everything
 * else is what the parent's `bound` does for a source without CodeBuild clone output or a
 * push trigger setting: read/write on the artifact bucket (the action writes the source
 * zip), and the action's configuration.
 */
export interface ConnectionSourceActionProps extends cpactions.CodeStarConnectionsSourceActionProps {
  /**
   * Output a CodeBuild clone reference (`CODEBUILD_CLONE_REF`, full git history) instead of
   * a zip. The output does not carry the connection for CodeBuildAction, which would grant
   * it under the old prefix only: the consuming project's role must be granted
   * useConnectionAction() itself.
   */
  readonly gitClone?: boolean;
}

export class ConnectionSourceAction extends cpactions.CodeStarConnectionsSourceAction {
  private readonly connection: ConnectionSourceActionProps;

  constructor(props: ConnectionSourceActionProps) {
    super(props);
    if (props.codeBuildCloneOutput || props.triggerOnPush !== undefined) {
      throw new Error('ConnectionSourceAction writes neither codeBuildCloneOutput (use gitClone) nor DetectChanges; use the parent class for those');
    }
    this.connection = props;
  }

  protected override bound(_scope: Construct, _stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    const { connectionArn, owner, repo, branch } = this.connection;
    options.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [useConnectionAction(connectionArn)], resources: [connectionArn] }));
    options.bucket.grantReadWrite(options.role);
    options.bucket.grantPutAcl(options.role);
    return {
      configuration: {
        ConnectionArn: connectionArn,
        FullRepositoryId: `${owner}/${repo}`,
        BranchName: branch ?? 'master',
        ...(this.connection.gitClone ? { OutputArtifactFormat: 'CODEBUILD_CLONE_REF' } : {}),
      },
    };
  }
}
