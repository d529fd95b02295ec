/**
 * The plan of the sample workload, checked against figures worked out by hand from
 * config/workload.json:
 *
 *   strategies      beta-all-at-once 0 + 0 min, gamma-canary 20 + 10 (EXPONENTIAL 10%),
 *                   prod-linear 30 + 30 (LINEAR 20%)
 *   steps           beta | gamma | prod-wave-1 (prod-01, manual approval) | prod-wave-2 (prod-02, prod-03)
 *   step minutes    overhead 5 + longest deploy+bake: 5, 35, 65, 65 -> ends at 5, 40, 105, 170
 *   first targets   step start + 5: beta 5, gamma 10, prod-01 45, prod-02/03 110
 *   worst case      groupsync-v3 has 3 profiles, queued one after another:
 *                   5 + 3*0 = 5, 5 + 3*30 = 95, 5 + 3*60 = 185 (x2) -> ends 5, 100, 285, 470
 *   AppConfig steps prod-linear 20/40/60/80/100 every 30/5 = 6 min;
 *                   gamma-canary 10/20/40/80/100 every 20/5 = 4 min
 *   canaries        gamma and every prod environment, every 5 min: the alarm can fire after
 *                   2 failed runs = 10 min; it follows workload.json's monitors
 *   first alarm     prod-01: g360-prod-01-checkout-p99, 60 s x 3 = 3 min -> step floor(3/6) = 0 -> 20%
 *                   prod-02, prod-03: only the canary's alarm is timed, 10 min -> floor(10/6) = 1 -> 40%
 *                   gamma: g360-gamma-api-5xx, 60 s x 2 = 2 min -> floor(2/4) = 0 -> 10%
 *   blast radius    prod-wave-1 has monitors and a bake on every environment: 1 of 3 prod
 *                   environments; targets 0.20 / 3 = 0.0667 of prod
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { blastRadiusSentence, EMERGENCY_NOT_CONFIGURED, minutes, renderPlanMarkdown, renderPlanMermaid, renderPlanText } from '../../lib/cli/commands/plan';
import { RELEASE_DEFINITION_UNSPLIT } from '../../lib/pipeline/build-actions';
import { releaseMinutes } from '../../lib/pipeline/pipeline-minutes';
import type { EnvironmentConfig, MetricAlarmMonitor, Model } from '../../lib/model';
import { reachOf } from '../../lib/cli/commands/diff';
import type { ModelDiff } from '../../lib/model/diff';
import { computePlan, EMERGENCY_CHECK_MINUTES, EMERGENCY_DEPLOY_OVERHEAD_MINUTES, EMERGENCY_START_MINUTES, exposureAt, rolloutPercentages, type EmergencyLanePlan } from '../../lib/pipeline/plan';
import { sampleModel } from '../rollout/fake-appconfig';
import { captureIO, REPO_ROOT } from '../support/workspace';

function withEnvironments(model: Model, change: (envs: Record<string, EnvironmentConfig>) => void): Model {
  const environments = structuredClone(model.workload.environments) as Record<string, EnvironmentConfig>;
  change(environments);
  return { ...model, workload: { ...model.workload, environments } };
}

describe('computePlan on the sample workload', () => {
  const plan = computePlan(sampleModel());
  const env = (name: string) => plan.environments.find((e) => e.environment === name)!;

  test('steps in pipeline order with their durations and end times', () => {
    expect(plan.steps.map((s) => [s.name, s.kind, s.environments.join('+'), s.manualApproval, s.minutes, s.endsAtMinutes])).toEqual([
      ['beta', 'stage', 'beta', false, 5, 5],
      ['gamma', 'stage', 'gamma', false, 35, 40],
      ['prod-wave-1', 'wave', 'prod-01', true, 65, 105],
      ['prod-wave-2', 'wave', 'prod-02+prod-03', false, 65, 170],
    ]);
  });

  test('lead time to each environment and to all of prod', () => {
    expect(plan.environments.map((e) => [e.environment, e.firstTargetsAtMinutes, e.allTargetsAtMinutes, e.completeAtMinutes])).toEqual([
      ['beta', 5, 5, 5],
      ['gamma', 10, 30, 40],
      ['prod-01', 45, 75, 105],
      ['prod-02', 110, 140, 170],
      ['prod-03', 110, 140, 170],
    ]);
    expect(plan.allProdMinutes).toBe(170);
    expect(plan.allEnvironmentsMinutes).toBe(170);
  });

  test('manual approvals are listed, not timed', () => {
    expect(plan.manualApprovals).toEqual(['prod-wave-1']);
    expect(env('gamma').manualApprovalsBefore).toEqual([]);
    expect(env('prod-03').manualApprovalsBefore).toEqual(['prod-wave-1']);
  });

  test('worst case: the three profiles of groupsync-v3 queue in each environment', () => {
    expect(plan.worstCase).toEqual({ application: 'groupsync-v3', profiles: 3, allProdMinutes: 470, allEnvironmentsMinutes: 470 });
    expect(plan.steps.map((s) => s.worstCaseEndsAtMinutes)).toEqual([5, 100, 285, 470]);
  });

  test('strategies, AppConfig steps and monitors per environment', () => {
    expect(env('beta')).toMatchObject({ strategy: 'beta-all-at-once', percentages: [100], stepIntervalMinutes: 0, monitors: [], exposureAtFirstAlarm: null });
    expect(env('gamma')).toMatchObject({ strategy: 'gamma-canary', percentages: [10, 20, 40, 80, 100], stepIntervalMinutes: 4, exposureAtFirstAlarm: 10 });
    expect(env('prod-01')).toMatchObject({ strategy: 'prod-linear', percentages: [20, 40, 60, 80, 100], stepIntervalMinutes: 6, exposureAtFirstAlarm: 20 });
    expect(env('prod-01').monitors).toEqual([
      { name: 'g360-prod-01-api-5xx', kind: 'existing-alarm', detectionMinutes: null },
      { name: 'g360-prod-01-checkout-p99', kind: 'metric-alarm', detectionMinutes: 3 },
      { name: 'g360-prod-01-canary-failed', kind: 'canary-alarm', detectionMinutes: 10 },
    ]);
    expect(env('prod-01').fastestMonitor?.name).toBe('g360-prod-01-checkout-p99');
    expect(env('gamma').monitors.map((m) => m.name)).toEqual(['g360-gamma-api-5xx', 'g360-gamma-canary-failed']);
  });

  test("the canary's alarm is a monitor timed by its rate: the only timed one of prod-02 and prod-03", () => {
    expect(env('prod-02').canary).toEqual({ url: 'https://prod-02.g360.example.com/healthz', rateMinutes: 5, alarm: 'g360-prod-02-canary-failed' });
    expect(env('prod-02')).toMatchObject({ fastestMonitor: { name: 'g360-prod-02-canary-failed', kind: 'canary-alarm', detectionMinutes: 10 }, exposureAtFirstAlarm: 40 });
    expect(env('beta').canary).toBeNull();
  });

  test('synthetic traffic: every prod environment of the sample has a canary', () => {
    expect(plan.syntheticTraffic).toEqual({
      covered: ['prod-01', 'prod-02', 'prod-03'].map((e) => ({ environment: e, url: `https://${e}.g360.example.com/healthz`, rateMinutes: 5 })),
      uncovered: [],
    });
  });

  test('blast radius: one of three prod environments, a fifth of it before the first alarm', () => {
    expect(plan.blastRadius).toEqual({
      prodEnvironments: 3,
      reachedEnvironments: ['prod-01'],
      environmentShare: 1 / 3,
      guardedBy: 'prod-wave-1',
      targetShare: 0.2 / 3,
      stoppedBy: [{ environment: 'prod-01', alarms: ['g360-prod-01-api-5xx', 'g360-prod-01-checkout-p99', 'g360-prod-01-canary-failed'] }],
    });
  });

  test('the gate overhead is a parameter', () => {
    const bare = computePlan(sampleModel(), { gateOverheadMinutes: 0 });
    expect(bare.steps.map((s) => s.endsAtMinutes)).toEqual([0, 30, 90, 150]);
    expect(bare.allProdMinutes).toBe(150);
    expect(() => computePlan(sampleModel(), { gateOverheadMinutes: -1 })).toThrow(/gateOverheadMinutes must be a number >= 0/);
  });
});

/** The environment without its canary. */
function withoutCanary(e: EnvironmentConfig): EnvironmentConfig {
  const { canary: _canary, ...rest } = e;
  return rest;
}

describe('blast radius when the first prod wave cannot stop a change', () => {
  test('a first wave without monitors or canary passes the change on: the next guarded wave bounds it', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      envs['prod-01'] = { ...withoutCanary(envs['prod-01']!), monitors: [] };
    });
    const b = computePlan(model).blastRadius;
    expect(b.reachedEnvironments).toEqual(['prod-01', 'prod-02', 'prod-03']);
    expect(b.environmentShare).toBe(1);
    expect(b.guardedBy).toBe('prod-wave-2');
    // All of prod-01; in prod-02 and prod-03, 40% when their canary's alarm can fire after 10 min.
    expect(b.targetShare).toBeCloseTo((1 + 0.4 + 0.4) / 3, 10);
    expect(b.stoppedBy.map((x) => x.environment)).toEqual(['prod-02', 'prod-03']);
  });

  test("without canaries, a guard wave of existing alarms only leaves the share of targets unknown", () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      for (const name of ['prod-01', 'prod-02', 'prod-03']) envs[name] = withoutCanary(envs[name]!);
      envs['prod-01'] = { ...envs['prod-01']!, monitors: [] };
    });
    const b = computePlan(model).blastRadius;
    expect(b.guardedBy).toBe('prod-wave-2');
    // prod-02 and prod-03 have only existing alarms, whose timing the repo does not hold.
    expect(b.targetShare).toBeNull();
  });

  test("a canary's alarm alone guards a wave: it counts in the blast radius", () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      envs['prod-01'] = { ...envs['prod-01']!, monitors: [] };
    });
    const plan = computePlan(model);
    // 10 minutes at 6-minute steps: step floor(10/6) = 1 -> 40% of prod-01, 0.4 / 3 of prod.
    expect(plan.blastRadius).toMatchObject({ reachedEnvironments: ['prod-01'], guardedBy: 'prod-wave-1', stoppedBy: [{ environment: 'prod-01', alarms: ['g360-prod-01-canary-failed'] }] });
    expect(plan.blastRadius.targetShare).toBeCloseTo(0.4 / 3, 10);
    expect(blastRadiusSentence(plan)).toContain('in prod-01, 40% of targets hold it when g360-prod-01-canary-failed can first fire (10 min)');
    expect(blastRadiusSentence(plan)).toContain('The alarms that can stop it: in prod-01, g360-prod-01-canary-failed (its synthetic canary).');
  });

  test('no prod step with monitors everywhere: all of prod, unguarded', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      for (const name of ['prod-01', 'prod-02', 'prod-03']) envs[name] = { ...withoutCanary(envs[name]!), monitors: [] };
    });
    const plan = computePlan(model);
    expect(plan.blastRadius).toMatchObject({ guardedBy: null, environmentShare: 1, targetShare: 1 });
    expect(blastRadiusSentence(plan)).toMatch(/^No prod step has a monitor and a final bake on every environment: .* reaches 3 of 3 prod environments \(100%/);
  });

  test('a guard wave with a slow alarm exposes more of its environment', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      envs['prod-01'] = {
        ...withoutCanary(envs['prod-01']!),
        monitors: [{ metricAlarm: { name: 'slow', namespace: 'N', metricName: 'M', statistic: 'Sum', periodSeconds: 300, threshold: 1, evaluationPeriods: 3, comparisonOperator: 'GreaterThanThreshold' } }],
      };
    });
    // 15 minutes at 6-minute steps: step floor(15/6) = 2 -> 60% of prod-01, 0.6 / 3 of prod.
    const plan = computePlan(model);
    expect(plan.environments.find((e) => e.environment === 'prod-01')!.exposureAtFirstAlarm).toBe(60);
    expect(plan.blastRadius.targetShare).toBeCloseTo(0.2, 10);
  });
});

describe('AppConfig step arithmetic', () => {
  test('linear adds the growth factor, exponential doubles it, both stop at 100', () => {
    expect(rolloutPercentages({ growthType: 'LINEAR', growthFactor: 30, deploymentDurationMinutes: 10 })).toEqual([30, 60, 90, 100]);
    expect(rolloutPercentages({ growthType: 'EXPONENTIAL', growthFactor: 2, deploymentDurationMinutes: 10 })).toEqual([2, 4, 8, 16, 32, 64, 100]);
  });

  test('no duration or a 100% step is all at once', () => {
    expect(rolloutPercentages({ growthType: 'LINEAR', growthFactor: 10, deploymentDurationMinutes: 0 })).toEqual([100]);
    expect(rolloutPercentages({ growthType: 'EXPONENTIAL', growthFactor: 100, deploymentDurationMinutes: 30 })).toEqual([100]);
  });

  test('exposure: the first step is immediate, a step landing on the alarm counts, the end is 100', () => {
    const steps = [20, 40, 60, 80, 100];
    expect(exposureAt(steps, 6, 0)).toBe(20);
    expect(exposureAt(steps, 6, 5.9)).toBe(20);
    expect(exposureAt(steps, 6, 6)).toBe(40);
    expect(exposureAt(steps, 6, 90)).toBe(100);
    expect(exposureAt([100], 0, 3)).toBe(100);
  });
});

describe('plan output', () => {
  const plan = computePlan(sampleModel());

  test('text: schedule, lead time and blast radius', () => {
    const text = renderPlanText(plan);
    expect(text).toMatch(/^3 +wave prod-wave-1 +prod-01 +prod +prod-linear +linear 20\/40\/60\/80\/100% every 6 min +30 min +45 min\* +105 min\*$/m);
    expect(text).toContain('* plus the wait for the manual approval of prod-wave-1');
    expect(text).toContain('all of prod: 170 min (2 h 50 min) + 1 manual approval (prod-wave-1)');
    expect(text).toContain('all of prod in 470 min (7 h 50 min)');
    expect(text).toContain('reaches 1 of 3 prod environments (33.3%: prod-01) before the alarms and bake of prod-wave-1 can stop it');
    expect(text).toContain('in prod-01, 20% of targets hold it when g360-prod-01-checkout-p99 can first fire (3 min). That is 6.7% of prod targets');
    expect(text).toContain('The alarms that can stop it: in prod-01, g360-prod-01-api-5xx, g360-prod-01-checkout-p99 and g360-prod-01-canary-failed (its synthetic canary).');
    expect(text).toMatch(/^ {2}prod-02 +g360-prod-02-api-5xx \(existing alarm, timing not in the repo\); g360-prod-02-canary-failed \(synthetic canary alarm, GET https:\/\/prod-02\.g360\.example\.com\/healthz every 5 min, can fire after 10 min\)$/m);
    expect(text).toContain('\nSynthetic traffic: prod-01, prod-02, prod-03 (canary every 5 min); each canary\'s alarm is one of its environment\'s monitors.\n');
    expect(text).not.toContain('No synthetic traffic');
  });

  test('markdown: one table row per environment, asterisks escaped', () => {
    const md = renderPlanMarkdown(plan);
    const rows = md.split('\n').filter((l) => /^\| \d /.test(l));
    expect(rows).toHaveLength(5);
    expect(rows[2]).toContain('| 45 min\\* | 105 min\\* |');
    expect(md).toContain('\\* plus the wait for the manual approval of prod-wave-1');
  });

  /** The subset of mermaid flowchart syntax the renderer promises to stay within. */
  function checkMermaid(text: string): { subgraphs: string[]; nodes: string[]; edges: [string, string][] } {
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    const subgraphs: string[] = [];
    const nodes: string[] = [];
    const edges: [string, string][] = [];
    let depth = 0;
    for (const line of lines.slice(1)) {
      const t = line.trim();
      let m: RegExpMatchArray | null;
      if ((m = t.match(/^subgraph ([A-Za-z][A-Za-z0-9_]*)\["([^"]*)"\]$/))) {
        subgraphs.push(m[1]!);
        depth++;
      } else if (t === 'end') {
        depth--;
      } else if ((m = t.match(/^([A-Za-z][A-Za-z0-9_]*)\["([^"]*)"\]$/))) {
        nodes.push(m[1]!);
      } else if ((m = t.match(/^([A-Za-z][A-Za-z0-9_]*) (?:-->|-\.->)\|[A-Za-z ]+\| ([A-Za-z][A-Za-z0-9_]*)$/))) {
        edges.push([m[1]!, m[2]!]);
      } else {
        throw new Error(`line outside the supported syntax: ${line}`);
      }
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    const ids = [...subgraphs, ...nodes];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain('end');
    for (const [a, b] of edges) expect([ids.includes(a), ids.includes(b)]).toEqual([true, true]);
    return { subgraphs, nodes, edges };
  }

  test('mermaid: a flowchart of steps and environments in the plain syntax', () => {
    const text = renderPlanMermaid(plan);
    const { subgraphs, nodes, edges } = checkMermaid(text);
    expect(subgraphs).toEqual(['step_1', 'step_2', 'step_3', 'step_4', 'emergency_lane']);
    expect(nodes).toEqual(['env_beta', 'env_gamma', 'env_prod_01', 'env_prod_02', 'env_prod_03', 'emergency_check', 'emergency_deploy']);
    expect(edges).toEqual([
      ['step_1', 'step_2'],
      ['step_2', 'step_3'],
      ['step_3', 'step_4'],
      ['emergency_check', 'emergency_deploy'],
      ...['env_beta', 'env_gamma', 'env_prod_01', 'env_prod_02', 'env_prod_03'].map((e): [string, string] => ['emergency_deploy', e]),
    ]);
    expect(text).toContain('step_2 -->|COMPLETE then manual approval| step_3');
    expect(text).toContain('subgraph step_4["4. wave prod-wave-2: done at 170 min (2 h 50 min)"]');
  });

  test('mermaid: a quote or an angle bracket in a name cannot end a label or open a tag', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      const alarm = (envs['gamma']!.monitors[0] as MetricAlarmMonitor).metricAlarm;
      envs['gamma'] = { ...envs['gamma']!, monitors: [{ metricAlarm: { ...alarm, name: 'say "hi" <b>' } }] };
    });
    const text = renderPlanMermaid(computePlan(model));
    expect(text).toContain('say #quot;hi#quot; #lt;b#gt;');
    checkMermaid(text);
  });
});

describe('dynconf plan', () => {
  test('prints the plan of the sample and exits 0', async () => {
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan'], io)).toBe(0);
    expect(out()).toContain('Plan for g360: 4 steps, 5 environments');
    expect(out()).toContain('all of prod: 170 min');
  });

  test('--format json carries the computed plan; --gate-overhead changes it', async () => {
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json', '--gate-overhead', '0'], io)).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ workload: 'g360', gateOverheadMinutes: 0, allProdMinutes: 150 });
  });

  test('--format mermaid is what the README shows', async () => {
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'mermaid'], io)).toBe(0);
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`mermaid\n${out()}\`\`\``);
  });

  test('usage errors exit 2', async () => {
    const bad = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'svg'], bad.io)).toBe(2);
    expect(bad.err()).toContain('--format must be one of text, markdown, mermaid, json');
    const negative = captureIO(REPO_ROOT);
    expect(await main(['plan', '--gate-overhead', '-3'], negative.io)).toBe(2);
  });
});

describe('AppConfig quotas in the plan', () => {
  const plan = computePlan(sampleModel());

  test('one row per quota and account and region, with the count, the limit and where it comes from', () => {
    expect(plan.quotas).toHaveLength(2 * 6);
    expect(plan.quotas.filter((u) => u.key === 'applicationsPerRegion').map((u) => [`${u.account}/${u.region}`, u.count, u.limit, u.limitFrom])).toEqual([
      ['222222222222/us-west-2', 4, 100, 'default'],
      ['333333333333/us-east-1', 4, 100, 'default'],
    ]);
    // The plan knows the real profile count: groupsync-v3 has browser flags.
    expect(plan.quotas.find((u) => u.key === 'configurationProfilesPerApplication')!.count).toBe(3);
    expect(plan.quotas.every((u) => !u.over)).toBe(true);
  });

  test('a declared quota shows as declared', () => {
    const model = sampleModel();
    const declared = computePlan({ ...model, workload: { ...model.workload, serviceQuotas: { appconfig: { applicationsPerRegion: 300 } } } });
    expect(declared.quotas.find((u) => u.key === 'applicationsPerRegion')).toMatchObject({ count: 4, limit: 300, limitFrom: 'declared' });
    expect(renderPlanText(declared)).toMatch(/^ {2}222222222222\/us-west-2 +applications per account and region +4 \/ 300 \(declared\)$/m);
  });

  test('text, markdown and json show them', async () => {
    expect(renderPlanText(plan)).toMatch(/^ {2}333333333333\/us-east-1 +monitors per environment +3 \/ 5 \(default, fixed\) +prod-01$/m);
    expect(renderPlanMarkdown(plan)).toContain('| 222222222222/us-west-2 | environments per application | 2 / 20 (default) | every application |');
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(out()) as { quotas: { key: string; awsName: string; code?: string }[] };
    expect(json.quotas.find((q) => q.key === 'applicationsPerRegion')).toMatchObject({ awsName: 'Maximum number of applications', code: 'L-EEB0151E' });
  });
});

describe('what removal leaves behind', () => {
  const plan = computePlan(sampleModel());
  const env = (name: string) => plan.removal.environments.find((e) => e.name === name)!;

  test('an application: its hosted versions, profiles and Application in every account and region, and prod Environments', () => {
    const app = plan.removal.application;
    expect(app.leftBehind.map((l) => l.what)).toEqual([
      "every hosted configuration version of <app>'s profiles",
      'the Application <app> and its profiles (flags, ops, browser)',
      "every hosted configuration version of <app>'s profiles",
      'the Application <app> and its profiles (flags, ops, browser)',
      'the AppConfig Environments prod-01, prod-02, prod-03 of <app>, with their deployment history',
    ]);
    expect(app.leftBehind[3]!.cleanup).toContain('--deletion-protection-check BYPASS');
    expect(app.leftBehind[1]!.cleanup).not.toContain('BYPASS');
    expect(app.removedByPipeline).toContain('the SSM parameter /dynconf/g360/appconfig/applications/<app>/ids in every account and region');
  });

  test('an environment: its stage stacks, never deleted by CDK Pipelines; the canary; termination protection in prod', () => {
    expect(env('gamma').leftBehind.map((l) => l.what.split(':')[0])).toEqual(['the stack g360-appconfig-gamma (and its -2, -3... parts when the workload is split)', 'the stack g360-gamma-config-readers', 'the stack g360-gamma-canary']);
    expect(env('gamma').leftBehind[2]!.what).toContain('keeps running every 5 min');
    expect(env('prod-02').leftBehind[0]!.cleanup).toMatch(/^aws cloudformation update-termination-protection --no-enable-termination-protection, then aws cloudformation delete-stack --stack-name g360-appconfig-prod-02 --region us-east-1/);
    expect(env('beta').leftBehind[0]!.cleanup).not.toContain('termination');
    // beta owns the shared stack of its account and region, but gamma's stage takes it over.
    expect(env('beta').removedByPipeline).toContain('g360-appconfig-shared-222222222222-us-west-2 moves to the stage of the next environment of 222222222222/us-west-2, which updates the same stack');
    expect(env('beta').removedByPipeline).toContain('g360-lower-eks-cluster-02-agent moves to the stage of gamma, which updates the same stack');
  });

  test('the last environment of an account and region leaves the shared stack too', () => {
    const model = sampleModel();
    const environments = { ...model.workload.environments, gamma: { ...model.workload.environments['gamma']!, account: '444444444444' } };
    const moved = computePlan({ ...model, workload: { ...model.workload, environments } });
    const beta = moved.removal.environments.find((e) => e.name === 'beta')!;
    expect(beta.leftBehind.map((l) => l.what)).toContainEqual(expect.stringMatching(/^the stack g360-appconfig-shared-222222222222-us-west-2 .*every Application, its profiles, the deployment strategies and the SSM parameters under \/dynconf\/g360\/appconfig/));
  });

  test('a cluster: the agent stack with its role, token secret and DaemonSet', () => {
    const prod = plan.removal.clusters.find((c) => c.name === 'g360-prod-core-01')!;
    expect(prod.leftBehind).toHaveLength(1);
    expect(prod.leftBehind[0]!.what).toContain('the stack g360-prod-core-01-agent: the agent role g360-prod-core-01-appconfig-agent, the token secret g360/appconfig-agent/g360-prod-core-01/token');
    expect(prod.leftBehind[0]!.what).toContain('DaemonSet keeps running');
    expect(prod.leftBehind[0]!.where).toBe('333333333333/us-east-1');
  });

  test('text, markdown and json show it', async () => {
    const text = renderPlanText(plan);
    expect(text).toContain('  Removing environment prod-01:\n    - stays: the stack g360-appconfig-prod-01');
    expect(text).toContain('  Removing cluster lower-eks-cluster-02:');
    expect(renderPlanMarkdown(plan)).toContain('<details><summary>What removing an application, environment or cluster leaves behind</summary>');
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(out()) as { removal: { application: { name: string }; environments: unknown[]; clusters: unknown[] } };
    expect(json.removal.application.name).toBe('<app>');
    expect(json.removal.environments).toHaveLength(5);
    expect(json.removal.clusters).toHaveLength(2);
  });
});

describe('data-plane calls and cost in the plan', () => {
  test('one estimate per cluster that serves an environment, for the stated load', () => {
    const plan = computePlan(sampleModel(), { clusterLoad: { nodes: 50, pods: 1000 } });
    expect(plan.dataPlane.map((e) => [e.cluster, e.nodes, e.pods, e.servedEntries])).toEqual([
      ['lower-eks-cluster-02', 50, 1000, 18],
      ['g360-prod-core-01', 50, 1000, 27],
    ]);
    for (const e of plan.dataPlane) expect(e.daemonSet.callsPerDay).toBeLessThanOrEqual(e.sidecar.callsPerDay);
  });

  test('text and markdown show calls and their cost beside a sidecar per pod', () => {
    const plan = computePlan(sampleModel());
    expect(renderPlanText(plan)).toMatch(/^ {2}g360-prod-core-01 +DaemonSet +100 agents x 27 +90 +7,776,000 +\$46\.66$/m);
    expect(renderPlanText(plan)).toMatch(/^ {2}g360-prod-core-01: serves 27 app:env:profile entries, prefetches 12, polls every 30 s; the DaemonSet makes no more calls than sidecars would\.$/m);
    expect(renderPlanMarkdown(plan)).toContain('| g360-prod-core-01 | DaemonSet | 100 agents x 27 | 90 | 7,776,000 | $46.66 |');
  });

  test('--nodes and --pods set the load; a load that is not a cluster is a usage error', async () => {
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json', '--nodes', '10', '--pods', '300'], io)).toBe(0);
    expect((JSON.parse(out()) as { dataPlane: { nodes: number; pods: number }[] }).dataPlane[0]).toMatchObject({ nodes: 10, pods: 300 });
    const bad = captureIO(REPO_ROOT);
    expect(await main(['plan', '--nodes', '2.5'], bad.io)).toBe(2);
    expect(bad.err()).toContain('--nodes must be a whole number from 1 to 100000');
  });
});

describe('the emergency lane in the plan', () => {
  const laneOf = (model: Model): EmergencyLanePlan => {
    const e = computePlan(model).emergency;
    if (!e.configured) throw new Error('the lane is not configured');
    return e;
  };
  const withEmergencyStrategy = (model: Model, change: Partial<Model['workload']['strategies'][string]>): Model => {
    const name = model.workload.emergency!.strategy;
    const strategies = { ...model.workload.strategies, [name]: { ...model.workload.strategies[name]!, ...change } };
    return { ...model, workload: { ...model.workload, strategies } };
  };
  const withoutLane = (model: Model): Model => {
    const { emergency: _emergency, ...workload } = model.workload;
    return { ...model, workload };
  };

  test('plan: the sample reaches all of prod through the lane in 10 minutes or less, every environment at once', () => {
    const model = sampleModel();
    const e = laneOf(model);
    const s = model.workload.strategies[model.workload.emergency!.strategy]!;
    const overhead = EMERGENCY_START_MINUTES + EMERGENCY_CHECK_MINUTES + EMERGENCY_DEPLOY_OVERHEAD_MINUTES;
    expect(e.leadTimeMinutes).toBe(overhead + s.deploymentDurationMinutes + s.finalBakeTimeMinutes);
    expect(e.leadTimeMinutes).toBeLessThanOrEqual(10);
    expect(e.environments.map((x) => x.environment)).toEqual(model.environments);
    expect(new Set(e.environments.map((x) => x.leadTimeMinutes))).toEqual(new Set([e.leadTimeMinutes]));
    expect(e.leadTimeMinutes).toBeLessThan(computePlan(model).allProdMinutes);
  });

  test("plan: the lane's lead time follows the emergency strategy's duration and bake, and a queue of profiles multiplies them", () => {
    const model = withEmergencyStrategy(sampleModel(), { growthFactor: 50, deploymentDurationMinutes: 4, finalBakeTimeMinutes: 6 });
    const e = laneOf(model);
    const queue = Math.max(...model.applications.map((a) => a.profiles.length));
    expect(e.leadTimeMinutes - e.overheadMinutes).toBe(10);
    expect(e.worstCaseLeadTimeMinutes - e.overheadMinutes).toBe(queue * 10);
    expect(renderPlanText(computePlan(model))).toContain('linear 50/100% every 2 min');
  });

  test('plan: text, markdown, json and the picture show the lane beside the waves', async () => {
    const plan = computePlan(sampleModel());
    const e = laneOf(sampleModel());
    expect(renderPlanText(plan)).toMatch(new RegExp(`^  all of prod and every environment: ${e.leadTimeMinutes} min \\(build start`, 'm'));
    expect(renderPlanMarkdown(plan)).toContain(`- all of prod and every environment: ${e.leadTimeMinutes} min`);
    expect(renderPlanMermaid(plan)).toContain(`subgraph emergency_lane["emergency lane: a push to ${e.branches}, every environment at once: done at ${e.leadTimeMinutes} min"]`);
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(out()) as { emergency: { leadTimeMinutes: number; environments: { environment: string; leadTimeMinutes: number }[] } };
    expect(json.emergency.leadTimeMinutes).toBe(e.leadTimeMinutes);
    expect(json.emergency.environments.map((x) => x.environment)).toEqual(sampleModel().environments);
  });

  test('plan: without `emergency`, every format says the lane is not configured and the picture has no lane', () => {
    const plan = computePlan(withoutLane(sampleModel()));
    expect(plan.emergency).toEqual({ configured: false });
    expect(renderPlanText(plan)).toContain(EMERGENCY_NOT_CONFIGURED);
    expect(renderPlanMarkdown(plan)).toContain('**Emergency lane:** not configured.');
    expect(renderPlanMermaid(plan)).not.toContain('emergency');
  });
});

describe('synthetic traffic in the plan', () => {
  /** The plan of the sample with these environments left without a canary. */
  const uncovered = (...names: string[]) =>
    computePlan(
      withEnvironments(sampleModel(), (envs) => {
        for (const name of names) envs[name] = withoutCanary(envs[name]!);
      }),
    );

  test('a prod environment without a canary is named, in every format, as having no synthetic traffic', async () => {
    const plan = uncovered('prod-03');
    expect(plan.syntheticTraffic.uncovered).toEqual(['prod-03']);
    expect(plan.syntheticTraffic.covered.map((c) => c.environment)).toEqual(['prod-01', 'prod-02']);
    const text = renderPlanText(plan);
    expect(text).toContain('\nSynthetic traffic: prod-01, prod-02 (canary every 5 min);');
    expect(text).toContain(
      '\nNo synthetic traffic: prod-03: its alarms may see no traffic during a rollout. Add "canary": { "url", "rateMinutes" } to environments.prod-03 in config/workload.json (`validate` warns; an error under --strict).\n',
    );
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('- **Synthetic traffic:** prod-01, prod-02 (canary every 5 min);');
    expect(md).toContain('- **No synthetic traffic:** prod-03: its alarms may see no traffic during a rollout.');
    const mermaid = renderPlanMermaid(plan);
    expect(mermaid).toMatch(/env_prod_03\[".*g360-prod-03-api-5xx<br\/>no synthetic traffic"\]/);
    expect(mermaid).toMatch(/env_prod_02\[".*g360-prod-02-canary-failed<br\/>canary every 5 min"\]/);
    // Not a prod environment: nothing to say about beta's traffic.
    expect(mermaid).toMatch(/env_beta\["[^"]*<br\/>no monitors"\]/);
  });

  test('several environments without a canary share one line; canaries of different rates are grouped by rate', () => {
    const plan = computePlan(
      withEnvironments(sampleModel(), (envs) => {
        envs['prod-01'] = { ...envs['prod-01']!, canary: { url: 'https://prod-01.g360.example.com/healthz', rateMinutes: 1 } };
      }),
    );
    expect(renderPlanText(plan)).toContain('\nSynthetic traffic: prod-01 (canary every 1 min); prod-02, prod-03 (canary every 5 min);');
    expect(renderPlanText(uncovered('prod-02', 'prod-03'))).toContain('\nNo synthetic traffic: prod-02, prod-03: their alarms may see no traffic during a rollout. Add "canary": { "url", "rateMinutes" } to each in config/workload.json');
  });

  test('dynconf plan --format json carries the canaries and the gaps', async () => {
    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(out()) as { syntheticTraffic: { covered: { environment: string }[]; uncovered: string[] }; blastRadius: { stoppedBy: { alarms: string[] }[] } };
    expect(json.syntheticTraffic.covered.map((c) => c.environment)).toEqual(['prod-01', 'prod-02', 'prod-03']);
    expect(json.syntheticTraffic.uncovered).toEqual([]);
    expect(json.blastRadius.stoppedBy[0]!.alarms).toContain('g360-prod-01-canary-failed');
  });

  test("the diff's reach lists the canary's alarm among the alarms that can roll a changed environment back", () => {
    const plan = computePlan(sampleModel());
    const diff: ModelDiff = {
      environments: [
        {
          environment: 'prod-02',
          step: { number: 4, of: 4, kind: 'wave', name: 'prod-wave-2', manualApproval: false },
          changes: [{ environment: 'prod-02', application: 'sso-service', profile: 'flags', subject: 'x', kind: 'changed', target: 'value', path: 'enabled', before: false, after: true, detail: 'enabled false -> true' }],
        },
      ],
      workload: [],
      stepCount: 4,
    };
    const reach = reachOf(diff, plan);
    expect(reach.alarms).toEqual(['g360-prod-02-api-5xx', 'g360-prod-02-canary-failed']);
    expect(reach.environments[0]!.monitors.map((m) => m.kind)).toEqual(['existing-alarm', 'canary-alarm']);
  });
});

describe("the pipeline's own minutes, before the first step", () => {
  test('text, markdown and json: merge to the beta gate, today beside the earlier pipeline, stage by stage, with the figures and their sources', async () => {
    const model = sampleModel();
    const now = releaseMinutes(model);
    const before = releaseMinutes(model, RELEASE_DEFINITION_UNSPLIT);
    const text = renderPlanText(computePlan(model));
    const saved = Number((before.toFirstGateMinutes - now.toFirstGateMinutes).toFixed(1));
    expect(text).toContain(
      `Pipeline (before the first step; not in the times above):\n  merge to the beta gate starting: ${minutes(now.toFirstGateMinutes)}; ${minutes(before.toFirstGateMinutes)} with the browser tests inside the synth step and npm ci in every check step, as the earlier pipeline did (${minutes(saved)} less)`,
    );
    expect(saved).toBeGreaterThan(0);
    expect(text).toContain(`    ${now.segments.map((s) => `${s.name} ${Number(s.minutes.toFixed(1))}`).join(' + ')}`);
    expect(text).toMatch(/^ {4}BrowserTests \([\d.]+ min, CodeBuild start included\): bash \.ci\/ensure-chromium [\d.]+; npm ci --no-audit --no-fund [\d.]+; DYNCONF_TESTS=chromium-only npx jest [\d.]+$/m);
    expect(text).toContain(`each of the 15 check steps (gates, verify, emergency guards) starts in ${minutes(now.checkStepStartMinutes)} (was ${minutes(before.checkStepStartMinutes)})`);
    expect(renderPlanMarkdown(computePlan(model))).toContain(`**Pipeline:** merge to the beta gate starting: ${minutes(now.toFirstGateMinutes)};`);

    const { io, out } = captureIO(REPO_ROOT);
    expect(await main(['plan', '--format', 'json'], io)).toBe(0);
    const json = JSON.parse(out()) as { pipeline: { toFirstGateMinutes: number; before: { toFirstGateMinutes: number }; figures: Record<string, { minutes: number; source: string }> } };
    expect(json.pipeline.toFirstGateMinutes).toBe(now.toFirstGateMinutes);
    expect(json.pipeline.before.toFirstGateMinutes).toBe(before.toFirstGateMinutes);
    expect(json.pipeline.figures.chromiumTests!.source).toMatch(/^`DYNCONF_TESTS=chromium-only jest` \(test\/runtime\/browser-e2e\.test\.ts/);
  });
});
