/**
 * Which environments a cluster's agent serves, which pipeline stage puts the agent on
 * the cluster, and what the agent prefetches. Pure functions of the model.
 */
import type { ClusterConfig, Model, PipelineStep } from '../model';

/** A cluster's configuration, or an error naming the clusters that exist. */
export function clusterConfig(model: Model, cluster: string): ClusterConfig {
  const config = model.workload.clusters[cluster];
  if (!config) {
    const known = Object.keys(model.workload.clusters);
    throw new Error(`unknown cluster '${cluster}': config/workload.json defines ${known.length ? known.map((c) => `'${c}'`).join(', ') : 'no cluster'}`);
  }
  return config;
}

/** Environments that list the cluster, in pipeline order (the order a change reaches them). */
export function servedEnvironments(model: Model, cluster: string): string[] {
  clusterConfig(model, cluster);
  return model.pipeline.flatMap((step) => step.environments.filter((env) => model.workload.environments[env]!.clusters.includes(cluster)));
}

export interface ClusterOwner {
  /** The environment whose stage applies the agent to the cluster. */
  readonly environment: string;
  /** The pipeline step (stage or wave) that deploys that environment. */
  readonly step: PipelineStep;
}

/**
 * The first environment in pipeline order that lists the cluster: its stage creates the
 * agent's role, token secret and manifests, so an agent change reaches the cluster with
 * the first wave that touches it and never before the stages ahead of it have baked.
 */
export function clusterOwner(model: Model, cluster: string): ClusterOwner {
  for (const step of model.pipeline) {
    const environment = step.environments.find((env) => model.workload.environments[env]!.clusters.includes(cluster));
    if (environment) return { environment, step };
  }
  throw new Error(`cluster '${cluster}' serves no environment, so no stage would deploy its agent: list it in the clusters of an environment in config/workload.json`);
}

/** The clusters an environment's stage puts the agent on (it is their owner). */
export function ownedClusters(model: Model, environment: string): string[] {
  return clustersOf(model, environment).filter((cluster) => clusterOwner(model, cluster).environment === environment);
}

/** Applications that some consuming namespace of the cluster reads, in workload.json order. */
export function consumedApplications(model: Model, cluster: string): string[] {
  const namespaces = Object.values(clusterConfig(model, cluster).namespaces);
  return model.applications.map((a) => a.name).filter((app) => namespaces.some((ns) => ns.applications.includes(app)));
}

/** Applications some namespace asks the agent to fetch at start. */
export function prefetchedApplications(model: Model, cluster: string): string[] {
  const namespaces = Object.values(clusterConfig(model, cluster).namespaces);
  return model.applications.map((a) => a.name).filter((app) => namespaces.some((ns) => (ns.prefetch ?? []).includes(app)));
}

/**
 * `app:env:profile` entries, comma-separated: the agent's PREFETCH_LIST format. Only the
 * applications a namespace marks `prefetch`, in every environment the cluster serves:
 * every node fetches and then polls each entry, whether or not a pod on it ever reads it,
 * so the list is what pods need at start; the agent fetches anything else on a pod's
 * first request. Names, not IDs, so the list is known before AppConfig generates any ID.
 */
export function prefetchList(model: Model, cluster: string): string {
  return prefetchEntries(model, cluster).join(',');
}

export function prefetchEntries(model: Model, cluster: string): string[] {
  const prefetched = new Set(prefetchedApplications(model, cluster));
  const entries: string[] = [];
  for (const env of servedEnvironments(model, cluster)) {
    for (const app of model.applications.filter((a) => prefetched.has(a.name))) {
      for (const profile of app.profiles) entries.push(`${app.name}:${env}:${profile}`);
    }
  }
  return entries;
}

function clustersOf(model: Model, environment: string): readonly string[] {
  const env = model.workload.environments[environment];
  if (!env) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.map((e) => `'${e}'`).join(', ')}`);
  return env.clusters;
}
