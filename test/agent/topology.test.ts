import { clusterOwner, consumedApplications, ownedClusters, prefetchedApplications, prefetchList, servedEnvironments } from '../../lib/agent/topology';
import { LOWER, PROD, sampleModel, withCluster } from './support';

describe('servedEnvironments', () => {
  test('lists the environments that name the cluster, in pipeline order', () => {
    expect(servedEnvironments(sampleModel(), LOWER)).toEqual(['beta', 'gamma']);
    expect(servedEnvironments(sampleModel(), PROD)).toEqual(['prod-01', 'prod-02', 'prod-03']);
  });

  test('an unknown cluster is an error naming the known ones', () => {
    expect(() => servedEnvironments(sampleModel(), 'lower-eks-cluster-2')).toThrow(/unknown cluster 'lower-eks-cluster-2'.*'lower-eks-cluster-02'/);
  });
});

describe('clusterOwner', () => {
  test('is the first environment in pipeline order that lists the cluster', () => {
    expect(clusterOwner(sampleModel(), LOWER)).toMatchObject({ environment: 'beta', step: { kind: 'stage', name: 'beta' } });
    expect(clusterOwner(sampleModel(), PROD)).toMatchObject({ environment: 'prod-01', step: { kind: 'wave', name: 'prod-wave-1' } });
  });

  test('a cluster no environment lists has no owner, and the error says how to fix it', () => {
    const model = { ...sampleModel(), workload: { ...sampleModel().workload, clusters: { ...sampleModel().workload.clusters, spare: sampleModel().workload.clusters[LOWER]! } } };
    expect(() => clusterOwner(model, 'spare')).toThrow(/serves no environment.*list it in the clusters of an environment/);
  });

  test('ownedClusters is the inverse', () => {
    expect(ownedClusters(sampleModel(), 'beta')).toEqual([LOWER]);
    expect(ownedClusters(sampleModel(), 'gamma')).toEqual([]);
    expect(ownedClusters(sampleModel(), 'prod-01')).toEqual([PROD]);
    expect(ownedClusters(sampleModel(), 'prod-03')).toEqual([]);
  });
});

describe('what the namespaces read', () => {
  test('consumedApplications: every application some namespace lists, in workload.json order', () => {
    expect(consumedApplications(sampleModel(), PROD)).toEqual(['search-service-net', 'payment-service-v2', 'sso-service', 'groupsync-v3']);
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, namespaces: { payments: { applications: ['payment-service-v2'] } } }));
    expect(consumedApplications(model, LOWER)).toEqual(['payment-service-v2']);
  });

  test('prefetchedApplications: only those a namespace marks prefetch', () => {
    expect(prefetchedApplications(sampleModel(), LOWER)).toEqual(['payment-service-v2']);
    expect(prefetchedApplications(sampleModel(), PROD)).toEqual(['payment-service-v2', 'sso-service']);
  });
});

describe('prefetchList', () => {
  test('is app:env:profile, comma-separated, for every profile of a prefetched application in every served environment', () => {
    expect(prefetchList(sampleModel(), PROD).split(',')).toEqual(
      ['prod-01', 'prod-02', 'prod-03'].flatMap((env) => [`payment-service-v2:${env}:flags`, `payment-service-v2:${env}:ops`, `sso-service:${env}:flags`, `sso-service:${env}:ops`]),
    );
  });

  test('is empty when no namespace prefetches: the agent fetches on first request', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, namespaces: { search: { applications: ['search-service-net'] } } }));
    expect(prefetchList(model, LOWER)).toBe('');
  });

  test('follows the environments a cluster serves', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => c);
    const trimmed = { ...model, workload: { ...model.workload, environments: { ...model.workload.environments, gamma: { ...model.workload.environments.gamma!, clusters: [] } } } };
    expect(prefetchList(trimmed, LOWER).split(',').every((e) => e.includes(':beta:'))).toBe(true);
  });
});
