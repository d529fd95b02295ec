/**
 * Semantic checks of config/workload.json beyond its schema: references between
 * sections, and the safety policy that keeps a bad change from reaching all of prod.
 */
import { unknownNameFix, type Diagnostics } from './diagnostics';
import { appConfigQuota } from './quotas';
import { own } from './source';
import type { JsonFile } from './source';
import type { EnvironmentConfig, WorkloadConfig } from './types';

export interface PipelineStep {
  readonly kind: 'stage' | 'wave';
  /** Stage name (the environment's) or wave name. */
  readonly name: string;
  readonly environments: readonly string[];
  readonly manualApproval: boolean;
  /** 0-based position in the pipeline. */
  readonly order: number;
}

/** Stages first, in order, then the waves: the order a change travels. */
export function pipelineSteps(w: WorkloadConfig): PipelineStep[] {
  const steps: PipelineStep[] = [];
  for (const env of w.pipeline.stages) steps.push({ kind: 'stage', name: env, environments: [env], manualApproval: false, order: steps.length });
  for (const wave of w.pipeline.waves) {
    steps.push({ kind: 'wave', name: wave.name, environments: [...wave.environments], manualApproval: wave.manualApproval ?? false, order: steps.length });
  }
  return steps;
}

export interface WorkloadCheckOptions {
  /** `validate --strict`: a prod environment without synthetic traffic is an error, not a warning. */
  readonly strict?: boolean;
}

export function checkWorkload(json: JsonFile, w: WorkloadConfig, diags: Diagnostics, options: WorkloadCheckOptions = {}): void {
  const envNames = Object.keys(w.environments);
  const strategyNames = Object.keys(w.strategies);
  const clusterNames = Object.keys(w.clusters);

  // Every environment is deployed exactly once, by a stage or a wave.
  const placedAt = new Map<string, (string | number)[]>();
  const place = (env: string, p: (string | number)[]): void => {
    if (!Object.hasOwn(w.environments, env)) {
      diags.error(json.locate(p), 'workload/unknown-environment', `unknown environment '${env}'`, {
        field: 'pipeline',
        fix: unknownNameFix('environment', env, envNames),
      });
      return;
    }
    if (placedAt.has(env)) {
      diags.error(json.locate(p), 'workload/environment-deployed-twice', `environment '${env}' appears twice in the pipeline`, {
        field: 'pipeline',
        fix: 'deploy each environment from exactly one stage or wave',
      });
      return;
    }
    placedAt.set(env, p);
  };
  w.pipeline.stages.forEach((env, i) => place(env, ['pipeline', 'stages', i]));
  const waveNames = new Set<string>();
  w.pipeline.waves.forEach((wave, wi) => {
    if (waveNames.has(wave.name)) {
      diags.error(json.locate(['pipeline', 'waves', wi, 'name']), 'workload/duplicate-wave', `wave name '${wave.name}' is used twice`, { fix: 'give every wave its own name' });
    }
    waveNames.add(wave.name);
    wave.environments.forEach((env, ei) => place(env, ['pipeline', 'waves', wi, 'environments', ei]));
  });
  for (const env of envNames) {
    if (!placedAt.has(env)) {
      diags.error(json.locateKey(['environments', env]), 'workload/environment-not-deployed', `environment '${env}' is not deployed by the pipeline`, {
        field: `environments.${env}`,
        fix: 'add it to pipeline.stages or to a wave in pipeline.waves',
      });
    }
  }

  // Waves follow gamma: stages hold the pre-prod tiers, waves hold prod.
  let sawGamma = false;
  w.pipeline.stages.forEach((name, i) => {
    const env = own(w.environments, name);
    if (!env) return;
    if (env.tier === 'prod') {
      diags.error(json.locate(['pipeline', 'stages', i]), 'policy/prod-in-stage', `prod environment '${name}' is deployed as a stage, before the waves and their gates`, {
        field: 'pipeline.stages',
        fix: 'move it into a wave in pipeline.waves',
      });
    }
    if (env.tier === 'gamma') sawGamma = true;
    if (env.tier === 'beta' && sawGamma) {
      diags.error(json.locate(['pipeline', 'stages', i]), 'policy/beta-after-gamma', `beta environment '${name}' comes after a gamma stage`, {
        field: 'pipeline.stages',
        fix: 'list beta stages before gamma',
      });
    }
  });
  if (!sawGamma) {
    diags.error(json.locateKey(['pipeline', 'waves']), 'policy/wave-before-gamma', 'the waves are not preceded by a gamma stage: a change would reach prod untested', {
      field: 'pipeline.stages',
      fix: "add an environment with \"tier\": \"gamma\" to pipeline.stages",
    });
  }
  w.pipeline.waves.forEach((wave, wi) =>
    wave.environments.forEach((name, ei) => {
      const env = own(w.environments, name);
      if (env && env.tier !== 'prod') {
        diags.error(json.locate(['pipeline', 'waves', wi, 'environments', ei]), 'policy/non-prod-in-wave', `${env.tier} environment '${name}' is in wave '${wave.name}'; waves are for prod`, {
          field: 'pipeline.waves',
          fix: "deploy it from pipeline.stages, or set its tier to \"prod\"",
        });
      }
    }),
  );

  for (const [name, env] of Object.entries(w.environments)) {
    checkEnvironment(json, w, name, env, diags, { strategyNames, clusterNames, inWave: w.pipeline.waves.some((wv) => wv.environments.includes(name)) });
    if (env.tier === 'prod' && !env.canary) reportNoSyntheticTraffic(json, name, env, diags, options.strict ?? false);
  }

  for (const [name, cluster] of Object.entries(w.clusters)) {
    const served = envNames.filter((e) => w.environments[e]!.clusters.includes(name));
    if (served.length === 0) {
      diags.warning(json.locateKey(['clusters', name]), 'workload/unused-cluster', `cluster '${name}' serves no environment`, {
        fix: `list it in the clusters of an environment, or remove it`,
      });
    }
    if (Object.hasOwn(cluster.namespaces, cluster.agent.namespace)) {
      diags.error(json.locateKey(['clusters', name, 'namespaces', cluster.agent.namespace]), 'workload/agent-namespace-consumes', `namespace '${cluster.agent.namespace}' is the agent's own namespace`, {
        field: `clusters.${name}.namespaces`,
        fix: "consumers run in their own namespaces: the agent's namespace admits hostPorts, which application pods should not get",
      });
    }
    checkNamespaces(json, w, name, diags);
    checkKubectl(json, name, cluster.kubectl, diags);
    if (cluster.credentials.type === 'irsa' && !arnAccountMatches(cluster.credentials.oidcProviderArn, cluster.account)) {
      diags.error(json.locate(['clusters', name, 'credentials', 'oidcProviderArn']), 'workload/cross-account-arn', `OIDC provider is not in the cluster's account ${cluster.account}`, {
        field: `clusters.${name}.credentials.oidcProviderArn`,
        fix: "use the IAM OIDC provider of this cluster's account",
      });
    }
  }
  checkEmergency(json, w, diags);
}

/** The branch glob of the emergency lane when workload.json does not name one. */
export const DEFAULT_EMERGENCY_BRANCHES = 'emergency/*';

/**
 * Above this many minutes (rollout plus final bake) the emergency strategy is not a kill
 * switch any more: an incident wants minutes, and the ordinary waves take hours.
 */
export const EMERGENCY_MAX_MINUTES = 15;

/** The lane's branch glob, defaulted. */
export function emergencyBranches(w: WorkloadConfig): string | undefined {
  return w.emergency ? (w.emergency.branches ?? DEFAULT_EMERGENCY_BRANCHES) : undefined;
}

/**
 * Whether a branch name matches a branch glob as CodePipeline's trigger filters read it:
 * `*` is any run of characters within one path segment, `**` any run across segments, `?`
 * one character.
 */
export function branchMatches(glob: string, branch: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from a branch glob above, every metacharacter escaped; only * ** ? become [^/]* .* [^/]
  return new RegExp(`^${re}$`).test(branch);
}

/**
 * workload.json `emergency`: its strategy exists and is fast, and its branches never match
 * the pipeline's own branch (every ordinary merge would otherwise take the lane).
 */
function checkEmergency(json: JsonFile, w: WorkloadConfig, diags: Diagnostics): void {
  const e = w.emergency;
  if (!e) return;
  const strategy = own(w.strategies, e.strategy);
  if (!strategy) {
    diags.error(json.locate(['emergency', 'strategy']), 'workload/unknown-strategy', `unknown strategy '${e.strategy}'`, {
      field: 'emergency.strategy',
      fix: unknownNameFix('strategy', e.strategy, Object.keys(w.strategies)),
    });
  } else {
    const minutes = strategy.deploymentDurationMinutes + strategy.finalBakeTimeMinutes;
    if (minutes > EMERGENCY_MAX_MINUTES) {
      diags.warning(json.locate(['emergency', 'strategy']), 'policy/emergency-strategy-slow', `emergency strategy '${e.strategy}' takes ${minutes} minutes (rollout ${strategy.deploymentDurationMinutes} + final bake ${strategy.finalBakeTimeMinutes}) to complete in every environment`, {
        field: 'emergency.strategy',
        fix: `use a strategy of at most ${EMERGENCY_MAX_MINUTES} minutes in all, e.g. LINEAR, growthFactor 100, deploymentDurationMinutes 0, finalBakeTimeMinutes 5`,
      });
    }
    if (strategy.finalBakeTimeMinutes <= 0) {
      diags.warning(json.locate(['emergency', 'strategy']), 'policy/emergency-without-bake', `emergency strategy '${e.strategy}' has no final bake time: the monitors get no window to roll an emergency change back`, {
        field: 'emergency.strategy',
        fix: 'give it a short bake, e.g. finalBakeTimeMinutes 5',
      });
    }
  }
  const branches = emergencyBranches(w)!;
  if (branchMatches(branches, w.pipeline.source.branch)) {
    diags.error(json.locate(e.branches === undefined ? ['emergency'] : ['emergency', 'branches']), 'workload/emergency-branch-is-pipeline-branch', `emergency branches '${branches}' match the pipeline's branch '${w.pipeline.source.branch}': every ordinary merge would take the emergency lane`, {
      field: 'emergency.branches',
      fix: "use a glob for dedicated branches only, such as 'emergency/*'",
    });
  }
}

function checkEnvironment(
  json: JsonFile,
  w: WorkloadConfig,
  name: string,
  env: EnvironmentConfig,
  diags: Diagnostics,
  ctx: { strategyNames: string[]; clusterNames: string[]; inWave: boolean },
): void {
  const at = (...p: (string | number)[]) => json.locate(['environments', name, ...p]);
  const strategy = own(w.strategies, env.strategy);
  if (!strategy) {
    diags.error(at('strategy'), 'workload/unknown-strategy', `unknown strategy '${env.strategy}'`, {
      field: `environments.${name}.strategy`,
      fix: unknownNameFix('strategy', env.strategy, ctx.strategyNames),
    });
  }
  env.clusters.forEach((c, i) => {
    const cluster = own(w.clusters, c);
    if (!cluster) {
      diags.error(at('clusters', i), 'workload/unknown-cluster', `unknown cluster '${c}'`, {
        field: `environments.${name}.clusters`,
        fix: unknownNameFix('cluster', c, ctx.clusterNames),
      });
    } else if (cluster.account !== env.account || cluster.region !== env.region) {
      diags.error(at('clusters', i), 'workload/cluster-elsewhere', `cluster '${c}' is in ${cluster.account}/${cluster.region} but environment '${name}' is in ${env.account}/${env.region}; its agent could not read this environment`, {
        field: `environments.${name}.clusters`,
        fix: 'serve the environment from a cluster in its own account and region',
      });
    }
  });
  env.monitors.forEach((m, i) => {
    if ('alarmArn' in m) {
      const [, , , region, account] = m.alarmArn.split(':');
      if (region !== env.region || account !== env.account) {
        diags.error(at('monitors', i, 'alarmArn'), 'workload/monitor-elsewhere', `alarm is in ${account}/${region}, not in the environment's ${env.account}/${env.region}`, {
          field: `environments.${name}.monitors[${i}]`,
          fix: "AppConfig watches alarms in the environment's own account and region",
        });
      }
    }
  });
  const alarmNames = env.monitors.flatMap((m) => ('metricAlarm' in m ? [m.metricAlarm.name] : []));
  alarmNames.forEach((n, i) => {
    if (alarmNames.indexOf(n) !== i) {
      diags.error(at('monitors'), 'workload/duplicate-alarm', `alarm name '${n}' is used twice`, { field: `environments.${name}.monitors`, fix: 'give each alarm its own name' });
    }
  });

  if (ctx.inWave) {
    // The canary's alarm is an AppConfig monitor like the others: it alone can roll back.
    if (env.monitors.length === 0 && !env.canary) {
      diags.error(json.locateKey(['environments', name, 'monitors']), 'policy/prod-without-monitor', `prod environment '${name}' has no monitor: nothing would roll a bad change back`, {
        field: `environments.${name}.monitors`,
        fix: 'add at least one CloudWatch alarm (alarmArn or metricAlarm), or a canary',
      });
    }
    if (strategy && strategy.finalBakeTimeMinutes <= 0) {
      diags.error(at('strategy'), 'policy/prod-without-bake', `prod environment '${name}' uses strategy '${env.strategy}' with no final bake time: the next wave could start before alarms had time to fire`, {
        field: `environments.${name}.strategy`,
        fix: 'use a strategy with finalBakeTimeMinutes > 0',
      });
    }
  } else if (env.tier === 'gamma' && env.monitors.length === 0) {
    diags.warning(json.locateKey(['environments', name, 'monitors']), 'policy/gamma-without-monitor', `gamma environment '${name}' has no monitor`, {
      fix: 'add an alarm so gamma can catch what beta missed',
    });
  }
}

/**
 * A prod environment without a `canary` has no synthetic traffic: during a rollout at a
 * quiet hour its alarms may see no requests at all, and a change that breaks the service
 * passes the bake unseen and moves on to the next wave. The canary's alarm, one of the
 * environment's monitors, fires on failed checks whatever the customer traffic. A warning
 * (a workload may rely on steady traffic on purpose), an error under `validate --strict`.
 */
function reportNoSyntheticTraffic(json: JsonFile, name: string, env: EnvironmentConfig, diags: Diagnostics, strict: boolean): void {
  const report = strict ? diags.error.bind(diags) : diags.warning.bind(diags);
  const max = appConfigQuota('monitorsPerEnvironment').default;
  // The canary's alarm is one more monitor: with the quota already used, one must go first.
  const room = env.monitors.length < max ? '' : `; it already has ${env.monitors.length} monitors, the most AppConfig allows: combine two alarms into one CloudWatch composite alarm first`;
  report(json.locateKey(['environments', name]), 'policy/prod-without-synthetic-traffic', `prod environment '${name}' has no synthetic traffic: its alarms may see no traffic during a rollout, and a bad change could pass its bake unseen`, {
    field: `environments.${name}.canary`,
    fix: `add "canary": { "url": "https://<a health page of ${name}>/healthz", "rateMinutes": 5 } to environments.${name}: the pipeline creates a CloudWatch Synthetics canary that GETs it and makes its alarm one of ${name}'s monitors${room}`,
  });
}

/** What each consuming namespace reads: applications workload.json declares; prefetch only among them. */
function checkNamespaces(json: JsonFile, w: WorkloadConfig, cluster: string, diags: Diagnostics): void {
  const appNames = Object.keys(w.applications);
  for (const [ns, config] of Object.entries(w.clusters[cluster]!.namespaces)) {
    const at = (...p: (string | number)[]) => json.locate(['clusters', cluster, 'namespaces', ns, ...p]);
    config.applications.forEach((app, i) => {
      if (!Object.hasOwn(w.applications, app)) {
        diags.error(at('applications', i), 'workload/namespace-unknown-application', `namespace '${ns}' reads unknown application '${app}'`, {
          field: `clusters.${cluster}.namespaces.${ns}.applications`,
          fix: unknownNameFix('application', app, appNames),
        });
      }
    });
    (config.prefetch ?? []).forEach((app, i) => {
      if (!config.applications.includes(app)) {
        diags.error(at('prefetch', i), 'workload/prefetch-not-read', `namespace '${ns}' prefetches '${app}', which it does not list in its applications`, {
          field: `clusters.${cluster}.namespaces.${ns}.prefetch`,
          fix: `add '${app}' to clusters.${cluster}.namespaces.${ns}.applications, or remove it from prefetch`,
        });
      }
    });
  }
}

/**
 * Kubernetes minor versions the bundled kubectl layers serve: kubectl supports one minor
 * version either side of the API server ("Version Skew Policy", kubernetes.io), and
 * lib/agent ships the layers of kubectl 1.33, 1.34 and 1.35.
 */
export const SUPPORTED_KUBERNETES_VERSIONS = ['1.32', '1.33', '1.34', '1.35', '1.36'] as const;

/**
 * A private-only endpoint answers only inside its VPC ("Cluster API server endpoint", Amazon
 * EKS User Guide), and the kubectl handler Lambda runs outside any VPC unless it is given
 * subnets and a security group: without them its first manifest would time out at deploy.
 */
function checkKubectl(json: JsonFile, cluster: string, kubectl: WorkloadConfig['clusters'][string]['kubectl'], diags: Diagnostics): void {
  const at = (...p: string[]) => json.locate(['clusters', cluster, 'kubectl', ...p]);
  const inVpc = kubectl.subnetIds !== undefined || kubectl.securityGroupId !== undefined || kubectl.vpcId !== undefined;
  if (kubectl.endpointAccess === 'private' && !inVpc) {
    diags.error(at('endpointAccess'), 'workload/private-endpoint-unreachable', `cluster '${cluster}' has a private-only endpoint, but the kubectl handler would run outside its VPC and could not reach it`, {
      field: `clusters.${cluster}.kubectl`,
      fix: 'add vpcId, subnetIds (private subnets with a route to the EKS and STS APIs) and securityGroupId (allowed to reach the cluster security group on 443)',
    });
  } else if (inVpc && (kubectl.subnetIds === undefined || kubectl.securityGroupId === undefined || kubectl.vpcId === undefined)) {
    diags.error(at(), 'workload/kubectl-vpc-incomplete', `cluster '${cluster}': the kubectl handler needs vpcId, subnetIds and securityGroupId together to run in the VPC`, {
      field: `clusters.${cluster}.kubectl`,
      fix: 'give all three, or none to run the handler outside the VPC (public endpoint)',
    });
  }
  if (!(SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).includes(kubectl.kubernetesVersion)) {
    diags.error(at('kubernetesVersion'), 'workload/kubernetes-version-unsupported', `Kubernetes ${kubectl.kubernetesVersion} has no matching kubectl layer in dynconf`, {
      field: `clusters.${cluster}.kubectl.kubernetesVersion`,
      fix: `use one of ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')}, or add the @aws-cdk/lambda-layer-kubectl package for it to lib/agent/kubectl.ts`,
    });
  }
}

function arnAccountMatches(arn: string, account: string): boolean {
  return arn.split(':')[4] === account;
}
