/**
 * The names the agent's AWS and Kubernetes resources carry. AWS names are fixed rather
 * than generated because the Kubernetes manifests must name them (the IRSA annotation,
 * the token store's role and key) and the same manifests are written for GitOps users,
 * who never see a CloudFormation output.
 */
import { createHash } from 'node:crypto';
import type { Model } from '../model';
import { clusterConfig } from './topology';

/** Name of the agent's ServiceAccount, DaemonSet and container label. */
export const AGENT_NAME = 'appconfig-agent';
/** Name of the Kubernetes Secret holding the bearer token, in every namespace that gets it. */
export const TOKEN_SECRET_NAME = 'appconfig-agent-token';
/** Key of the token inside that Secret. */
export const TOKEN_SECRET_KEY = 'token';
/** Name of the External Secrets Operator ClusterSecretStore that reads the token. */
export const TOKEN_STORE_NAME = 'appconfig-agent-token';

const IAM_ROLE_NAME_MAX = 64;

export interface AgentNames {
  /** Kubernetes name of the EKS cluster (clusterName, or the key). */
  readonly eksClusterName: string;
  readonly partition: string;
  /** IAM role the agent's ServiceAccount assumes. */
  readonly agentRoleName: string;
  readonly agentRoleArn: string;
  /** IAM role the token sync controller assumes to read the token secret. */
  readonly tokenReaderRoleName: string;
  readonly tokenReaderRoleArn: string;
  /** Secrets Manager name of the token secret. */
  readonly tokenSecretName: string;
}

export function agentNames(model: Model, cluster: string): AgentNames {
  const config = clusterConfig(model, cluster);
  const partition = partitionOf(config.region);
  // Prefixed with the workload so two workloads' agents on one account never collide.
  const workload = model.workload.workload;
  const base = cluster.startsWith(`${workload}-`) ? cluster : `${workload}-${cluster}`;
  const agentRoleName = iamRoleName(`${base}-appconfig-agent`);
  const tokenReaderRoleName = iamRoleName(`${base}-agent-token-reader`);
  return {
    eksClusterName: config.clusterName ?? cluster,
    partition,
    agentRoleName,
    agentRoleArn: `arn:${partition}:iam::${config.account}:role/${agentRoleName}`,
    tokenReaderRoleName,
    tokenReaderRoleArn: `arn:${partition}:iam::${config.account}:role/${tokenReaderRoleName}`,
    tokenSecretName: `${model.workload.workload}/appconfig-agent/${cluster}/token`,
  };
}

/** The AWS partition of a region: the manifests need literal ARNs, not `${AWS::Partition}`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/**
 * IAM role names stop at 64 characters; cluster keys may be 63. A long name keeps a
 * readable prefix and ends in a hash of the whole, so it stays unique and stable.
 */
export function iamRoleName(wanted: string): string {
  if (wanted.length <= IAM_ROLE_NAME_MAX) return wanted;
  const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 8);
  return `${wanted.slice(0, IAM_ROLE_NAME_MAX - hash.length - 1)}-${hash}`;
}
