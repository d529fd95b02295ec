import { Duration, Testing } from 'cdk8s';
import { AgentChart, DEFAULT_AGENT_RESOURCES, type AgentChartProps } from '../../lib/agent/chart';
import { TOKEN_SECRET_NAME } from '../../lib/agent/names';
import { LOWER, ofKind, PROD, sampleModel, validateK8sObject, withCluster, type Any, type K8sObject } from './support';

function synth(props: Partial<AgentChartProps> & { cluster: string }): K8sObject[] {
  const chart = new AgentChart(Testing.app(), props.cluster, { model: sampleModel(), ...props });
  return Testing.synth(chart) as K8sObject[];
}

function daemonSet(objects: K8sObject[]): Any {
  const [ds] = ofKind(objects, 'DaemonSet');
  return ds;
}

function envOf(objects: K8sObject[]): Record<string, Any> {
  const container = daemonSet(objects).spec.template.spec.containers[0];
  return Object.fromEntries(container.env.map((e: Any) => [e.name, e.value ?? e.valueFrom]));
}

describe.each([LOWER, PROD])('every object of %s', (cluster) => {
  const objects = synth({ cluster });

  test('passes the Kubernetes schema (ESO kinds: their CRD subset)', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(() => validateK8sObject(o)).not.toThrow();
  });

  test('has the kinds the agent needs and no Secret (ESO creates it)', () => {
    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    expect(kinds).toEqual(['ClusterSecretStore', 'DaemonSet', 'ExternalSecret', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount']);
  });
});

describe('schema check', () => {
  test('a wrong field type fails', () => {
    const ds = daemonSet(synth({ cluster: LOWER }));
    ds.spec.template.spec.containers[0].ports[0].hostPort = '2772';
    expect(() => validateK8sObject(ds)).toThrow(/hostPort must be integer/);
  });

  test('a misspelt ExternalSecret field fails', () => {
    const [ext] = ofKind(synth({ cluster: LOWER }), 'ExternalSecret') as Any[];
    ext.spec.target.creationPolicy = 'Owned';
    expect(() => validateK8sObject(ext)).toThrow(/creationPolicy/);
    delete ext.spec.target.creationPolicy;
    ext.spec.refreshIntervall = '1h';
    expect(() => validateK8sObject(ext)).toThrow(/additional properties/);
  });

  test('an unknown kind fails instead of being skipped', () => {
    expect(() => validateK8sObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toThrow(/no schema for v1\/Pod/);
  });
});

describe('DaemonSet', () => {
  const objects = synth({ cluster: LOWER });
  const ds = daemonSet(objects);
  const pod = ds.spec.template.spec;
  const container = pod.containers[0];

  test('runs the configured image and tag', () => {
    expect(container.image).toBe('public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x');
  });

  test('a digest pins the image', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, agent: { ...c.agent, digest } }));
    expect(daemonSet(synth({ cluster: LOWER, model })).spec.template.spec.containers[0].image).toBe(`public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x@${digest}`);
  });

  test('listens on containerPort and hostPort 2772 without pinning a host IP', () => {
    expect(container.ports).toEqual([{ containerPort: 2772, hostPort: 2772, name: 'http', protocol: 'TCP' }]);
    expect(pod.hostNetwork).toBe(false);
  });

  test('sets the agent environment in the formats AWS documents', () => {
    expect(envOf(objects)).toEqual({
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: '2772',
      ACCESS_TOKEN: { secretKeyRef: { name: TOKEN_SECRET_NAME, key: 'token' } },
      POLL_INTERVAL: '30s',
      PREFETCH_LIST: 'payment-service-v2:beta:flags,payment-service-v2:beta:ops,payment-service-v2:gamma:flags,payment-service-v2:gamma:ops',
      SERVICE_REGION: 'us-west-2',
      LOG_LEVEL: 'info',
      REQUEST_TIMEOUT: '3000ms',
      MAX_CONNECTIONS: '3',
    });
  });

  test("PREFETCH_LIST holds only the namespaces' prefetch applications, in the environments the cluster serves", () => {
    const entries = envOf(objects).PREFETCH_LIST.split(',');
    expect(entries.every((e: string) => e.startsWith('payment-service-v2:'))).toBe(true);
    expect(entries.some((e: string) => e.includes(':prod-'))).toBe(false);
  });

  test('without prefetch, no PREFETCH_LIST: the agent fetches each configuration on its first request', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, namespaces: { search: { applications: ['search-service-net'] } } }));
    expect(envOf(synth({ cluster: LOWER, model })).PREFETCH_LIST).toBeUndefined();
  });

  test('the prod cluster prefetches its three cells with its own settings', () => {
    const env = envOf(synth({ cluster: PROD }));
    expect(env.SERVICE_REGION).toBe('us-east-1');
    expect(env.LOG_LEVEL).toBe('warn');
    expect(env.MAX_CONNECTIONS).toBe('5');
    expect(new Set(env.PREFETCH_LIST.split(',').map((e: string) => e.split(':')[1]))).toEqual(new Set(['prod-01', 'prod-02', 'prod-03']));
  });

  test('is node-critical and tolerates every taint', () => {
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  test('has default requests and limits, or the configured ones', () => {
    const d = DEFAULT_AGENT_RESOURCES;
    expect(container.resources).toEqual({ requests: { cpu: d.cpuRequest, memory: d.memoryRequest }, limits: { cpu: d.cpuLimit, memory: d.memoryLimit } });
    const prod = daemonSet(synth({ cluster: PROD })).spec.template.spec.containers[0];
    expect(prod.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  });

  test('is probed on its TCP port', () => {
    expect(container.readinessProbe.tcpSocket).toEqual({ port: 2772 });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 2772 });
    expect(container.livenessProbe.initialDelaySeconds).toBeGreaterThan(0);
  });

  test('runs non-root, read-only, without privilege escalation or capabilities, under RuntimeDefault seccomp', () => {
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  test('mounts no service-account token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('appconfig-agent');
    expect(pod.volumes ?? []).toEqual([]);
  });

  test('rolls a bounded share of nodes at a time and never surges onto a busy hostPort', () => {
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } });
    expect(ds.spec.minReadySeconds).toBeGreaterThan(0);
  });

  test('selects its pods by stable labels', () => {
    expect(ds.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'appconfig-agent', 'app.kubernetes.io/part-of': 'dynconf' } });
    expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
  });
});

describe('namespace and ServiceAccount', () => {
  test('the agent namespace admits the hostPort and audits the rest at restricted', () => {
    const [ns] = ofKind(synth({ cluster: LOWER }), 'Namespace') as Any[];
    expect(ns.metadata.name).toBe('appconfig-agent');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
  });

  test('IRSA: the ServiceAccount carries the role annotation and mounts no token', () => {
    const [sa] = ofKind(synth({ cluster: LOWER }), 'ServiceAccount') as Any[];
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::222222222222:role/g360-lower-eks-cluster-02-appconfig-agent' });
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  test('Pod Identity: no annotation (the association names the ServiceAccount)', () => {
    const [sa] = ofKind(synth({ cluster: PROD }), 'ServiceAccount') as Any[];
    expect(sa.metadata.annotations).toBeUndefined();
  });

  test('refuses to share a namespace with consumers, whose Pod Security it would loosen', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, namespaces: { ...c.namespaces, 'appconfig-agent': { applications: ['sso-service'] } } }));
    expect(() => synth({ cluster: LOWER, model })).toThrow(/clusters\.lower-eks-cluster-02\.agent\.namespace: 'appconfig-agent' is also listed.*give the agent a namespace of its own/);
  });

  test('an unknown cluster names the ones that exist', () => {
    expect(() => synth({ cluster: 'nope' })).toThrow("unknown cluster 'nope': config/workload.json defines 'lower-eks-cluster-02', 'g360-prod-core-01'");
  });
});

describe('token', () => {
  const objects = synth({ cluster: LOWER });
  const namespaces = ['appconfig-agent', 'search', 'payments', 'identity', 'groupsync'];

  test('reaches the agent namespace and every consumer namespace through an ExternalSecret', () => {
    const externals = ofKind(objects, 'ExternalSecret') as Any[];
    expect(externals.map((e) => e.metadata.namespace)).toEqual(namespaces);
    for (const e of externals) {
      expect(e.spec).toEqual({
        refreshInterval: '3600s',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'appconfig-agent-token' },
        target: { name: TOKEN_SECRET_NAME, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
        data: [{ secretKey: 'token', remoteRef: { key: 'g360/appconfig-agent/lower-eks-cluster-02/token' } }],
      });
    }
  });

  test('the store reads Secrets Manager through the token reader role, for the listed namespaces only', () => {
    const [store] = ofKind(objects, 'ClusterSecretStore') as Any[];
    expect(store.spec).toEqual({
      conditions: [{ namespaces }],
      provider: { aws: { service: 'SecretsManager', region: 'us-west-2', role: 'arn:aws:iam::222222222222:role/g360-lower-eks-cluster-02-agent-token-reader' } },
    });
  });

  test('no object carries secret data', () => {
    for (const o of objects as Any[]) {
      expect(o.data).toBeUndefined();
      expect(o.stringData).toBeUndefined();
    }
  });
});

describe('RBAC', () => {
  const objects = synth({ cluster: LOWER });

  test('the sync controller may touch only the token Secret by name, except create', () => {
    const roles = ofKind(objects, 'Role') as Any[];
    expect(roles).toHaveLength(5);
    for (const role of roles) {
      const secretRules = role.rules.filter((r: Any) => r.resources.includes('secrets'));
      expect(secretRules).toEqual([
        { apiGroups: [''], resources: ['secrets'], resourceNames: [TOKEN_SECRET_NAME], verbs: ['get', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ]);
      expect(role.rules.flatMap((r: Any) => r.verbs)).not.toContain('*');
      expect(role.rules.flatMap((r: Any) => r.resources)).not.toContain('*');
    }
  });

  test('each Role is bound to the ESO controller and to no one else', () => {
    for (const b of ofKind(objects, 'RoleBinding') as Any[]) {
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'appconfig-agent-token-sync' });
      expect(b.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' }]);
    }
  });

  test('nothing is granted to the agent', () => {
    const subjects = (ofKind(objects, 'RoleBinding') as Any[]).flatMap((b) => b.subjects);
    expect(subjects.some((s: Any) => s.name === 'appconfig-agent')).toBe(false);
    expect(objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });
});

describe('snapshots', () => {
  test('defaults', () => {
    expect(synth({ cluster: LOWER })).toMatchSnapshot();
  });

  test('custom', () => {
    const model = withCluster(sampleModel(), PROD, (c) => ({ ...c, agent: { ...c.agent, digest: `sha256:${'0'.repeat(64)}` } }));
    const objects = synth({
      cluster: PROD,
      model,
      maxUnavailable: 2,
      httpHost: '::',
      tokenRefreshInterval: Duration.minutes(15),
      tokenSyncController: { name: 'eso', namespace: 'platform-secrets' },
    });
    expect(daemonSet(objects).spec.updateStrategy.rollingUpdate.maxUnavailable).toBe(2);
    expect(envOf(objects).HTTP_HOST).toBe('::');
    expect((ofKind(objects, 'ExternalSecret')[0] as Any).spec.refreshInterval).toBe('900s');
    expect((ofKind(objects, 'RoleBinding')[0] as Any).subjects[0]).toMatchObject({ name: 'eso', namespace: 'platform-secrets' });
    expect(objects).toMatchSnapshot();
  });
});
