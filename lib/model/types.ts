/**
 * The shapes of the three source formats after schema validation. The JSON Schemas in
 * config/schemas/ are the contract editors and CI check; these types mirror them.
 */

export type Tier = 'beta' | 'gamma' | 'prod';

export interface WorkloadConfig {
  readonly workload: string;
  readonly pipeline: PipelineConfig;
  readonly strategies: Readonly<Record<string, StrategyConfig>>;
  readonly environments: Readonly<Record<string, EnvironmentConfig>>;
  readonly applications: Readonly<Record<string, ApplicationConfig>>;
  readonly clusters: Readonly<Record<string, ClusterConfig>>;
  /** AWS quotas raised in every account and region the workload uses; see lib/model/quotas.ts. */
  readonly serviceQuotas?: ServiceQuotasConfig;
  /** The emergency lane: see lib/model/emergency.ts for what may take it. */
  readonly emergency?: EmergencyConfig;
}

export interface EmergencyConfig {
  /** A strategy in `strategies` that every emergency deployment uses. */
  readonly strategy: string;
  /**
   * Git branch glob whose pushes run the lane (`*` within a path segment, `**` across).
   * @default 'emergency/*'
   */
  readonly branches?: string;
}

/** AppConfig quotas dynconf checks; keys as in workload.schema.json. */
export type AppConfigQuotaKey =
  | 'applicationsPerRegion'
  | 'environmentsPerApplication'
  | 'configurationProfilesPerApplication'
  | 'deploymentStrategiesPerRegion'
  | 'monitorsPerEnvironment'
  | 'validatorsPerConfigurationProfile';

export interface ServiceQuotasConfig {
  /** Values granted by Service Quotas; each applies to every account and region. */
  readonly appconfig?: Readonly<Partial<Record<AppConfigQuotaKey, number>>>;
}

export interface PipelineConfig {
  readonly account: string;
  readonly region: string;
  readonly source: {
    readonly repository: string;
    readonly branch: string;
    readonly connectionArn: string;
  };
  /** Environments deployed one after another before any wave. */
  readonly stages: readonly string[];
  readonly waves: readonly WaveConfig[];
  /** Minutes a rollout gate waits for AppConfig to finish before failing the stage. */
  readonly gateTimeoutMinutes?: number;
  /** The CodeBuild image of every pipeline step, pinned by digest; default in lib/pipeline/build-image.ts. */
  readonly buildImage?: BuildImageConfig;
  /** A pull-request check in CodeBuild for repositories whose pull requests GitHub Actions does not see (lib/pipeline/pr-check.ts). */
  readonly pullRequestCheck?: PullRequestCheckConfig;
}

/** The hosts a CodeConnections connection reaches, as workload.json names them. */
export type PrCheckProvider = 'bitbucket' | 'gitlab' | 'gitlab-self-managed' | 'github-enterprise' | 'github';

export interface PullRequestCheckConfig {
  readonly provider: PrCheckProvider;
  /** The repository's clone URL; required for self-hosted providers, derived otherwise. */
  readonly url?: string;
}

export interface BuildImageConfig {
  /** Where the image is copied from, with the tag its digest was read from (e.g. public.ecr.aws/docker/library/node:24-bookworm). */
  readonly image: string;
  /** `sha256:<64 hex>`: what is copied and what CodeBuild pulls. */
  readonly digest: string;
  /** The ECR repository in the pipeline account and region that holds the copy; default `<workload>-dynconf/build-image`. */
  readonly repository?: string;
}

export interface WaveConfig {
  readonly name: string;
  readonly environments: readonly string[];
  /** A person approves in CodePipeline before this wave starts. */
  readonly manualApproval?: boolean;
}

export interface StrategyConfig {
  readonly description?: string;
  readonly growthType: 'LINEAR' | 'EXPONENTIAL';
  /** Percentage of targets to receive the configuration per interval, 1-100. */
  readonly growthFactor: number;
  readonly deploymentDurationMinutes: number;
  readonly finalBakeTimeMinutes: number;
}

export interface EnvironmentConfig {
  readonly tier: Tier;
  readonly description?: string;
  readonly account: string;
  readonly region: string;
  readonly strategy: string;
  readonly monitors: readonly MonitorConfig[];
  readonly clusters: readonly string[];
  /** A synthetic canary the stage creates; its alarm becomes one of this environment's monitors. */
  readonly canary?: CanaryConfig;
}

export type MonitorConfig = ExistingAlarmMonitor | MetricAlarmMonitor;

export interface ExistingAlarmMonitor {
  readonly alarmArn: string;
}

export interface MetricAlarmMonitor {
  readonly metricAlarm: MetricAlarmConfig;
}

export interface MetricAlarmConfig {
  readonly name: string;
  readonly description?: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly comparisonOperator:
    | 'GreaterThanOrEqualToThreshold'
    | 'GreaterThanThreshold'
    | 'LessThanThreshold'
    | 'LessThanOrEqualToThreshold';
  readonly treatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
}

export interface CanaryConfig {
  readonly url: string;
  readonly rateMinutes: number;
}

export interface ApplicationConfig {
  readonly owner: string;
  readonly description: string;
}

export type AgentCredentials =
  | { readonly type: 'irsa'; readonly oidcProviderArn: string }
  | { readonly type: 'pod-identity' };

export interface ClusterConfig {
  readonly description?: string;
  readonly account: string;
  readonly region: string;
  /** Name of the EKS cluster; defaults to the key. */
  readonly clusterName?: string;
  /** Role CloudFormation's kubectl handler assumes to apply manifests. */
  readonly kubectlRoleArn: string;
  /** How the kubectl handler reaches the cluster's API endpoint, and which kubectl it runs. */
  readonly kubectl: KubectlConfig;
  readonly credentials: AgentCredentials;
  readonly agent: AgentConfig;
  /** Namespaces whose workloads read configuration from the agent, by name. */
  readonly namespaces: Readonly<Record<string, NamespaceConfig>>;
}

/** EKS cluster endpoint access, as the EKS console and API name it. */
export type EndpointAccess = 'public' | 'private' | 'public-and-private';

export interface KubectlConfig {
  /** The cluster's endpoint access: a private-only endpoint is reachable only from its VPC. */
  readonly endpointAccess: EndpointAccess;
  /** The cluster's Kubernetes minor version (`1.34`): picks the kubectl layer. */
  readonly kubernetesVersion: string;
  /** VPC of the subnets below; required with `subnetIds`. */
  readonly vpcId?: string;
  /** Private subnets the kubectl handler runs in, to reach a private endpoint. */
  readonly subnetIds?: readonly string[];
  /** Security group of the handler, allowed to reach the cluster's security group on 443. */
  readonly securityGroupId?: string;
}

export interface NamespaceConfig {
  /** Applications whose configuration the pods of this namespace read from the agent. */
  readonly applications: readonly string[];
  /**
   * Of those, the applications the agent fetches when it starts (PREFETCH_LIST), in every
   * environment the cluster serves; the rest are fetched on a pod's first request.
   * @default none
   */
  readonly prefetch?: readonly string[];
}

export interface AgentConfig {
  readonly image: string;
  readonly tag: string;
  readonly digest?: string;
  readonly namespace: string;
  readonly port: number;
  readonly pollIntervalSeconds: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly resources?: {
    readonly cpuRequest?: string;
    readonly memoryRequest?: string;
    readonly cpuLimit?: string;
    readonly memoryLimit?: string;
  };
}

// ---- flags/<app>.json ----

export interface FlagsFileConfig {
  readonly flags: Readonly<Record<string, FlagConfig>>;
}

export type Exposure = 'server' | 'browser';

export interface FlagConfig {
  readonly name: string;
  readonly description?: string;
  readonly owner?: string;
  /** ISO date (YYYY-MM-DD) after which the flag should be gone. */
  readonly expires?: string;
  readonly exposure?: Exposure;
  readonly attributes?: Readonly<Record<string, AttributeConfig>>;
  readonly default?: FlagValueConfig;
  readonly environments?: Readonly<Record<string, FlagValueConfig>>;
}

export interface AttributeConfig {
  readonly description?: string;
  readonly constraints: AttributeConstraints;
}

export type AttributeType = 'string' | 'number' | 'boolean' | 'string[]' | 'number[]';

export interface AttributeConstraints {
  readonly type: AttributeType;
  readonly required?: boolean;
  readonly pattern?: string;
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly elements?: {
    readonly type: 'string' | 'number';
    readonly pattern?: string;
    readonly enum?: readonly (string | number)[];
    readonly minimum?: number;
    readonly maximum?: number;
  };
}

export type AttributeValue = string | number | boolean | readonly string[] | readonly number[];

/** `{ enabled, ...attributes }` or `{ variants: [...] }`; see the flags schema. */
export interface FlagValueConfig {
  readonly enabled?: boolean;
  readonly variants?: readonly VariantConfig[];
  readonly [attribute: string]: unknown;
}

export interface VariantConfig {
  readonly name: string;
  readonly rule?: string;
  readonly enabled: boolean;
  readonly attributeValues?: Readonly<Record<string, AttributeValue>>;
}
