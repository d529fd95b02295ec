/**
 * The data-plane cost model behind `dynconf plan`: one agent per node polls what its node's
 * pods need (plus the prefetch list); a sidecar per pod polls its own pod's profiles.
 */
import { APPCONFIG_PRICES, DEFAULT_CLUSTER_LOAD, estimateDataPlane } from '../../lib/agent/data-plane-cost';
import { LOWER, PROD, sampleModel, withCluster } from './support';

test('the sample prod cluster: 27 entries served, 12 prefetched; the DaemonSet polls at most what its nodes need', () => {
  const e = estimateDataPlane(sampleModel(), PROD);
  // 4 applications read (9 profiles) in 3 environments; payment-service-v2 and sso-service prefetched (2 profiles each).
  expect(e.servedEntries).toBe(27);
  expect(e.prefetchEntries).toBe(12);
  expect(e.profilesPerPod).toBe(9 / 4);
  // 20 pods a node, 2.25 profiles each: 45 > 27, so each node holds every entry.
  expect(e.daemonSet.configurationsPerPoller).toBe(27);
  expect(e.daemonSet.callsPerSecond).toBe((100 * 27) / 30);
  expect(e.sidecar.callsPerSecond).toBe((2000 * 2.25) / 30);
  expect(e.daemonSet.callsPerDay).toBeLessThanOrEqual(e.sidecar.callsPerDay);
  expect(e.daemonSet.callsCostPerMonth).toBeCloseTo(e.daemonSet.callsPerDay * 30 * APPCONFIG_PRICES.perApiCall, 10);
});

test('a node never polls more than the cluster serves, nor more than its pods and the prefetch list need', () => {
  const few = estimateDataPlane(sampleModel(), PROD, { nodes: 100, pods: 100 });
  expect(few.daemonSet.configurationsPerPoller).toBe(12 + 1 * 2.25);
  const one = estimateDataPlane(sampleModel(), PROD, { nodes: 1, pods: 2000 });
  expect(one.daemonSet.configurationsPerPoller).toBe(27);
});

test('without prefetch, the DaemonSet never makes more calls than sidecars, however many applications', () => {
  const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, namespaces: { search: { applications: ['search-service-net', 'payment-service-v2'] } } }));
  for (const load of [DEFAULT_CLUSTER_LOAD, { nodes: 10, pods: 2000 }, { nodes: 500, pods: 600 }]) {
    const e = estimateDataPlane(model, LOWER, load);
    expect(e.prefetchEntries).toBe(0);
    expect(e.daemonSet.callsPerDay).toBeLessThanOrEqual(e.sidecar.callsPerDay);
  }
});

test('a load that is not a cluster is refused', () => {
  expect(() => estimateDataPlane(sampleModel(), PROD, { nodes: 0, pods: 10 })).toThrow(/nodes must be a whole number >= 1/);
  expect(() => estimateDataPlane(sampleModel(), PROD, { nodes: 2.5, pods: 10 })).toThrow(RangeError);
});
