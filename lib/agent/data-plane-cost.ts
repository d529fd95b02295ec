/**
 * What a cluster's agents cost on AppConfig's data plane, beside what a sidecar per pod
 * would cost: the reason to run one agent per node instead of one per pod. Pure.
 *
 * Model (stated in `dynconf plan` and the README):
 * - Every agent polls each configuration it holds once per poll interval, one
 *   GetLatestConfiguration call each ("What is AWS AppConfig Agent?", AppConfig User Guide:
 *   it caches a configuration on its first request and polls it in the background).
 * - A node's agent holds the prefetched entries (every application a namespace marks
 *   `prefetch`, in every environment the cluster serves), plus what the pods on that node
 *   have asked for. At worst every pod on a node reads a different application, so a node
 *   holds at most min(entries the cluster serves, prefetched + pods per node x profiles per
 *   pod) configurations.
 * - A sidecar polls the profiles of its own pod's application: profiles per pod each.
 * - Profiles per pod: the mean profile count of the applications the cluster's namespaces
 *   read; pods spread evenly over nodes.
 */
import type { Model } from '../model';
import { clusterConfig, consumedApplications, prefetchEntries, servedEnvironments } from './topology';

/**
 * AWS AppConfig prices, in one place. Source: "AWS AppConfig pricing" (the AWS Systems
 * Manager pricing page, AppConfig section), as quoted by AWS re:Post ("I want to understand
 * AWS AppConfig pricing model"), read 2026-11-28; the page itself carries no date.
 */
export const APPCONFIG_PRICES = {
  /** US dollars per configuration request through the API (GetLatestConfiguration). */
  perApiCall: 0.0000002,
  /** US dollars each time a target receives configuration data (only when it changed). */
  perConfigurationReceived: 0.0008,
  source: 'AWS AppConfig pricing (AWS Systems Manager pricing page), $0.0000002 per API call, $0.0008 per configuration received; read 2026-11-28',
} as const;

/** The cluster size `dynconf plan` assumes unless told otherwise: the seeds' 2,000 pods on 100 nodes. */
export const DEFAULT_CLUSTER_LOAD: ClusterLoad = { nodes: 100, pods: 2000 };

export interface ClusterLoad {
  readonly nodes: number;
  readonly pods: number;
}

export interface PollingCost {
  /** Configurations one agent (node) or one sidecar (pod) polls, at most. */
  readonly configurationsPerPoller: number;
  readonly callsPerSecond: number;
  readonly callsPerDay: number;
  /** US dollars a 30-day month for the calls. */
  readonly callsCostPerMonth: number;
}

export interface DataPlaneEstimate {
  readonly cluster: string;
  readonly nodes: number;
  readonly pods: number;
  readonly pollIntervalSeconds: number;
  /** app:env:profile entries the cluster serves: read applications x served environments x profiles. */
  readonly servedEntries: number;
  readonly prefetchEntries: number;
  readonly profilesPerPod: number;
  readonly daemonSet: PollingCost;
  readonly sidecar: PollingCost;
}

const SECONDS_PER_DAY = 86_400;
const DAYS_PER_MONTH = 30;

export function estimateDataPlane(model: Model, cluster: string, load: ClusterLoad = DEFAULT_CLUSTER_LOAD): DataPlaneEstimate {
  if (!Number.isInteger(load.nodes) || load.nodes < 1 || !Number.isInteger(load.pods) || load.pods < 0) {
    throw new RangeError(`nodes must be a whole number >= 1 and pods >= 0 (got ${load.nodes} nodes, ${load.pods} pods)`);
  }
  const config = clusterConfig(model, cluster);
  const interval = config.agent.pollIntervalSeconds;
  const read = new Set(consumedApplications(model, cluster));
  const apps = model.applications.filter((a) => read.has(a.name));
  const profiles = apps.reduce((sum, a) => sum + a.profiles.length, 0);
  const servedEntries = profiles * servedEnvironments(model, cluster).length;
  const prefetched = prefetchEntries(model, cluster).length;
  const profilesPerPod = apps.length ? profiles / apps.length : 0;
  const podsPerNode = load.pods / load.nodes;

  const perNode = Math.min(servedEntries, prefetched + podsPerNode * profilesPerPod);
  return {
    cluster,
    nodes: load.nodes,
    pods: load.pods,
    pollIntervalSeconds: interval,
    servedEntries,
    prefetchEntries: prefetched,
    profilesPerPod,
    daemonSet: polling(load.nodes, perNode, interval),
    sidecar: polling(load.pods, profilesPerPod, interval),
  };
}

function polling(pollers: number, configurations: number, intervalSeconds: number): PollingCost {
  const callsPerSecond = (pollers * configurations) / intervalSeconds;
  const callsPerDay = callsPerSecond * SECONDS_PER_DAY;
  return { configurationsPerPoller: configurations, callsPerSecond, callsPerDay, callsCostPerMonth: callsPerDay * DAYS_PER_MONTH * APPCONFIG_PRICES.perApiCall };
}
