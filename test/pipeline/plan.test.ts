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
 *   first alarm     prod-01: g360-prod-01-checkout-p99, 60 s x 3 = 3 min -> step floor(3/6) = 0 -> 20%
 *                   gamma: g360-gamma-api-5xx, 60 s x 2 = 2 min -> floor(2/4) = 0 -> 10%
 *   blast radius    prod-wave-1 has monitors and a bake on every environment: 1 of 3 prod
 *                   environments; targets 0.20 / 3 = 0.0667 of prod
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { blastRadiusSentence, renderPlanMarkdown, renderPlanMermaid, renderPlanText } from '../../lib/cli/commands/plan';
import type { EnvironmentConfig, MetricAlarmMonitor, Model } from '../../lib/model';
import { computePlan, exposureAt, rolloutPercentages } from '../../lib/pipeline/plan';
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
    ]);
    expect(env('prod-01').fastestMonitor?.name).toBe('g360-prod-01-checkout-p99');
    expect(env('prod-02')).toMatchObject({ fastestMonitor: null, exposureAtFirstAlarm: null });
  });

  test('blast radius: one of three prod environments, a fifth of it before the first alarm', () => {
    expect(plan.blastRadius).toEqual({
      prodEnvironments: 3,
      reachedEnvironments: ['prod-01'],
      environmentShare: 1 / 3,
      guardedBy: 'prod-wave-1',
      targetShare: 0.2 / 3,
    });
  });

  test('the gate overhead is a parameter', () => {
    const bare = computePlan(sampleModel(), { gateOverheadMinutes: 0 });
    expect(bare.steps.map((s) => s.endsAtMinutes)).toEqual([0, 30, 90, 150]);
    expect(bare.allProdMinutes).toBe(150);
    expect(() => computePlan(sampleModel(), { gateOverheadMinutes: -1 })).toThrow(/gateOverheadMinutes must be a number >= 0/);
  });
});

describe('blast radius when the first prod wave cannot stop a change', () => {
  test('a first wave without monitors passes the change on: the next guarded wave bounds it', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      envs['prod-01'] = { ...envs['prod-01']!, monitors: [] };
    });
    const b = computePlan(model).blastRadius;
    expect(b.reachedEnvironments).toEqual(['prod-01', 'prod-02', 'prod-03']);
    expect(b.environmentShare).toBe(1);
    expect(b.guardedBy).toBe('prod-wave-2');
    // prod-02 and prod-03 have only existing alarms, whose timing the repo does not hold.
    expect(b.targetShare).toBeNull();
  });

  test('no prod step with monitors everywhere: all of prod, unguarded', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      for (const name of ['prod-01', 'prod-02', 'prod-03']) envs[name] = { ...envs[name]!, monitors: [] };
    });
    const plan = computePlan(model);
    expect(plan.blastRadius).toMatchObject({ guardedBy: null, environmentShare: 1, targetShare: 1 });
    expect(blastRadiusSentence(plan)).toMatch(/^No prod step has a monitor and a final bake on every environment: .* reaches 3 of 3 prod environments \(100%/);
  });

  test('a guard wave with a slow alarm exposes more of its environment', () => {
    const model = withEnvironments(sampleModel(), (envs) => {
      envs['prod-01'] = {
        ...envs['prod-01']!,
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
      } else if ((m = t.match(/^([A-Za-z][A-Za-z0-9_]*) -->\|[A-Za-z ]+\| ([A-Za-z][A-Za-z0-9_]*)$/))) {
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
    expect(subgraphs).toEqual(['step_1', 'step_2', 'step_3', 'step_4']);
    expect(nodes).toEqual(['env_beta', 'env_gamma', 'env_prod_01', 'env_prod_02', 'env_prod_03']);
    expect(edges).toEqual([
      ['step_1', 'step_2'],
      ['step_2', 'step_3'],
      ['step_3', 'step_4'],
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
