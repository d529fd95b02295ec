/**
 * The rollout plan of a workload, computed from the model alone: the order a change
 * travels, the strategy and monitors of every environment (its canary's alarm among
 * them), how long a change takes to reach each environment and all of prod, how much of
 * prod a bad change can reach before an alarm can stop it, and which prod environments
 * have no synthetic traffic to make their alarms fire; beside them, AppConfig quota usage per account and region
 * (lib/model/quotas.ts), what removing an application, environment or cluster leaves
 * behind (./removal.ts), and each cluster's data-plane calls and their cost beside a
 * sidecar per pod (lib/agent/data-plane-cost.ts). Pure: no CDK, no AWS, no I/O.
 *
 * Timing model (every figure in minutes, manual approvals excluded because nobody can
 * know how long a person takes):
 * - a step (a stage or a wave) takes `gateOverheadMinutes` (CloudFormation updating the
 *   stage's AppConfig resources, the gate's CodeBuild starting and its last poll) plus the
 *   longest `deploymentDuration + finalBake` among its environments, which run in parallel;
 * - the next step starts when the previous one ends: the gate waits for COMPLETE, which
 *   AppConfig reports only after the final bake;
 * - AppConfig runs one deployment at a time per environment, so a change that touches k
 *   profiles of one application queues k deployments there: the worst case multiplies the
 *   deployment time by the most profiles any application has.
 *
 * The emergency lane (workload.json `emergency`, emergency-lane.ts) skips CloudFormation
 * and the waves: one build starts (EMERGENCY_START_MINUTES), validates and checks the
 * change (EMERGENCY_CHECK_MINUTES), then deploys to every environment at once with the
 * emergency strategy and polls until COMPLETE (EMERGENCY_DEPLOY_OVERHEAD_MINUTES plus the
 * strategy's duration and bake). Every environment has the same lead time.
 *
 * Before the first step: the pipeline's own minutes from a merge to the first rollout
 * gate starting (source, build, self-mutation, assets, the first environment's stacks),
 * from the definitions the CDK app builds (pipeline-minutes.ts); not part of the step
 * times above, which count from the first step's start.
 */
import { appConfigQuotaUsage, DEFAULT_EMERGENCY_BRANCHES, type MonitorConfig, type Model, type QuotaUsage, type StrategyConfig, type Tier } from '../model';
import { DEFAULT_CLUSTER_LOAD, estimateDataPlane, type ClusterLoad, type DataPlaneEstimate } from '../agent/data-plane-cost';
import { canaryDetectionMinutes } from './canary-alarm';
import { canaryAlarmName } from './names';
import { pipelineMinutes, type PipelineMinutesPlan } from './pipeline-minutes';
import { removalPlan, type RemovalPlan } from './removal';

/**
 * CloudFormation updating a stage plus the gate's CodeBuild start and poll granularity.
 * An estimate, not a measurement: pass `gateOverheadMinutes` to use your own.
 */
export const DEFAULT_GATE_OVERHEAD_MINUTES = 5;

/**
 * The emergency lane's minutes outside AppConfig, estimates like DEFAULT_GATE_OVERHEAD_MINUTES:
 * from the push to the first dynconf command (CodePipeline starting the execution on the
 * push event, CodeBuild provisioning the image, the clone, `npm ci`); `validate` and
 * `emergency check`; and the API calls that host and start each deployment plus the last
 * poll after COMPLETE.
 */
export const EMERGENCY_START_MINUTES = 2;
export const EMERGENCY_CHECK_MINUTES = 1;
export const EMERGENCY_DEPLOY_OVERHEAD_MINUTES = 1;

export interface PlanOptions {
  /**
   * Minutes each pipeline step spends outside AppConfig's deployment and bake.
   * @default DEFAULT_GATE_OVERHEAD_MINUTES
   */
  readonly gateOverheadMinutes?: number;
  /**
   * Nodes and pods of every cluster, for the data-plane estimate.
   * @default DEFAULT_CLUSTER_LOAD (100 nodes, 2,000 pods)
   */
  readonly clusterLoad?: ClusterLoad;
}

export interface MonitorPlan {
  readonly name: string;
  /** `canary-alarm`: the alarm of the environment's synthetic canary, which the stage creates. */
  readonly kind: 'existing-alarm' | 'metric-alarm' | 'canary-alarm';
  /**
   * Earliest minute after a bad change lands that the alarm can be in ALARM: period times
   * evaluation periods (for the canary's, one run per period). null for an existing alarm,
   * whose settings live outside the repo.
   */
  readonly detectionMinutes: number | null;
}

/** An environment's synthetic canary: requests its alarms see whatever the customers do. */
export interface CanaryPlan {
  readonly url: string;
  readonly rateMinutes: number;
  /** The canary's alarm, the last of the environment's monitors. */
  readonly alarm: string;
}

export interface EnvironmentPlan {
  readonly environment: string;
  readonly tier: Tier;
  readonly account: string;
  readonly region: string;
  /** 1-based number of the step that deploys it. */
  readonly step: number;
  readonly strategy: string;
  readonly growthType: StrategyConfig['growthType'];
  readonly growthFactor: number;
  readonly deploymentDurationMinutes: number;
  readonly finalBakeTimeMinutes: number;
  /** Percentage of targets holding the change after each of AppConfig's steps. */
  readonly percentages: readonly number[];
  /** Minutes between two of AppConfig's steps (0 for an all-at-once deployment). */
  readonly stepIntervalMinutes: number;
  /** workload.json's monitors, then the canary's alarm when there is a canary: AppConfig's Monitors, in its order. */
  readonly monitors: readonly MonitorPlan[];
  /** The synthetic canary, null when the environment has none. */
  readonly canary: CanaryPlan | null;
  /** The monitor with the smallest known detection time, if any. */
  readonly fastestMonitor: MonitorPlan | null;
  /**
   * Percentage of this environment's targets holding a bad change when its fastest known
   * alarm can first fire; null when no monitor's detection time is known.
   */
  readonly exposureAtFirstAlarm: number | null;
  /** Minute the first targets receive the change, counted from the pipeline's first step. */
  readonly firstTargetsAtMinutes: number;
  /** Minute every target holds the change. */
  readonly allTargetsAtMinutes: number;
  /** Minute the deployment is COMPLETE: baked, no longer rolled back by an alarm. */
  readonly completeAtMinutes: number;
  /** Manual approvals a change waits for before it reaches this environment. */
  readonly manualApprovalsBefore: readonly string[];
}

export interface StepPlan {
  /** 1-based. */
  readonly number: number;
  readonly kind: 'stage' | 'wave';
  readonly name: string;
  readonly environments: readonly string[];
  readonly manualApproval: boolean;
  readonly startsAtMinutes: number;
  /** Overhead plus the longest deployment and bake among its environments. */
  readonly minutes: number;
  readonly endsAtMinutes: number;
  /** As `minutes`, when every profile of the largest application changes at once. */
  readonly worstCaseMinutes: number;
  readonly worstCaseEndsAtMinutes: number;
}

export interface BlastRadius {
  readonly prodEnvironments: number;
  /** Prod environments a bad change reaches before a step whose alarms can stop it ends. */
  readonly reachedEnvironments: readonly string[];
  /** reachedEnvironments / prodEnvironments, 0-1. */
  readonly environmentShare: number;
  /** The first step with prod environments whose every environment has a monitor and a bake. */
  readonly guardedBy: string | null;
  /**
   * Share of prod targets (0-1) holding a bad change when the guarding step's fastest
   * alarm can first fire, counting every environment as the same size; null when a
   * guarding environment's alarm timing is unknown.
   */
  readonly targetShare: number | null;
  /**
   * The alarms that can stop a bad change in each prod environment of the guarding step
   * (its canary's among them), in pipeline order; empty when no step guards.
   */
  readonly stoppedBy: readonly { readonly environment: string; readonly alarms: readonly string[] }[];
}

/**
 * Which prod environments have synthetic traffic. Without it, a rollout at a quiet hour
 * may give the alarms no requests to fail on, and a bad change passes the bake unseen.
 */
export interface SyntheticTrafficPlan {
  /** Prod environments with a canary, in pipeline order. */
  readonly covered: readonly { readonly environment: string; readonly url: string; readonly rateMinutes: number }[];
  /** Prod environments without one, in pipeline order: `validate` warns about each (an error under --strict). */
  readonly uncovered: readonly string[];
}

/** The emergency lane's lead time, or that it is not configured. */
export type EmergencyPlan = { readonly configured: false } | EmergencyLanePlan;

export interface EmergencyLanePlan {
  readonly configured: true;
  readonly strategy: string;
  /** The branch pattern whose pushes start the lane. */
  readonly branches: string;
  readonly growthType: StrategyConfig['growthType'];
  readonly growthFactor: number;
  readonly deploymentDurationMinutes: number;
  readonly finalBakeTimeMinutes: number;
  /** EMERGENCY_START_MINUTES + EMERGENCY_CHECK_MINUTES + EMERGENCY_DEPLOY_OVERHEAD_MINUTES. */
  readonly overheadMinutes: number;
  /** From the push until every environment is COMPLETE, for a change to one profile per application: every environment in parallel. */
  readonly leadTimeMinutes: number;
  /** As leadTimeMinutes when the change touches every profile of the largest application: AppConfig queues them per environment. */
  readonly worstCaseLeadTimeMinutes: number;
  readonly worstCaseProfiles: number;
  readonly environments: readonly { readonly environment: string; readonly tier: Tier; readonly leadTimeMinutes: number }[];
}

export interface Plan {
  readonly workload: string;
  readonly gateOverheadMinutes: number;
  readonly steps: readonly StepPlan[];
  readonly environments: readonly EnvironmentPlan[];
  /** Minutes until the last prod step ends (0 without prod), manual approvals excluded. */
  readonly allProdMinutes: number;
  readonly allEnvironmentsMinutes: number;
  readonly manualApprovals: readonly string[];
  readonly worstCase: {
    readonly application: string;
    readonly profiles: number;
    readonly allProdMinutes: number;
    readonly allEnvironmentsMinutes: number;
  };
  readonly blastRadius: BlastRadius;
  readonly syntheticTraffic: SyntheticTrafficPlan;
  /** AppConfig quota usage per account and region: count against the default or declared limit. */
  readonly quotas: readonly QuotaUsage[];
  /** What removing an application, an environment or a cluster leaves in AWS. */
  readonly removal: RemovalPlan;
  /** Per cluster: AppConfig data-plane calls of its agents, beside a sidecar per pod. */
  readonly dataPlane: readonly DataPlaneEstimate[];
  /** The emergency lane's lead time to every environment. */
  readonly emergency: EmergencyPlan;
  /** The pipeline's own minutes from a merge to the first rollout gate, today and before its cuts (the browser tests moved beside synth, the check steps on the CLI bundle). */
  readonly pipeline: PipelineMinutesPlan;
}

export function computePlan(model: Model, options: PlanOptions = {}): Plan {
  const overhead = options.gateOverheadMinutes ?? DEFAULT_GATE_OVERHEAD_MINUTES;
  if (!Number.isFinite(overhead) || overhead < 0) throw new RangeError(`gateOverheadMinutes must be a number >= 0 (got ${overhead})`);
  const w = model.workload;
  const largest = [...model.applications].sort((a, b) => b.profiles.length - a.profiles.length || a.name.localeCompare(b.name))[0];
  const queue = largest?.profiles.length ?? 1;

  const steps: StepPlan[] = [];
  const environments: EnvironmentPlan[] = [];
  const approvals: string[] = [];
  let clock = 0;
  let worstClock = 0;
  for (const s of model.pipeline) {
    if (s.manualApproval) approvals.push(s.name);
    const longest = Math.max(0, ...s.environments.map((env) => strategyOf(model, env).deploymentDurationMinutes + strategyOf(model, env).finalBakeTimeMinutes));
    const step: StepPlan = {
      number: s.order + 1,
      kind: s.kind,
      name: s.name,
      environments: s.environments,
      manualApproval: s.manualApproval,
      startsAtMinutes: clock,
      minutes: overhead + longest,
      endsAtMinutes: clock + overhead + longest,
      worstCaseMinutes: overhead + queue * longest,
      worstCaseEndsAtMinutes: worstClock + overhead + queue * longest,
    };
    for (const env of s.environments) environments.push(environmentPlan(model, env, step, [...approvals], overhead));
    steps.push(step);
    clock = step.endsAtMinutes;
    worstClock = step.worstCaseEndsAtMinutes;
  }

  const prodSteps = steps.filter((s) => s.environments.some((e) => w.environments[e]!.tier === 'prod'));
  const lastProd = prodSteps[prodSteps.length - 1];
  return {
    workload: w.workload,
    gateOverheadMinutes: overhead,
    steps,
    environments,
    allProdMinutes: lastProd?.endsAtMinutes ?? 0,
    allEnvironmentsMinutes: clock,
    manualApprovals: approvals,
    worstCase: {
      application: largest?.name ?? '',
      profiles: queue,
      allProdMinutes: lastProd?.worstCaseEndsAtMinutes ?? 0,
      allEnvironmentsMinutes: worstClock,
    },
    blastRadius: blastRadius(prodSteps, environments),
    syntheticTraffic: syntheticTraffic(environments),
    quotas: appConfigQuotaUsage(w, { profilesPerApplication: Math.max(0, ...model.applications.map((a) => a.profiles.length)) }),
    removal: removalPlan(model),
    dataPlane: Object.keys(w.clusters)
      .filter((cluster) => Object.values(w.environments).some((e) => e.clusters.includes(cluster)))
      .map((cluster) => estimateDataPlane(model, cluster, options.clusterLoad ?? DEFAULT_CLUSTER_LOAD)),
    emergency: emergencyPlan(model, queue),
    pipeline: pipelineMinutes(model),
  };
}

function emergencyPlan(model: Model, queue: number): EmergencyPlan {
  const e = model.workload.emergency;
  if (!e) return { configured: false };
  const s = model.workload.strategies[e.strategy];
  if (!s) throw new RangeError(`emergency.strategy '${e.strategy}' is not a strategy of config/workload.json (${Object.keys(model.workload.strategies).join(', ')})`);
  const overhead = EMERGENCY_START_MINUTES + EMERGENCY_CHECK_MINUTES + EMERGENCY_DEPLOY_OVERHEAD_MINUTES;
  const deployment = s.deploymentDurationMinutes + s.finalBakeTimeMinutes;
  const lead = overhead + deployment;
  return {
    configured: true,
    strategy: e.strategy,
    branches: e.branches ?? DEFAULT_EMERGENCY_BRANCHES,
    growthType: s.growthType,
    growthFactor: s.growthFactor,
    deploymentDurationMinutes: s.deploymentDurationMinutes,
    finalBakeTimeMinutes: s.finalBakeTimeMinutes,
    overheadMinutes: overhead,
    leadTimeMinutes: lead,
    worstCaseLeadTimeMinutes: overhead + queue * deployment,
    worstCaseProfiles: queue,
    environments: model.pipeline.flatMap((step) => step.environments).map((environment) => ({ environment, tier: model.workload.environments[environment]!.tier, leadTimeMinutes: lead })),
  };
}

function strategyOf(model: Model, env: string): StrategyConfig {
  return model.workload.strategies[model.workload.environments[env]!.strategy]!;
}

function environmentPlan(model: Model, env: string, step: StepPlan, approvals: string[], overhead: number): EnvironmentPlan {
  const e = model.workload.environments[env]!;
  const s = strategyOf(model, env);
  const percentages = rolloutPercentages(s);
  const interval = percentages.length > 0 ? s.deploymentDurationMinutes / percentages.length : 0;
  const canary: CanaryPlan | null = e.canary ? { url: e.canary.url, rateMinutes: e.canary.rateMinutes, alarm: canaryAlarmName(model, env) } : null;
  const monitors = e.monitors.map(monitorPlan);
  // After workload.json's, as the stage appends it to AppConfig's Monitors.
  if (e.canary) monitors.push({ name: canaryAlarmName(model, env), kind: 'canary-alarm', detectionMinutes: canaryDetectionMinutes(e.canary) });
  const timed = monitors.filter((m) => m.detectionMinutes !== null).sort((a, b) => a.detectionMinutes! - b.detectionMinutes!);
  const fastest = timed[0] ?? null;
  const first = step.startsAtMinutes + overhead;
  return {
    environment: env,
    tier: e.tier,
    account: e.account,
    region: e.region,
    step: step.number,
    strategy: e.strategy,
    growthType: s.growthType,
    growthFactor: s.growthFactor,
    deploymentDurationMinutes: s.deploymentDurationMinutes,
    finalBakeTimeMinutes: s.finalBakeTimeMinutes,
    percentages,
    stepIntervalMinutes: interval,
    monitors,
    canary,
    fastestMonitor: fastest,
    exposureAtFirstAlarm: fastest ? exposureAt(percentages, interval, fastest.detectionMinutes!) : null,
    firstTargetsAtMinutes: first,
    allTargetsAtMinutes: first + s.deploymentDurationMinutes,
    completeAtMinutes: first + s.deploymentDurationMinutes + s.finalBakeTimeMinutes,
    manualApprovalsBefore: approvals,
  };
}

/**
 * AppConfig's steps: LINEAR adds the growth factor each step, EXPONENTIAL doubles it
 * (G * 2^N), both capped at 100. A deployment with no duration is one step of 100%.
 */
export function rolloutPercentages(s: Pick<StrategyConfig, 'growthType' | 'growthFactor' | 'deploymentDurationMinutes'>): number[] {
  if (s.deploymentDurationMinutes <= 0 || s.growthFactor >= 100) return [100];
  if (s.growthFactor <= 0) throw new RangeError(`growthFactor must be > 0 (got ${s.growthFactor})`);
  const out: number[] = [];
  for (let n = 0; out[out.length - 1] !== 100; n++) {
    const p = s.growthType === 'LINEAR' ? s.growthFactor * (n + 1) : s.growthFactor * 2 ** n;
    out.push(Math.min(100, p));
  }
  return out;
}

/**
 * The percentage holding the change `minutes` after it starts. AppConfig's API reference
 * has the first step immediate ("initially makes the configuration available to 20
 * percent"), then one step per interval; a step that falls exactly on `minutes` counts,
 * which errs towards the larger exposure.
 */
export function exposureAt(percentages: readonly number[], intervalMinutes: number, minutes: number): number {
  if (intervalMinutes <= 0) return percentages[percentages.length - 1] ?? 100;
  const k = Math.min(percentages.length - 1, Math.floor(minutes / intervalMinutes));
  return percentages[k]!;
}

function monitorPlan(m: MonitorConfig): MonitorPlan {
  if ('metricAlarm' in m) {
    return { name: m.metricAlarm.name, kind: 'metric-alarm', detectionMinutes: (m.metricAlarm.periodSeconds * m.metricAlarm.evaluationPeriods) / 60 };
  }
  return { name: m.alarmArn.slice(m.alarmArn.indexOf(':alarm:') + ':alarm:'.length), kind: 'existing-alarm', detectionMinutes: null };
}

/**
 * Walk the prod steps in order, adding their prod environments, until a step whose every
 * environment has a monitor and a final bake: its gate holds the next step until the bake
 * is over, so its alarms can stop a bad change before it goes further. Non-prod steps do
 * not count: the question is what a change that is only bad in prod can do.
 */
function blastRadius(prodSteps: readonly StepPlan[], environments: readonly EnvironmentPlan[]): BlastRadius {
  const byName = new Map(environments.map((e) => [e.environment, e]));
  const prod = environments.filter((e) => e.tier === 'prod');
  const reached: EnvironmentPlan[] = [];
  let guard: StepPlan | undefined;
  for (const step of prodSteps) {
    const envs = step.environments.map((e) => byName.get(e)!);
    reached.push(...envs.filter((e) => e.tier === 'prod'));
    if (envs.every((e) => e.monitors.length > 0 && e.finalBakeTimeMinutes > 0)) {
      guard = step;
      break;
    }
  }
  // Environments of unguarded steps take the whole change; those of the guarding step
  // only what their rollout has reached when the fastest alarm can fire.
  let targets: number | null = 0;
  for (const e of reached) {
    const share = guard && e.step === guard.number ? e.exposureAtFirstAlarm : 100;
    targets = targets === null || share === null ? null : targets + share / 100;
  }
  return {
    prodEnvironments: prod.length,
    reachedEnvironments: reached.map((e) => e.environment),
    environmentShare: prod.length ? reached.length / prod.length : 0,
    guardedBy: guard?.name ?? null,
    targetShare: targets === null || prod.length === 0 ? null : targets / prod.length,
    stoppedBy: reached.filter((e) => e.step === guard?.number).map((e) => ({ environment: e.environment, alarms: e.monitors.map((m) => m.name) })),
  };
}

function syntheticTraffic(environments: readonly EnvironmentPlan[]): SyntheticTrafficPlan {
  const prod = environments.filter((e) => e.tier === 'prod');
  return {
    covered: prod.flatMap((e) => (e.canary ? [{ environment: e.environment, url: e.canary.url, rateMinutes: e.canary.rateMinutes }] : [])),
    uncovered: prod.filter((e) => !e.canary).map((e) => e.environment),
  };
}
