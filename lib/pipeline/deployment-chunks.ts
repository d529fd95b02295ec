/**
 * How the stack parts of each pipeline step are spread over CodePipeline stages, so that no
 * stage holds more actions than CodePipeline accepts.
 *
 * "Quotas in AWS CodePipeline" (CodePipeline User Guide), all fixed: at most 50 actions in
 * a stage, 500 in a pipeline, 50 stages in a pipeline. CDK Pipelines puts a wave (a stage
 * or a wave of workload.json) into one CodePipeline stage, with two actions per stack
 * (create the change set, execute it) and one per step. At 500 applications a stage of
 * 21 stack parts holds about 90 actions: CodePipeline would refuse the pipeline itself.
 *
 * So a step's parts are cut into consecutive ranges: the first range deploys with the
 * step's own stacks (canary, agents, readers) and its manual approval, each later range in
 * a CodePipeline stage of its own right after it, and the rollout gates follow the last.
 * A sample-sized workload (one part) keeps one stage per step, as before. Pure: counts
 * from the model and the plan, checked against the synthesized pipeline by the tests.
 */
import { environmentStacksOf, sharedStacksOwnedBy, sharedStacksRead, type AppConfigPlan } from '../appconfig';
import { ownedClusters } from '../agent/topology';
import type { Model, PipelineStep } from '../model';

/** The steps after each environment's last range: its rollout gate and its verify step (EnvironmentChecks). */
export const CHECK_STEPS_PER_ENVIRONMENT = 2;

/** "Quotas in AWS CodePipeline": fixed quotas, not adjustable. */
export const CODEPIPELINE_LIMITS = {
  /** Number of actions in a stage: minimum of 1, maximum of 50. */
  actionsPerStage: 50,
  /** Maximum number of actions per pipeline. */
  actionsPerPipeline: 500,
  /** Number of stages in a pipeline: minimum of 2, maximum of 50. */
  stagesPerPipeline: 50,
} as const;

/** CDK Pipelines deploys a stack with two actions: Prepare (the change set) and Deploy. */
export const ACTIONS_PER_STACK = 2;

/** Layout parts deployed together, inclusive. */
export interface PartRange {
  readonly first: number;
  readonly last: number;
}

/**
 * The highest part number of the plan: every part from 1 to it has its stacks. Read from
 * the plan this module chunks (lib/model's partCount reads the layout the plan came from).
 */
export function highestPart(plan: AppConfigPlan): number {
  return Math.max(1, ...[...plan.shared, ...plan.environments].map((s) => s.part));
}

const inRange = (part: number, r: PartRange) => part >= r.first && part <= r.last;

/**
 * Actions the CodePipeline stage of `step` for `range` holds. Counted as if the range were
 * also the step's first and last, so that adding a part never pushes an earlier range over.
 */
export function actionsForRange(model: Model, plan: AppConfigPlan, step: PipelineStep, range: PartRange): number {
  let actions = step.manualApproval ? 1 : 0;
  for (const env of step.environments) {
    const config = model.workload.environments[env]!;
    const stacks =
      sharedStacksOwnedBy(plan, env).filter((s) => inRange(s.part, range)).length +
      environmentStacksOf(plan, env).filter((s) => inRange(s.part, range)).length +
      // Deployed with the first range only; counted in each so every range stays valid as the first.
      (config.canary ? 1 : 0) +
      ownedClusters(model, env).length +
      1; // the config-readers stack
    actions += ACTIONS_PER_STACK * stacks;
    // Same-wave ordering: one step per shared stack of another environment of this step that these parts read.
    const producers = new Set(
      environmentStacksOf(plan, env)
        .filter((s) => inRange(s.part, range))
        .flatMap((s) => sharedStacksRead(plan, s))
        // A shared part outside the range is deployed by an earlier CodePipeline stage.
        .filter((s) => s.owner !== env && step.environments.includes(s.owner) && inRange(s.part, range))
        .map((s) => s.stackName),
    );
    actions += producers.size;
    actions += CHECK_STEPS_PER_ENVIRONMENT; // the rollout gate, and verify (with the acceptance checks in gamma and prod)
    // With an emergency lane, the guard that stops this step undoing an unmerged emergency
    // change; deployed with the first range only, counted in each like the canary.
    if (model.workload.emergency) actions += 1;
  }
  return actions;
}

/**
 * The part ranges of a step, in order: each as long as its CodePipeline stage stays within
 * CODEPIPELINE_LIMITS.actionsPerStage. Deterministic, and a new part only ever extends the
 * last range or opens a new one.
 */
export function deploymentChunks(model: Model, plan: AppConfigPlan, step: PipelineStep): PartRange[] {
  const parts = highestPart(plan);
  const limit = CODEPIPELINE_LIMITS.actionsPerStage;
  const ranges: PartRange[] = [];
  for (let first = 1; first <= parts; ) {
    if (actionsForRange(model, plan, step, { first, last: first }) > limit) {
      throw new Error(
        `pipeline step '${step.name}': one stack part of ${step.environments.join(', ')} needs more than the ${limit} actions CodePipeline allows in a stage ` +
          '("Quotas in AWS CodePipeline", Number of actions in a stage, fixed); deploy fewer environments in this wave',
      );
    }
    let last = first;
    while (last < parts && actionsForRange(model, plan, step, { first, last: last + 1 }) <= limit) last++;
    ranges.push({ first, last });
    first = last + 1;
  }
  return ranges;
}

/** Name of the CodePipeline stage (wave) of a step's later range; the first keeps the step's name. */
export function chunkWaveName(step: PipelineStep, range: PartRange, index: number): string {
  return index === 0 ? step.name : `${step.name}-parts-${range.first}-${range.last}`;
}

export interface PipelineShape {
  readonly pipeline: string;
  /** Actions per CodePipeline stage, by stage name, in order. */
  readonly stages: ReadonlyMap<string, number>;
}

interface PipelineTemplate {
  readonly Resources?: Record<string, { Type: string; Properties?: { Name?: string; Stages?: { Name: string; Actions: unknown[] }[] } }>;
}

/** The stages and action counts of every CodePipeline pipeline in the assembly's templates. */
export function pipelineShapes(templates: readonly { template: unknown }[]): PipelineShape[] {
  const out: PipelineShape[] = [];
  for (const { template } of templates) {
    for (const [id, r] of Object.entries((template as PipelineTemplate).Resources ?? {})) {
      if (r.Type !== 'AWS::CodePipeline::Pipeline') continue;
      out.push({ pipeline: r.Properties?.Name ?? id, stages: new Map((r.Properties?.Stages ?? []).map((st) => [st.Name, st.Actions.length])) });
    }
  }
  return out;
}

/** CodePipeline's structural quotas a deployment of these pipelines would break; empty when none. */
export function codePipelineLimitViolations(templates: readonly { template: unknown }[]): string[] {
  const out: string[] = [];
  const quota = (name: string) => `("Quotas in AWS CodePipeline", ${name}, fixed)`;
  for (const p of pipelineShapes(templates)) {
    const total = [...p.stages.values()].reduce((a, b) => a + b, 0);
    if (p.stages.size > CODEPIPELINE_LIMITS.stagesPerPipeline) {
      out.push(`pipeline ${p.pipeline} has ${p.stages.size} stages; CodePipeline allows ${CODEPIPELINE_LIMITS.stagesPerPipeline} ${quota('Number of stages in a pipeline')}: merge waves in workload.json`);
    }
    if (total > CODEPIPELINE_LIMITS.actionsPerPipeline) {
      out.push(`pipeline ${p.pipeline} has ${total} actions; CodePipeline allows ${CODEPIPELINE_LIMITS.actionsPerPipeline} ${quota('Maximum number of actions per pipeline')}: fewer stack parts (dynconf layout) or environments`);
    }
    for (const [stage, actions] of p.stages) {
      if (actions > CODEPIPELINE_LIMITS.actionsPerStage) {
        out.push(`pipeline ${p.pipeline}, stage ${stage}: ${actions} actions; CodePipeline allows ${CODEPIPELINE_LIMITS.actionsPerStage} ${quota('Number of actions in a stage')}: deploy fewer environments in this wave`);
      }
    }
  }
  return out;
}
