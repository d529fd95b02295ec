/**
 * The pipeline's own minutes: from a merge to the first rollout gate (beta's, or whatever
 * environment the pipeline deploys first) starting to wait, modelled from the same
 * definitions the CDK app builds (build-actions.ts: the Build stage's actions and their
 * commands, the check steps' install phase) and from the model (the first environment's
 * stacks, in the order CloudFormation deploys them, and the emergency guard). Pure: no CDK,
 * no I/O; `dynconf plan` reports it.
 *
 * The path, stage after stage as CodePipeline runs them:
 * - Source: CodeConnections hands the commit over.
 * - Build: every action of RELEASE_DEFINITION.build at once; the stage takes its slowest.
 *   An action is a CodeBuild start plus its commands, each timed by COMMAND_FIGURES
 *   (an unknown command is an error, so a changed definition cannot go untimed).
 * - UpdatePipeline (self-mutation) and Assets: one CodeBuild each.
 * - The first environment's stage: its stacks in CloudFormation layers (a layer is the
 *   stacks that deploy together, each a change set created then executed): first the
 *   readers, agents, canary and owned shared stacks; the AppConfig environment stacks
 *   after them when they depend on one (canary alarm, owned shared stack) or wait for
 *   the emergency guard, which runs between the two layers. A workload in many stack
 *   parts spreads the step over several CodePipeline stages (deployment-chunks.ts), each
 *   with its own layers, one after another: environmentStageLayers().
 * - The gate: a CodeBuild start and its install phase; then `rollout wait` runs.
 *
 * Every figure is a named constant with its source: a measurement on this repository's
 * machine (2 cores, shared, so they err long beside CodeBuild MEDIUM's 4 vCPUs), or an
 * estimate that says why it is one (AWS publishes no durations for these).
 */
import { environmentStacksOf, planAppConfig, sharedStacksOwnedBy, sharedStacksRead, type AppConfigPlan, type EnvironmentStackPlan } from '../appconfig/plan';
import type { Model } from '../model';
import { RELEASE_DEFINITION, RELEASE_DEFINITION_UNSPLIT, type BuildActionDefinition, type ReleaseDefinition } from './build-actions';
import { chunkWaveName, deploymentChunks, type PartRange } from './deployment-chunks';

export interface Figure {
  readonly minutes: number;
  /** Where the figure comes from: the measurement and its command, or why it is an estimate. */
  readonly source: string;
}

const MACHINE = 'the 2-core development machine, load 1 to 2, 2026-11-28';
const MACHINE_1129 = 'the same machine, load 1 to 3, 2026-11-29';

/** Each a named figure; pipeline-minutes.test.ts checks that every one has a source. */
export const PIPELINE_FIGURES = {
  sourceAction: { minutes: 0.5, source: 'estimate: CodeConnections zipping the commit into the artifact bucket; AWS publishes no duration' },
  codeBuildStart: {
    minutes: 1.5,
    source: 'estimate: CodeBuild queueing, provisioning, pulling the pinned node:24-bookworm image from the pipeline account ECR and downloading the source; AWS publishes no duration',
  },
  npmCi: { minutes: 1.5, source: 'estimate: npm ci of package-lock.json (726 packages, 660 MB of node_modules); never run here, where node_modules is shared' },
  chromiumInstall: { minutes: 1.5, source: "estimate: apt-get update and install of Debian's chromium (apt-cache show chromium: 81 MB download, 290 MB installed) and its dependencies" },
  typecheck: { minutes: 0.43, source: `\`npx tsc --noEmit\`: 26 s, ${MACHINE}` },
  lint: { minutes: 1.17, source: `\`npx eslint --max-warnings 0 .\` with the SAST and type-checked rules: 70 s, ${MACHINE}` },
  validate: { minutes: 0.01, source: `\`node bin/dynconf.js validate\` (the compiled CLI) on the sample: 0.37 s (npm run bench -- cli, median of 9), ${MACHINE_1129}` },
  jestWithoutChromium: {
    minutes: 12.6,
    source: `\`DYNCONF_TESTS=without-chromium\` jest as npm test runs it, with V8 coverage in one worker replaced at 250 MB of heap (jest.config.js): 757 s (1,790 s before that; 632 s without coverage), ${MACHINE_1129}; CodeBuild MEDIUM's 4 vCPUs run 3 workers`,
  },
  chromiumTests: { minutes: 0.41, source: `\`DYNCONF_TESTS=chromium-only jest\` (test/runtime/browser-e2e.test.ts, browser-openfeature.test.ts, test/rollout/junit.test.ts): 24.6 s, ${MACHINE}` },
  secretlint: { minutes: 0.47, source: `\`npm run secretlint\` over the repository: 28 s, ${MACHINE}` },
  buildCli: { minutes: 0.07, source: `\`npm run build:cli\` (the compiled CLI and the standalone bundle): 4.3 s, ${MACHINE}` },
  cdkSynth: { minutes: 0.29, source: `\`cdk synth\` of the sample through the CLI with every check, as the pipeline runs it (npm run bench -- synth, median of 5): 17.4 s, ${MACHINE_1129}` },
  selfMutation: {
    minutes: 2.5,
    source: 'estimate: npm install -g of the pinned aws-cdk, then cdk deploy of the unchanged pipeline stack (CloudFormation finds no change); AWS publishes no duration',
  },
  assetPublishing: { minutes: 1.5, source: 'estimate: npm install -g cdk-assets, then uploading the file assets; AWS publishes no duration' },
  changeSet: { minutes: 2, source: 'estimate: one CloudFormation layer: create a change set, execute it; AppConfig and IAM updates take a minute or two; AWS publishes no duration' },
  checkCommand: { minutes: 0.5, source: 'estimate: the emergency guard reading AppConfig (a few control-plane calls)' },
} as const satisfies Record<string, Figure>;

export type FigureName = keyof typeof PIPELINE_FIGURES;

/** What each command of the definitions costs, as a sum of figures; `.ci/run` and `npm test` expanded as they read. */
export function commandFigures(command: string): FigureName[] {
  const npmTest = (chromium: boolean): FigureName[] => ['typecheck', 'lint', 'secretlint', 'validate', 'jestWithoutChromium', ...(chromium ? (['chromiumTests'] as const) : [])];
  switch (command) {
    case 'bash .ci/run':
      return ['chromiumInstall', 'npmCi', ...npmTest(true)];
    case 'DYNCONF_TESTS=without-chromium bash .ci/run':
      return ['npmCi', ...npmTest(false)];
    case 'bash .ci/ensure-chromium':
      return ['chromiumInstall'];
    case 'npm ci --no-audit --no-fund':
      return ['npmCi'];
    case 'DYNCONF_TESTS=chromium-only npx jest':
      return ['chromiumTests'];
    case 'npm run secretlint':
      return ['secretlint'];
    case 'npm run build:cli':
      return ['buildCli'];
    case 'npx cdk synth':
      return ['cdkSynth'];
    default:
      throw new Error(`lib/pipeline/pipeline-minutes.ts: no figure for the pipeline command '${command}': add it to commandFigures() with the figures it costs`);
  }
}

const sum = (names: readonly FigureName[]) => Number(names.reduce((t, n) => t + PIPELINE_FIGURES[n].minutes, 0).toFixed(2));

export interface ActionMinutes {
  readonly name: string;
  readonly minutes: number;
  readonly commands: readonly { readonly command: string; readonly minutes: number }[];
}

export interface Segment {
  /** The CodePipeline stage, or the first environment's part of its stage. */
  readonly name: string;
  readonly minutes: number;
  readonly what: string;
}

export interface ReleaseMinutes {
  /** The environment whose gate ends the path: the pipeline's first. */
  readonly firstEnvironment: string;
  /** From the merge to the first gate's `rollout wait` starting. */
  readonly toFirstGateMinutes: number;
  readonly segments: readonly Segment[];
  /** The Build stage's actions, which run side by side. */
  readonly buildActions: readonly ActionMinutes[];
  /** Minutes a rollout gate, verify or emergency guard step spends before its command: CodeBuild start and install. */
  readonly checkStepStartMinutes: number;
  /** Check steps in the whole pipeline (gate and verify per environment, a guard each with the emergency lane). */
  readonly checkSteps: number;
}

export interface PipelineMinutesPlan extends ReleaseMinutes {
  /** The same pipeline as built before the browser tests moved beside synth and the check steps took the CLI bundle (browser tests inside the synth step, npm ci in every check step). */
  readonly before: ReleaseMinutes;
  /** Where each figure comes from, by name. */
  readonly figures: Readonly<Record<FigureName, Figure>>;
}

function actionMinutes(action: BuildActionDefinition): ActionMinutes {
  const commands = action.commands.map((command) => ({ command, minutes: sum(commandFigures(command)) }));
  return { name: action.name, minutes: Number((PIPELINE_FIGURES.codeBuildStart.minutes + commands.reduce((t, c) => t + c.minutes, 0)).toFixed(2)), commands };
}

/** One CodePipeline stage of an environment's stacks, as pipeline-stack.ts builds it. */
export interface EnvironmentStageLayers {
  /** The CodePipeline stage: the step's own, then `<step>-parts-<first>-<last>` (deployment-chunks.ts chunkWaveName). */
  readonly stage: string;
  /** The layout parts whose AppConfig stacks it deploys. */
  readonly parts: PartRange;
  /** CloudFormation layers of the environment's stacks in it: a stack deploys after the stacks of its stage it depends on, each layer a change set created then executed. */
  readonly layers: number;
  /** Whether the emergency guard runs in it, between the config-readers stack and the AppConfig stacks: the first stage only. */
  readonly guard: boolean;
}

/**
 * The CodePipeline stages that deploy an environment's stacks before its gate, in order,
 * with the CloudFormation layers of each: the layout environment-stage.ts and
 * pipeline-stack.ts build (pipeline.test.ts and scale.test.ts check it on synthesized
 * pipelines). A step whose stack parts exceed CodePipeline's actions a stage has several
 * (deployment-chunks.ts), one after another; the gate follows the last.
 *
 * In a stage, the first layer is every stack that waits for nothing there: the readers,
 * agents and canary stacks and the owned shared stacks (first stage), the owned shared
 * stacks of its parts (later stages). An AppConfig environment stack comes after the
 * stacks of its stage it depends on: the canary (its alarm) and the emergency guard, which
 * waits for the readers (first stage); an owned shared stack of the stage whose IDs it
 * reads; and, for a part after the first when the environment has metric alarms, part 1's
 * stack in the same stage (it imports the alarms part 1 creates): a third layer.
 */
export function environmentStageLayers(model: Model, environment: string, plan: AppConfigPlan = planAppConfig(model)): EnvironmentStageLayers[] {
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
  const step = model.pipeline.find((st) => st.environments.includes(environment));
  if (!step) throw new Error(`config/workload.json pipeline: environment '${environment}' is in no stage or wave`);
  const lane = model.workload.emergency !== undefined;
  const importsAlarms = config.monitors.some((m) => 'metricAlarm' in m);
  return deploymentChunks(model, plan, step).map((parts, index) => {
    const inRange = (part: number) => part >= parts.first && part <= parts.last;
    const first = index === 0;
    const guard = first && lane;
    const owned = new Set(sharedStacksOwnedBy(plan, environment).filter((st) => inRange(st.part)).map((st) => st.stackName));
    const stacks = environmentStacksOf(plan, environment).filter((st) => inRange(st.part));
    const partOne = stacks.find((st) => st.part === 1);
    const afterFirstLayer = (st: EnvironmentStackPlan) => (first && (config.canary !== undefined || guard)) || sharedStacksRead(plan, st).some((x) => owned.has(x.stackName));
    const layer = (st: EnvironmentStackPlan): number => {
      const own = afterFirstLayer(st) ? 2 : 1;
      return st.part > 1 && partOne && importsAlarms ? Math.max(own, layer(partOne) + 1) : own;
    };
    return { stage: chunkWaveName(step, parts, index), parts, layers: Math.max(1, ...stacks.map(layer)), guard };
  });
}

export function releaseMinutes(model: Model, definition: ReleaseDefinition = RELEASE_DEFINITION, plan: AppConfigPlan = planAppConfig(model)): ReleaseMinutes {
  const first = model.pipeline[0]?.environments[0];
  if (!first) throw new Error('config/workload.json pipeline: no environment to deploy (stages and waves are empty)');
  const buildActions = definition.build.map(actionMinutes);
  const checkInstall = definition.checkStepInstall.map((c) => sum(commandFigures(c))).reduce((a, b) => a + b, 0);
  const checkStart = Number((PIPELINE_FIGURES.codeBuildStart.minutes + checkInstall).toFixed(2));
  const stages = environmentStageLayers(model, first, plan);
  const slowest = [...buildActions].sort((a, b) => b.minutes - a.minutes)[0]!;
  const segments: Segment[] = [
    { name: 'Source', minutes: PIPELINE_FIGURES.sourceAction.minutes, what: 'the commit from CodeConnections' },
    {
      name: 'Build',
      minutes: slowest.minutes,
      what: buildActions.length === 1 ? `${slowest.name} alone` : `${buildActions.map((a) => a.name).join(' and ')} side by side; the stage takes ${slowest.name}'s`,
    },
    { name: 'UpdatePipeline', minutes: PIPELINE_FIGURES.codeBuildStart.minutes + PIPELINE_FIGURES.selfMutation.minutes, what: 'self-mutation' },
    { name: 'Assets', minutes: PIPELINE_FIGURES.codeBuildStart.minutes + PIPELINE_FIGURES.assetPublishing.minutes, what: 'file assets' },
  ];
  const layers = (n: number) => `${n} CloudFormation layer${n === 1 ? '' : 's'} in dependency order`;
  for (const [index, st] of stages.entries()) {
    // Split: one CodePipeline stage after another, each with its own layers, the gate after the last.
    const what = stages.length === 1 ? layers(st.layers) : `CodePipeline stage ${st.stage}, parts ${st.parts.first}-${st.parts.last}: ${layers(st.layers)}`;
    segments.push({ name: index === 0 ? `${first} stacks` : `${st.stage} stacks`, minutes: st.layers * PIPELINE_FIGURES.changeSet.minutes, what });
    if (st.guard) segments.push({ name: `EmergencyGuard-${first}`, minutes: checkStart + PIPELINE_FIGURES.checkCommand.minutes, what: 'between the layers' });
  }
  segments.push({ name: `RolloutGate-${first} start`, minutes: checkStart, what: definition.checkStepInstall.length ? definition.checkStepInstall.join(' && ') : 'no install: the CLI bundle is an input' });
  const perEnvironment = 2 + (model.workload.emergency !== undefined ? 1 : 0);
  return {
    firstEnvironment: first,
    toFirstGateMinutes: Number(segments.reduce((t, s) => t + s.minutes, 0).toFixed(2)),
    segments: segments.map((s) => ({ ...s, minutes: Number(s.minutes.toFixed(2)) })),
    buildActions,
    checkStepStartMinutes: checkStart,
    checkSteps: perEnvironment * model.pipeline.flatMap((step) => step.environments).length,
  };
}

/** Today's pipeline, beside the one before its cuts (the browser tests moved beside synth, the check steps on the CLI bundle). */
export function pipelineMinutes(model: Model): PipelineMinutesPlan {
  const plan = planAppConfig(model);
  return { ...releaseMinutes(model, RELEASE_DEFINITION, plan), before: releaseMinutes(model, RELEASE_DEFINITION_UNSPLIT, plan), figures: PIPELINE_FIGURES };
}
