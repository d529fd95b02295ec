/**
 * What the pipeline's CodeBuild actions run before the beta gate, as data: the actions of
 * the Build stage (run side by side), and how each check step (rollout gate, verify,
 * emergency guard) gets the dynconf CLI. pipeline-stack.ts and gate-steps.ts build the
 * pipeline from these definitions, and pipeline-minutes.ts times the same definitions, so
 * the minutes `dynconf plan` reports cannot drift from what is deployed
 * (test/pipeline/pipeline.test.ts checks the synthesized pipeline against them).
 * Pure: no CDK, no I/O.
 */

/**
 * The variable that splits the jest suite (jest.config.js reads it; .ci/ensure-chromium
 * skips installing Chromium under `withoutChromium`). Unset: every test, as `npm test` runs
 * on a laptop. A test that imports test/runtime/browser-support.ts is a Chromium test.
 */
export const TEST_SELECTION = { variable: 'DYNCONF_TESTS', withoutChromium: 'without-chromium', chromiumOnly: 'chromium-only' } as const;

/**
 * The CLI built once by the synth step (`npm run build:cli`) as one file with every
 * dependency inside, and handed to every check step as an artifact placed at the same path
 * in its checkout. One place: change the path or the file name here.
 */
export const CLI_BUNDLE = { directory: 'dist/cli-standalone', file: 'dynconf.cjs' } as const;

/** The command that writes CLI_BUNDLE. */
export const BUILD_CLI_COMMAND = 'npm run build:cli';

/** How a check step runs dynconf: Node on the bundle, no node_modules, no TypeScript loader. */
export function bundledDynconfCommand(args: string): string {
  return `node ${CLI_BUNDLE.directory}/${CLI_BUNDLE.file} ${args}`;
}

/**
 * `.ci/run` (CI from nothing) is the synth step's first command: Chromium when the
 * selection needs it, `npm ci`, then `npm test` (typecheck, lint, secretlint, validate, jest). Here
 * without the Chromium tests, which the BrowserTests action runs beside it.
 */
export const SYNTH_COMMANDS = [`${TEST_SELECTION.variable}=${TEST_SELECTION.withoutChromium} bash .ci/run`, BUILD_CLI_COMMAND, 'npx cdk synth'] as const;

/** The Chromium tests alone: no typecheck, lint or coverage (the synth step has them). */
export const BROWSER_TEST_COMMANDS = ['bash .ci/ensure-chromium', 'npm ci --no-audit --no-fund', `${TEST_SELECTION.variable}=${TEST_SELECTION.chromiumOnly} npx jest`] as const;

/** CodeBuild compute types the pipeline uses ("Build environment compute modes and types", CodeBuild User Guide). */
export type ComputeSize = 'SMALL' | 'MEDIUM';

export interface BuildActionDefinition {
  /** The action's name in the pipeline's Build stage. */
  readonly name: string;
  readonly computeType: ComputeSize;
  readonly commands: readonly string[];
}

export interface ReleaseDefinition {
  /** The Build stage's actions; all share one runOrder, so they run in parallel and the stage fails if any fails. The first is the synth step. */
  readonly build: readonly BuildActionDefinition[];
  /** Install commands of every rollout gate, verify and emergency guard step. */
  readonly checkStepInstall: readonly string[];
  readonly checkStepCompute: ComputeSize;
}

/** The pipeline as this checkout builds it. */
export const RELEASE_DEFINITION: ReleaseDefinition = {
  build: [
    // Jest synthesizes the app: 4 vCPUs, 7 GB.
    { name: 'Synth', computeType: 'MEDIUM', commands: SYNTH_COMMANDS },
    // Chromium and jest's workers: the same size as the synth step.
    { name: 'BrowserTests', computeType: 'MEDIUM', commands: BROWSER_TEST_COMMANDS },
  ],
  checkStepInstall: [],
  checkStepCompute: 'SMALL',
};

/**
 * The pipeline before the browser tests moved beside synth and the check steps took the CLI bundle, kept as data only so that `dynconf plan` can show what the
 * cuts saved: the browser tests inside the synth step's `npm test`, and a full `npm ci`
 * in every check step, which then ran the CLI through tsx.
 */
export const RELEASE_DEFINITION_UNSPLIT: ReleaseDefinition = {
  // secretlint was a command of its own then; it is part of npm test now, the same minutes.
  build: [{ name: 'Synth', computeType: 'MEDIUM', commands: ['bash .ci/run', 'npx cdk synth'] }],
  checkStepInstall: ['npm ci --no-audit --no-fund'],
  checkStepCompute: 'SMALL',
};
