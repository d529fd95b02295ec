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
 *   the emergency guard, which runs between the two layers.
 * - The gate: a CodeBuild start and its install phase; then `rollout wait` runs.
 *
 * Every figure is a named constant with its source: a measurement on this repository's
 * machine (2 cores, shared, so they err long beside CodeBuild MEDIUM's 4 vCPUs), or an
 * estimate that says why it is one (AWS publishes no durations for these).
 */
import { planAppConfig, sharedStacksOwnedBy, sharedStacksRead, environmentStacksOf } from '../appconfig/plan';
import type { Model } from '../model';
import { RELEASE_DEFINITION, RELEASE_DEFINITION_UNSPLIT, type BuildActionDefinition, type ReleaseDefinition } from './build-actions';

export interface Figure {
  readonly minutes: number;
  /** Where the figure comes from: the measurement and its command, or why it is an estimate. */
  readonly source: string;
}

const MACHINE = 'the 2-core development machine, load 1 to 2, 2026-11-28';

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
  validate: { minutes: 0.01, source: `\`node bin/dynconf.js validate\` (the compiled CLI) on the sample: 0.75 s, ${MACHINE}` },
  jestWithoutChromium: {
    minutes: 29.8,
    source: `\`DYNCONF_TESTS=without-chromium\` jest as npm test runs it, with V8 coverage, one worker (jest's default on 2 cores): 1,790 s (632 s without coverage), ${MACHINE}; CodeBuild MEDIUM's 4 vCPUs run 3 workers`,
  },
  chromiumTests: { minutes: 0.41, source: `\`DYNCONF_TESTS=chromium-only jest\` (test/runtime/browser-e2e.test.ts, browser-openfeature.test.ts, test/rollout/junit.test.ts): 24.6 s, ${MACHINE}` },
  secretlint: { minutes: 0.47, source: `\`npm run secretlint\` over the repository: 28 s, ${MACHINE}` },
  buildCli: { minutes: 0.07, source: `\`npm run build:cli\` (the compiled CLI and the standalone bundle): 4.3 s, ${MACHINE}` },
  cdkSynth: { minutes: 0.27, source: `\`cdk synth\` of the sample through the CLI (npm run bench -- synth, median of 5): 16.4 s, ${MACHINE}` },
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

/**
 * CloudFormation layers of an environment's first stage before its gate, and whether the
 * emergency guard runs between them: the layout environment-stage.ts builds (and
 * pipeline.test.ts checks on the synthesized pipeline).
 */
export function firstStageLayers(model: Model, environment: string): { readonly layers: number; readonly guard: boolean } {
  const plan = planAppConfig(model);
  const config = model.workload.environments[environment];
  if (!config) throw new Error(`unknown environment '${environment}': config/workload.json defines ${model.environments.join(', ')}`);
  const guard = model.workload.emergency !== undefined;
  const owned = new Set(sharedStacksOwnedBy(plan, environment).map((s) => s.stackName));
  const readsOwned = environmentStacksOf(plan, environment).some((s) => sharedStacksRead(plan, s).some((shared) => owned.has(shared.stackName)));
  // The AppConfig stacks wait for a stack of the stage (canary alarm, owned shared stack) or for the guard, which waits for the readers.
  const second = guard || config.canary !== undefined || readsOwned;
  return { layers: second ? 2 : 1, guard };
}

export function releaseMinutes(model: Model, definition: ReleaseDefinition = RELEASE_DEFINITION): ReleaseMinutes {
  const first = model.pipeline[0]?.environments[0];
  if (!first) throw new Error('config/workload.json pipeline: no environment to deploy (stages and waves are empty)');
  const buildActions = definition.build.map(actionMinutes);
  const checkInstall = definition.checkStepInstall.map((c) => sum(commandFigures(c))).reduce((a, b) => a + b, 0);
  const checkStart = Number((PIPELINE_FIGURES.codeBuildStart.minutes + checkInstall).toFixed(2));
  const { layers, guard } = firstStageLayers(model, first);
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
    { name: `${first} stacks`, minutes: layers * PIPELINE_FIGURES.changeSet.minutes, what: `${layers} CloudFormation layer${layers === 1 ? '' : 's'} in dependency order` },
  ];
  if (guard) segments.push({ name: `EmergencyGuard-${first}`, minutes: checkStart + PIPELINE_FIGURES.checkCommand.minutes, what: 'between the layers' });
  segments.push({ name: `RolloutGate-${first} start`, minutes: checkStart, what: definition.checkStepInstall.length ? definition.checkStepInstall.join(' && ') : 'no install: the CLI bundle is an input' });
  const perEnvironment = 2 + (guard ? 1 : 0);
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
  return { ...releaseMinutes(model, RELEASE_DEFINITION), before: releaseMinutes(model, RELEASE_DEFINITION_UNSPLIT), figures: PIPELINE_FIGURES };
}
