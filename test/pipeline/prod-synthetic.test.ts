/**
 * Synthetic traffic in every prod environment of the sample, as bin/app.ts synthesizes it
 * (once): each prod stage holds a Synthetics canary of its own URL, the canary's alarm is
 * one of the AppConfig monitors of every application's environment there (within
 * AppConfig's five), and the prod wave deploys the canary before the AppConfig stack that
 * watches its alarm.
 */
import { Match, Template as Assert } from 'aws-cdk-lib/assertions';
import { MAX_MONITORS } from '../../lib/appconfig';
import { CANARY_FAILED_RUNS_TO_ALARM } from '../../lib/pipeline/canary';
import { canaryAlarmName, canaryName, canaryStackName } from '../../lib/pipeline/names';
import { rmrf } from '../support/workspace';
import { resourcesOf, stageTemplate, synthesize, type SynthesizedApp, type Template } from './support';

let s: SynthesizedApp;
beforeAll(() => (s = synthesize()));
afterAll(() => rmrf(s.outdir));

const model = () => s.model;
const PROD = ['prod-01', 'prod-02', 'prod-03'];

test('the sample gives every prod environment a canary of its own URL', () => {
  const prod = Object.entries(model().workload.environments).filter(([, e]) => e.tier === 'prod');
  expect(prod.map(([name]) => name)).toEqual(PROD);
  const urls = prod.map(([, e]) => e.canary?.url);
  for (const [name, e] of prod) expect([name, e.canary?.url]).toEqual([name, expect.stringMatching(new RegExp(`^https://${name}\\.`))]);
  expect(new Set(urls).size).toBe(PROD.length);
});

describe.each(PROD)('%s', (env) => {
  const config = () => model().workload.environments[env]!;
  const canary = (): Template => stageTemplate(s, env, canaryStackName(model(), env));
  const alarmArn = () => `arn:aws:cloudwatch:${config().region}:${config().account}:alarm:${canaryAlarmName(model(), env)}`;

  test("its stage holds a canary that GETs the environment's URL at its rate, and the alarm on failed runs", () => {
    const t = Assert.fromJSON(canary());
    t.resourceCountIs('AWS::Synthetics::Canary', 1);
    t.hasResourceProperties('AWS::Synthetics::Canary', {
      Name: canaryName(model(), env),
      Schedule: { Expression: `rate(${config().canary!.rateMinutes} minutes)` },
      Code: { Handler: 'index.handler', Script: Match.stringLikeRegexp(`const TARGET = ${JSON.stringify(config().canary!.url).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')};`) },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: canaryAlarmName(model(), env),
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: Match.anyValue() }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 100,
      EvaluationPeriods: CANARY_FAILED_RUNS_TO_ALARM,
      Period: config().canary!.rateMinutes * 60,
      TreatMissingData: 'notBreaching',
    });
  });

  test(`its alarm is a monitor of every application's AppConfig environment there, within AppConfig's ${MAX_MONITORS}`, () => {
    // Every stage's stacks: a split workload puts later parts of the environment in other stages.
    const environments = s.assembly.nestedAssemblies
      .flatMap((a) => a.nestedAssembly.stacks)
      .flatMap((st) => resourcesOf(st.template as Template, 'AWS::AppConfig::Environment'))
      .filter(([, e]) => e.Properties.Name === env);
    expect(environments).toHaveLength(model().applications.length);
    for (const [, e] of environments) {
      const monitors = (e.Properties.Monitors as { AlarmArn: unknown }[]).map((m) => m.AlarmArn);
      expect(monitors).toHaveLength(config().monitors.length + 1);
      expect(monitors.length).toBeLessThanOrEqual(MAX_MONITORS);
      expect(monitors).toContainEqual(alarmArn());
    }
    const appconfig = s.pipeline.stages.find((st) => st.environmentName === env)!.appConfigStacks[0]!;
    expect(appconfig.dependencies.map((d) => d.stackName)).toContain(canaryStackName(model(), env));
  });

  test('its prod wave deploys the canary before the AppConfig stack that watches the alarm', () => {
    const pipeline = s.assembly.getStackByName(s.pipeline.stackName).template as Template;
    const [, p] = resourcesOf(pipeline, 'AWS::CodePipeline::Pipeline')[0]!;
    type Action = { RunOrder: number; Configuration?: { StackName?: string; ActionMode?: string } };
    const stages = p.Properties.Stages as { Name: string; Actions: Action[] }[];
    const wave = model().workload.pipeline.waves.find((w) => w.environments.includes(env))!;
    const actions = stages.find((st) => st.Name === wave.name)!.Actions;
    const runOrder = (stack: string, mode: string) => actions.find((a) => a.Configuration?.StackName === stack && a.Configuration.ActionMode === mode)!.RunOrder;
    const canaryDeployed = runOrder(canaryStackName(model(), env), 'CHANGE_SET_EXECUTE');
    expect(canaryDeployed).toBeLessThan(runOrder(`g360-appconfig-${env}`, 'CHANGE_SET_REPLACE'));
  });
});
