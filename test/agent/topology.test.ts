import { agentGrantsFor, clusterOwner, ownedClusters, prefetchList, servedEnvironments } from '../../lib/agent/topology';
import type { Model } from '../../lib/model';
import { LOWER, PROD, sampleModel, withCluster } from './support';

/** The sample with the waves rearranged: prod-01 and prod-02 deployed by the same wave. */
function sharedWave(model: Model): Model {
  const pipeline = model.pipeline.map((s) => (s.name === 'prod-wave-1' ? { ...s, environments: ['prod-01', 'prod-02'] } : s.name === 'prod-wave-2' ? { ...s, environments: ['prod-03'] } : s));
  return { ...model, pipeline };
}

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

describe('agentGrantsFor', () => {
  test('later environments grant themselves on the owner-created role', () => {
    expect(agentGrantsFor(sampleModel(), 'gamma')).toEqual([{ cluster: LOWER, owner: 'beta', sameStep: false }]);
    expect(agentGrantsFor(sampleModel(), 'prod-02')).toEqual([{ cluster: PROD, owner: 'prod-01', sameStep: false }]);
    expect(agentGrantsFor(sampleModel(), 'prod-01')).toEqual([]);
  });

  test('flags an environment in the same wave as the owner: its stack needs an explicit dependency', () => {
    expect(agentGrantsFor(sharedWave(sampleModel()), 'prod-02')).toEqual([{ cluster: PROD, owner: 'prod-01', sameStep: true }]);
    expect(agentGrantsFor(sharedWave(sampleModel()), 'prod-03')).toEqual([{ cluster: PROD, owner: 'prod-01', sameStep: false }]);
  });

  test('an unknown environment is an error', () => {
    expect(() => agentGrantsFor(sampleModel(), 'prod-9')).toThrow(/unknown environment 'prod-9'/);
  });
});

describe('prefetchList', () => {
  test('is app:env:profile, comma-separated, for every profile of every served environment', () => {
    const list = prefetchList(sampleModel(), PROD).split(',');
    const apps = sampleModel().applications;
    expect(list).toHaveLength(3 * apps.reduce((n, a) => n + a.profiles.length, 0));
    expect(list[0]).toBe('search-service-net:prod-01:flags');
    for (const entry of list) expect(entry).toMatch(/^[a-z0-9-]+:prod-0[123]:(flags|ops|browser)$/);
  });

  test('follows the environments a cluster serves', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => c);
    const trimmed = { ...model, workload: { ...model.workload, environments: { ...model.workload.environments, gamma: { ...model.workload.environments.gamma!, clusters: [] } } } };
    expect(prefetchList(trimmed, LOWER).split(',').every((e) => e.includes(':beta:'))).toBe(true);
  });
});
