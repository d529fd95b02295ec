/**
 * How a step's layout parts are spread over CodePipeline stages: one stage for a workload
 * whose step fits CodePipeline's 50 actions, consecutive ranges otherwise, a range that can
 * never fit refused with the quota named, and the post-synth check on a pipeline template.
 */
import { planAppConfig, type AppConfigPlan } from '../../lib/appconfig';
import { actionsForRange, CODEPIPELINE_LIMITS, codePipelineLimitViolations, deploymentChunks } from '../../lib/pipeline/deployment-chunks';
import type { Model, PipelineStep } from '../../lib/model';
import { sampleModel } from './support';

/** The sample's plan with the parts of every stack repeated up to `parts`. */
function withParts(model: Model, parts: number): AppConfigPlan {
  const plan = planAppConfig(model);
  const more = <T extends { part: number; stackName: string }>(stacks: readonly T[]) =>
    stacks.flatMap((s) => Array.from({ length: parts }, (_, i) => ({ ...s, part: i + 1, stackName: `${s.stackName}-${i + 1}` })));
  return { shared: more(plan.shared), environments: more(plan.environments) };
}

const step = (name: string): PipelineStep => sampleModel().pipeline.find((s) => s.name === name)!;

test('the sample: every step in one CodePipeline stage, as before', () => {
  const plan = planAppConfig(sampleModel());
  for (const s of sampleModel().pipeline) expect(deploymentChunks(sampleModel(), plan, s)).toEqual([{ first: 1, last: 1 }]);
});

test('beta with 21 parts: shared and environment stack per part, 2 actions each, plus its own stacks and checks, in ranges of at most 50', () => {
  const plan = withParts(sampleModel(), 21);
  const chunks = deploymentChunks(sampleModel(), plan, step('beta'));
  expect(chunks[0]!.first).toBe(1);
  expect(chunks[chunks.length - 1]!.last).toBe(21);
  chunks.forEach((c, i) => {
    if (i > 0) expect(c.first).toBe(chunks[i - 1]!.last + 1);
    expect(actionsForRange(sampleModel(), plan, step('beta'), c)).toBeLessThanOrEqual(CODEPIPELINE_LIMITS.actionsPerStage);
  });
  // beta owns the lower account's shared stacks and its cluster's agent: 4 actions a part, 7 for the agent and readers
  // stacks, its gate, its verify and (the sample declares an emergency lane) its emergency guard.
  expect(actionsForRange(sampleModel(), plan, step('beta'), { first: 1, last: 1 })).toBe(2 * (2 + 1 + 1) + 2 + 1);
  // 7 + 4 x 10 = 47; an 11th part would make 51.
  expect(chunks).toEqual([
    { first: 1, last: 10 },
    { first: 11, last: 20 },
    { first: 21, last: 21 },
  ]);
});

test('adding a part extends the last range or opens a new one: earlier ranges never change', () => {
  for (let parts = 2; parts < 30; parts++) {
    const before = deploymentChunks(sampleModel(), withParts(sampleModel(), parts), step('prod-wave-2'));
    const after = deploymentChunks(sampleModel(), withParts(sampleModel(), parts + 1), step('prod-wave-2'));
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
  }
});

test('a step whose single part cannot fit a stage is refused, naming the quota', () => {
  const model = sampleModel();
  const crowded: PipelineStep = { ...step('prod-wave-2'), environments: Array.from({ length: 13 }, () => 'prod-02') };
  expect(() => deploymentChunks(model, planAppConfig(model), crowded)).toThrow(/needs more than the 50 actions CodePipeline allows in a stage \("Quotas in AWS CodePipeline", Number of actions in a stage, fixed\)/);
});

test('the post-synth check counts actions per stage, per pipeline and stages', () => {
  const stage = (name: string, actions: number) => ({ Name: name, Actions: Array.from({ length: actions }, () => ({})) });
  const template = (stages: ReturnType<typeof stage>[]) => ({ template: { Resources: { P: { Type: 'AWS::CodePipeline::Pipeline', Properties: { Name: 'p', Stages: stages } } } } });
  expect(codePipelineLimitViolations([template([stage('Source', 1), stage('beta', 50)])])).toEqual([]);
  expect(codePipelineLimitViolations([template([stage('Source', 1), stage('beta', 51)])])).toEqual([
    'pipeline p, stage beta: 51 actions; CodePipeline allows 50 ("Quotas in AWS CodePipeline", Number of actions in a stage, fixed): deploy fewer environments in this wave',
  ]);
  const many = Array.from({ length: 51 }, (_, i) => stage(`s${i}`, 10));
  expect(codePipelineLimitViolations([template(many)])).toEqual([
    expect.stringContaining('has 51 stages; CodePipeline allows 50'),
    expect.stringContaining('has 510 actions; CodePipeline allows 500'),
  ]);
});
