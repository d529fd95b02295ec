/**
 * The AppConfig Agent on one EKS cluster, as a cdk8s chart: one agent per node (a
 * DaemonSet on a hostPort) instead of a sidecar per pod, its ServiceAccount, the bearer
 * token Secret in every namespace that talks to it, and the RBAC around that Secret.
 *
 * The chart is a function of (model, cluster): the CDK stage that owns the cluster applies
 * it, and `dynconf manifests` writes the same objects for GitOps users.
 */
import { ApiObject, Chart, Duration, JsonPatch, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ClusterConfig, Model } from '../model';
import { AGENT_NAME, agentNames, TOKEN_SECRET_KEY, TOKEN_SECRET_NAME, TOKEN_STORE_NAME, type AgentNames } from './names';
import { clusterConfig, prefetchList } from './topology';

/** Requests and limits when workload.json gives none: the agent is a small cache with a few connections. */
export const DEFAULT_AGENT_RESOURCES = {
  cpuRequest: '50m',
  memoryRequest: '64Mi',
  cpuLimit: '250m',
  memoryLimit: '128Mi',
} as const;

/** The External Secrets Operator controller's ServiceAccount, as its Helm chart names it. */
export const DEFAULT_TOKEN_SYNC_CONTROLLER: ServiceAccountRef = { name: 'external-secrets', namespace: 'external-secrets' };

/** UID and GID the agent runs as: not root, and no user that owns anything on the node. */
const AGENT_UID = 65532;

/** External Secrets Operator's API; served by ESO 0.16 and later. */
const ESO_API_VERSION = 'external-secrets.io/v1';

export interface ServiceAccountRef {
  readonly name: string;
  readonly namespace: string;
}

export interface AgentChartProps extends ChartProps {
  readonly model: Model;
  /** Key of the cluster in workload.json `clusters`. */
  readonly cluster: string;
  /**
   * The ServiceAccount of the External Secrets Operator controller that writes the token
   * Secret; it gets a Role in each namespace that receives the token.
   * @default DEFAULT_TOKEN_SYNC_CONTROLLER (the ESO Helm chart's names)
   */
  readonly tokenSyncController?: ServiceAccountRef;
  /**
   * How often ESO re-reads the token from Secrets Manager, so a rotated token reaches the
   * cluster without a deployment.
   * @default Duration.hours(1)
   */
  readonly tokenRefreshInterval?: Duration;
  /**
   * Address the agent listens on inside its pod (HTTP_HOST). `0.0.0.0` is IPv4 only: an
   * IPv6 cluster needs an IPv6 wildcard that the agent version in use accepts.
   * @default '0.0.0.0'
   */
  readonly httpHost?: string;
  /**
   * At most this many nodes lose their agent at once during a rolling update.
   * @default '10%'
   */
  readonly maxUnavailable?: string | number;
}

export class AgentChart extends Chart {
  /** Namespaces that receive the token Secret: the agent's own, then the consumers'. */
  readonly tokenNamespaces: readonly string[];
  readonly agentNamespace: kplus.Namespace;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly daemonSet: kplus.DaemonSet;

  private readonly agentLabels = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'dynconf' };

  constructor(scope: Construct, id: string, props: AgentChartProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const config = clusterConfig(props.model, props.cluster);
    checkNamespaces(props.cluster, config);
    const names = agentNames(props.model, props.cluster);
    this.tokenNamespaces = [config.agent.namespace, ...Object.keys(config.namespaces)];

    this.agentNamespace = new kplus.Namespace(this, 'Namespace', {
      metadata: {
        name: config.agent.namespace,
        labels: {
          ...this.agentLabels,
          // A hostPort is forbidden by the baseline and restricted Pod Security levels, so this
          // namespace must enforce `privileged`. It holds only the agent; warn and audit stay at
          // `restricted` so anything looser than the hostPort still shows up on apply and in the
          // audit log.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    });
    this.serviceAccount = this.addServiceAccount(config, names);
    this.daemonSet = this.addDaemonSet(props, config);
    this.addToken(props, config, names);
  }

  private addServiceAccount(config: ClusterConfig, names: AgentNames): kplus.ServiceAccount {
    const sa = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name: AGENT_NAME,
        namespace: config.agent.namespace,
        labels: this.agentLabels,
        // IRSA finds the role through this annotation; with EKS Pod Identity the association
        // (created by the CDK stack) names the ServiceAccount instead.
        annotations: config.credentials.type === 'irsa' ? { 'eks.amazonaws.com/role-arn': names.agentRoleArn } : undefined,
      },
      // The agent never calls the Kubernetes API. Its AWS credentials come from the token that
      // IRSA or Pod Identity projects on its own, which does not need this one.
      automountToken: false,
    });
    // No Role and no RoleBinding for it: nothing in the cluster is the agent's business.
    sa.node.addDependency(this.agentNamespace);
    return sa;
  }

  private addDaemonSet(props: AgentChartProps, config: ClusterConfig): kplus.DaemonSet {
    const agent = config.agent;
    const prefetch = prefetchList(props.model, props.cluster);
    const ds = new kplus.DaemonSet(this, 'DaemonSet', {
      metadata: { name: AGENT_NAME, namespace: agent.namespace, labels: this.agentLabels },
      podMetadata: { labels: this.agentLabels },
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      // A new agent must stay up this long before the rollout moves to the next nodes.
      minReadySeconds: 10,
      securityContext: { ensureNonRoot: true, user: AGENT_UID, group: AGENT_UID },
      containers: [
        {
          name: 'agent',
          image: `${agent.image}:${agent.tag}${agent.digest ? `@${agent.digest}` : ''}`,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          // The hostPort is the point: a pod reaches the agent of its own node at status.hostIP,
          // without a Service hop and without leaving the node.
          ports: [{ name: 'http', number: agent.port, hostPort: agent.port, protocol: kplus.Protocol.TCP }],
          envVariables: {
            // Every interface of the pod: the hostPort is forwarded to the pod IP, not to loopback.
            HTTP_HOST: kplus.EnvValue.fromValue(props.httpHost ?? '0.0.0.0'),
            HTTP_PORT: kplus.EnvValue.fromValue(String(agent.port)),
            ACCESS_TOKEN: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, 'AgentTokenRef', TOKEN_SECRET_NAME), key: TOKEN_SECRET_KEY }),
            POLL_INTERVAL: kplus.EnvValue.fromValue(`${agent.pollIntervalSeconds}s`),
            // Only what pods need at start (namespaces' `prefetch`); the rest on first request.
            ...(prefetch ? { PREFETCH_LIST: kplus.EnvValue.fromValue(prefetch) } : {}),
            SERVICE_REGION: kplus.EnvValue.fromValue(config.region),
            LOG_LEVEL: kplus.EnvValue.fromValue(agent.logLevel),
            REQUEST_TIMEOUT: kplus.EnvValue.fromValue(`${agent.requestTimeoutMs}ms`),
            MAX_CONNECTIONS: kplus.EnvValue.fromValue(String(agent.maxConnections)),
          },
          // The agent has no health endpoint, and every HTTP path answers 401 without the token,
          // which a probe could only send by writing it in clear into this manifest. An open
          // port is the signal that remains: the agent listens once it has started.
          readiness: kplus.Probe.fromTcpSocket({ port: agent.port, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
          liveness: kplus.Probe.fromTcpSocket({ port: agent.port, initialDelaySeconds: Duration.seconds(15), periodSeconds: Duration.seconds(20), failureThreshold: 3 }),
          securityContext: {
            ensureNonRoot: true,
            user: AGENT_UID,
            group: AGENT_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    // A selector of our own: a DaemonSet's selector cannot change after creation.
    ds.select(kplus.LabelSelector.of({ labels: this.agentLabels }));
    // Every node whatever its taints: a pod scheduled there must find an agent on its hostIP.
    ds.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.any()));
    ds.node.addDependency(this.serviceAccount);
    ApiObject.of(ds).addJsonPatch(
      // Evicted last under node pressure, and it may preempt to get onto a full node: every
      // pod on the node depends on it.
      JsonPatch.add('/spec/template/spec/priorityClassName', 'system-node-critical'),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      // Quantities exactly as workload.json writes them.
      JsonPatch.add('/spec/template/spec/containers/0/resources', resourcesOf(config)),
      // maxSurge stays 0: a second agent pod on the same node could not bind the hostPort.
      JsonPatch.add('/spec/updateStrategy', {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: intOrString(props.maxUnavailable ?? '10%'), maxSurge: kplus.k8s.IntOrString.fromNumber(0) },
      }),
    );
    return ds;
  }

  /**
   * The token reaches the cluster through the External Secrets Operator: one store that
   * reads the Secrets Manager secret, and one ExternalSecret per namespace that needs it.
   * No manifest ever carries the value.
   */
  private addToken(props: AgentChartProps, config: ClusterConfig, names: AgentNames): void {
    const refresh = props.tokenRefreshInterval ?? Duration.hours(1);
    const controller = props.tokenSyncController ?? DEFAULT_TOKEN_SYNC_CONTROLLER;
    const store = new ApiObject(this, 'TokenStore', {
      apiVersion: ESO_API_VERSION,
      kind: 'ClusterSecretStore',
      metadata: { name: TOKEN_STORE_NAME, labels: this.agentLabels },
      spec: {
        // Only the namespaces listed for this cluster may pull the token through this store.
        conditions: [{ namespaces: [...this.tokenNamespaces] }],
        provider: {
          aws: {
            service: 'SecretsManager',
            region: config.region,
            // ESO assumes this role, which may read the token secret and nothing else.
            role: names.tokenReaderRoleArn,
          },
        },
      },
    });
    store.node.addDependency(this.agentNamespace);

    for (const ns of this.tokenNamespaces) {
      const external = new ApiObject(this, `Token-${ns}`, {
        apiVersion: ESO_API_VERSION,
        kind: 'ExternalSecret',
        metadata: { name: TOKEN_SECRET_NAME, namespace: ns, labels: this.agentLabels },
        spec: {
          refreshInterval: `${refresh.toSeconds()}s`,
          secretStoreRef: { kind: 'ClusterSecretStore', name: TOKEN_STORE_NAME },
          // Retain: removing the agent from a namespace must not break the pods still running there.
          target: { name: TOKEN_SECRET_NAME, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
          data: [{ secretKey: TOKEN_SECRET_KEY, remoteRef: { key: names.tokenSecretName } }],
        },
      });
      external.node.addDependency(store);
      this.addTokenSyncRbac(ns, controller);
    }
  }

  /**
   * What the sync controller needs to own the token Secret in one namespace, and no more.
   * ESO's Helm chart gives its controller a ClusterRole that already covers this; the Role
   * is what an ESO installed without that ClusterRole needs here, and it records the need.
   */
  private addTokenSyncRbac(ns: string, controller: ServiceAccountRef): void {
    const name = `${AGENT_NAME}-token-sync`;
    const role = new kplus.Role(this, `TokenSyncRole-${ns}`, { metadata: { name, namespace: ns, labels: this.agentLabels } });
    const token = kplus.Secret.fromSecretName(this, `TokenSecret-${ns}`, TOKEN_SECRET_NAME);
    role.allow(['get', 'update', 'patch', 'delete'], token);
    // Kubernetes cannot limit `create` to a name: the first sync must create the Secret.
    role.allow(['create'], kplus.ApiResource.SECRETS);
    role.allow(['get', 'list', 'watch'], kplus.ApiResource.custom({ apiGroup: 'external-secrets.io', resourceType: 'externalsecrets' }));
    role.allow(['update', 'patch'], kplus.ApiResource.custom({ apiGroup: 'external-secrets.io', resourceType: 'externalsecrets/status' }));
    role.allow(['create', 'patch'], kplus.ApiResource.EVENTS);
    const binding = new kplus.RoleBinding(this, `TokenSyncBinding-${ns}`, { metadata: { name, namespace: ns, labels: this.agentLabels }, role });
    // Bound to the ESO controller only: it is the one writer of the token Secret. Pods that
    // use the token need no binding: the kubelet resolves their secretKeyRef.
    binding.addSubjects(kplus.ServiceAccount.fromServiceAccountName(this, `TokenSyncController-${ns}`, controller.name, { namespaceName: controller.namespace }));
    role.node.addDependency(this.agentNamespace);
  }
}

function checkNamespaces(cluster: string, config: ClusterConfig): void {
  if (Object.hasOwn(config.namespaces, config.agent.namespace)) {
    throw new Error(
      `clusters.${cluster}.agent.namespace: '${config.agent.namespace}' is also listed in clusters.${cluster}.namespaces; ` +
        'it must enforce the privileged Pod Security level for the hostPort, which would loosen every workload there: give the agent a namespace of its own',
    );
  }
}

function resourcesOf(config: ClusterConfig): kplus.k8s.ResourceRequirements {
  const r = { ...DEFAULT_AGENT_RESOURCES, ...config.agent.resources };
  const q = (v: string) => kplus.k8s.Quantity.fromString(v);
  return { requests: { cpu: q(r.cpuRequest), memory: q(r.memoryRequest) }, limits: { cpu: q(r.cpuLimit), memory: q(r.memoryLimit) } };
}

function intOrString(v: string | number): kplus.k8s.IntOrString {
  return typeof v === 'number' ? kplus.k8s.IntOrString.fromNumber(v) : kplus.k8s.IntOrString.fromString(v);
}
