/**
 * The pipeline's minutes from a merge to the first rollout gate (pipeline-minutes.ts): built
 * from the definitions the pipeline is built from (pipeline.test.ts checks the synthesized
 * pipeline against them), so a change to the definition or the workload changes the figure.
 */
import { BROWSER_TEST_COMMANDS, RELEASE_DEFINITION, RELEASE_DEFINITION_UNSPLIT, SYNTH_COMMANDS, type ReleaseDefinition } from '../../lib/pipeline/build-actions';
import { emergencyLaneCommands } from '../../lib/pipeline/emergency-lane';
import { BUILD_OVERHEAD_HEADROOM, CHECK_STEP_OVERHEAD_MINUTES, NPM_CI_BUILD_OVERHEAD_MINUTES } from '../../lib/pipeline/gate-steps';
import { computePlan } from '../../lib/pipeline/plan';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { commandFigures, environmentStageLayers, PIPELINE_FIGURES, pipelineMinutes, releaseMinutes } from '../../lib/pipeline/pipeline-minutes';
import { generateWorkload } from '../support/generated-workload';
import { rmrf } from '../support/workspace';
import { sampleModel, withWaves, withWorkload } from './support';


const F = PIPELINE_FIGURES;
const sum = (...n: number[]) => Number(n.reduce((a, b) => a + b, 0).toFixed(2));
/** The layers and guard of an environment deployed in one CodePipeline stage (every environment of the sample). */
function oneStage(model: Model, environment: string): { layers: number; guard: boolean } {
  const stages = environmentStageLayers(model, environment);
  expect(stages.map((st) => st.parts)).toEqual([{ first: 1, last: 1 }]);
  return { layers: stages[0]!.layers, guard: stages[0]!.guard };
}

test('every figure has minutes and says where it comes from: a measurement with its command, or why it is an estimate', () => {
  for (const [name, f] of Object.entries(PIPELINE_FIGURES)) {
    expect([name, f.minutes > 0, f.source.length > 20]).toEqual([name, true, true]);
    expect([name, /`[^`]+`|^estimate: /.test(f.source)]).toEqual([name, true]);
  }
});

test('the sample: source, the slowest Build action, self-mutation, assets, beta in two layers with the emergency guard between, then the gate starting', () => {
  const m = releaseMinutes(sampleModel());
  const synth = sum(F.codeBuildStart.minutes, F.npmCi.minutes, F.typecheck.minutes, F.lint.minutes, F.validate.minutes, F.jestWithoutChromium.minutes, F.secretlint.minutes, F.buildCli.minutes, F.cdkSynth.minutes);
  const browser = sum(F.codeBuildStart.minutes, F.chromiumInstall.minutes, F.npmCi.minutes, F.chromiumTests.minutes);
  expect(m.buildActions.map((a) => [a.name, a.minutes])).toEqual([
    ['Synth', synth],
    ['BrowserTests', browser],
  ]);
  expect(m.segments.map((s) => [s.name, s.minutes])).toEqual([
    ['Source', F.sourceAction.minutes],
    ['Build', Math.max(synth, browser)],
    ['UpdatePipeline', sum(F.codeBuildStart.minutes, F.selfMutation.minutes)],
    ['Assets', sum(F.codeBuildStart.minutes, F.assetPublishing.minutes)],
    ['beta stacks', 2 * F.changeSet.minutes],
    ['EmergencyGuard-beta', sum(F.codeBuildStart.minutes, F.checkCommand.minutes)],
    ['RolloutGate-beta start', F.codeBuildStart.minutes],
  ]);
  expect(m.toFirstGateMinutes).toBe(sum(...m.segments.map((s) => s.minutes)));
  expect(m.firstEnvironment).toBe('beta');
  // Gate and verify in each of the 5 environments, and the emergency guard before each.
  expect(m.checkSteps).toBe(15);
});

test('parallel against sequential: the browser tests inside the synth step add their minutes to the Build stage; beside it, only the slower action counts', () => {
  const model = sampleModel();
  const sequential: ReleaseDefinition = { ...RELEASE_DEFINITION, build: [{ name: 'Synth', computeType: 'MEDIUM', commands: ['bash .ci/run', 'npm run build:cli', 'npx cdk synth'] }] };
  const parallel = releaseMinutes(model);
  const inSequence = releaseMinutes(model, sequential);
  const build = (m: typeof parallel) => m.segments.find((s) => s.name === 'Build')!.minutes;
  expect(build(inSequence)).toBe(sum(build(parallel), F.chromiumInstall.minutes, F.chromiumTests.minutes));
  expect(inSequence.toFirstGateMinutes).toBeGreaterThan(parallel.toFirstGateMinutes);
  // Were the browser action the slower one, the stage would take its minutes.
  const slowBrowser: ReleaseDefinition = { ...RELEASE_DEFINITION, build: [RELEASE_DEFINITION.build[0]!, { name: 'BrowserTests', computeType: 'MEDIUM', commands: [...BROWSER_TEST_COMMANDS, ...SYNTH_COMMANDS] }] };
  expect(build(releaseMinutes(model, slowBrowser))).toBe(releaseMinutes(model, slowBrowser).buildActions[1]!.minutes);
});

test('npm ci in the check steps: the gate starts later, and every check step costs it again', () => {
  const model = sampleModel();
  const now = releaseMinutes(model);
  const withNpmCi = releaseMinutes(model, { ...RELEASE_DEFINITION, checkStepInstall: ['npm ci --no-audit --no-fund'] });
  expect(withNpmCi.checkStepStartMinutes).toBe(sum(now.checkStepStartMinutes, F.npmCi.minutes));
  // The guard and the gate are both on the path to the beta gate.
  expect(withNpmCi.toFirstGateMinutes).toBe(sum(now.toFirstGateMinutes, 2 * F.npmCi.minutes));
});

test('the earlier pipeline beside today on the sample: what plan reports', () => {
  const p = pipelineMinutes(sampleModel());
  const before = releaseMinutes(sampleModel(), RELEASE_DEFINITION_UNSPLIT);
  expect(p.before).toEqual(before);
  // The cuts: Chromium's install and tests off the Build stage's path, npm ci out of the guard and the gate, the CLI bundle added.
  expect(before.toFirstGateMinutes).toBe(sum(p.toFirstGateMinutes, F.chromiumInstall.minutes, F.chromiumTests.minutes, 2 * F.npmCi.minutes, -F.buildCli.minutes));
  expect(computePlan(sampleModel()).pipeline).toEqual(p);
});

test('the workload changes the figure: another wave adds check steps; a first environment without the lane, a canary or an owned shared stack deploys in one layer', () => {
  const model = sampleModel();
  const w = model.workload;
  // prod-03 moved out of prod-wave-2 into a wave of its own: the same environments, the same steps.
  const split = withWaves(model, [w.pipeline.waves[0]!, { name: 'prod-wave-2', environments: ['prod-02'] }, { name: 'prod-wave-3', environments: ['prod-03'] }]);
  expect(releaseMinutes(split).checkSteps).toBe(15);
  const withProd04 = withWorkload(model, (x) => ({
    ...x,
    environments: { ...x.environments, 'prod-04': { ...x.environments['prod-03']! } },
    pipeline: { ...x.pipeline, waves: [...x.pipeline.waves, { name: 'prod-wave-3', environments: ['prod-04'] }] },
  }));
  expect(releaseMinutes(withProd04).checkSteps).toBe(18);

  const { emergency: _lane, ...noLane } = w;
  const withoutLane = withWorkload(model, () => noLane);
  expect(oneStage(withoutLane, 'beta')).toEqual({ layers: 2, guard: false }); // beta owns the shared stack of its account and region
  expect(releaseMinutes(withoutLane).toFirstGateMinutes).toBe(sum(releaseMinutes(model).toFirstGateMinutes, -(F.codeBuildStart.minutes + F.checkCommand.minutes)));
  expect(releaseMinutes(withoutLane).checkSteps).toBe(10);

  // prod-02 without its canary: prod-01 owns the shared stack of their account and region, so nothing in its stage comes first.
  const { canary: _canary, ...prod02 } = w.environments['prod-02']!;
  const bare = withWorkload(withoutLane, (x) => ({ ...x, environments: { ...x.environments, 'prod-02': prod02 } }));
  expect(oneStage(bare, 'prod-02')).toEqual({ layers: 1, guard: false });
  expect(oneStage(withWorkload(bare, (x) => ({ ...x, emergency: w.emergency })), 'prod-02')).toEqual({ layers: 2, guard: true });
  expect(oneStage(withoutLane, 'gamma')).toEqual({ layers: 2, guard: false }); // its canary's alarm comes first
});

test("the build timeouts' overheads allow BUILD_OVERHEAD_HEADROOM times the modelled start: the check steps, which install nothing, and the emergency lane, which runs npm ci", () => {
  const model = sampleModel();
  const now = releaseMinutes(model);
  expect(CHECK_STEP_OVERHEAD_MINUTES).toBeGreaterThanOrEqual(BUILD_OVERHEAD_HEADROOM * now.checkStepStartMinutes);
  const laneInstall = emergencyLaneCommands(model).install.flatMap(commandFigures);
  expect(laneInstall).toContain('npmCi');
  expect(NPM_CI_BUILD_OVERHEAD_MINUTES).toBeGreaterThanOrEqual(BUILD_OVERHEAD_HEADROOM * sum(F.codeBuildStart.minutes, ...laneInstall.map((n) => F[n].minutes)));
  // Check steps that ran npm ci again (the earlier pipeline) would need more than they have: this fails until the overhead grows.
  expect(CHECK_STEP_OVERHEAD_MINUTES).toBeLessThan(BUILD_OVERHEAD_HEADROOM * releaseMinutes(model, RELEASE_DEFINITION_UNSPLIT).checkStepStartMinutes);
});

test('a command the figures do not know is an error naming the file to add it to, not a zero', () => {
  expect(() => commandFigures('npm run something-new')).toThrow("lib/pipeline/pipeline-minutes.ts: no figure for the pipeline command 'npm run something-new'");
  expect(() => releaseMinutes(sampleModel(), { ...RELEASE_DEFINITION, build: [{ name: 'Synth', computeType: 'MEDIUM', commands: ['make all'] }] })).toThrow(/'make all'/);
});

describe('a first environment whose stacks spread over several CodePipeline stages', () => {
  // 300 generated applications: 13 stack parts, 10 of them in beta's own stage and 3 in
  // beta-parts-11-13 (deployment-chunks.ts); scale.test.ts checks the layers against the
  // synthesized 500-application pipeline.
  const APPS = 300;
  let workspace: string;
  let model: Model;
  beforeAll(() => {
    workspace = generateWorkload(APPS);
    const loaded = loadWorkspaceFromDisk(workspace);
    if (!loaded.model) throw new Error(`the ${APPS}-application workspace does not validate: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    model = loaded.model;
  }, 120_000);
  afterAll(() => rmrf(workspace));

  test('each stage adds its layers before the gate: beta deploys parts 1-10 with the guard, then parts 11-13 in a stage of their own', () => {
    expect(environmentStageLayers(model, 'beta')).toEqual([
      { stage: 'beta', parts: { first: 1, last: 10 }, layers: 2, guard: true },
      // Its own shared stacks of parts 11-13 first, then the environment stacks that read them; the guard ran in the first stage.
      { stage: 'beta-parts-11-13', parts: { first: 11, last: 13 }, layers: 2, guard: false },
    ]);
    const m = releaseMinutes(model);
    expect(m.segments.slice(4).map((s) => [s.name, s.minutes])).toEqual([
      ['beta stacks', 2 * F.changeSet.minutes],
      ['EmergencyGuard-beta', sum(F.codeBuildStart.minutes, F.checkCommand.minutes)],
      ['beta-parts-11-13 stacks', 2 * F.changeSet.minutes],
      ['RolloutGate-beta start', F.codeBuildStart.minutes],
    ]);
    expect(m.segments[6]!.what).toBe('CodePipeline stage beta-parts-11-13, parts 11-13: 2 CloudFormation layers in dependency order');
    // The same pipeline as the sample's up to beta's stacks: the second stage is what the split adds.
    expect(m.toFirstGateMinutes).toBe(sum(releaseMinutes(sampleModel()).toFirstGateMinutes, 2 * F.changeSet.minutes));
    expect(computePlan(model).pipeline.toFirstGateMinutes).toBe(m.toFirstGateMinutes);
  });

  test("an environment with metric alarms deploys its later parts after part 1, whose alarms they import: a third layer in gamma's one stage", () => {
    expect(environmentStageLayers(model, 'gamma')).toEqual([{ stage: 'gamma', parts: { first: 1, last: 13 }, layers: 3, guard: true }]);
    // Without metric alarms, parts 2-13 deploy beside part 1.
    const noAlarms = withWorkload(model, (w) => ({ ...w, environments: { ...w.environments, gamma: { ...w.environments.gamma!, monitors: [] } } }));
    expect(environmentStageLayers(noAlarms, 'gamma')).toEqual([{ stage: 'gamma', parts: { first: 1, last: 13 }, layers: 2, guard: true }]);
  });
});
