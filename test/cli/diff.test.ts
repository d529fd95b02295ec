/**
 * `dynconf diff`: the JSON a tool reads says what the text says (steps numbered from 1,
 * every change with its target, path and values), and every format carries the change's
 * reach: steps, environments, alarms, approvals, time and blast radius.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { changeBlastRadius, type DiffReport } from '../../lib/cli/commands/diff';
import { describeChange, loadWorkspaceFromDisk, type Change } from '../../lib/model';
import { computePlan } from '../../lib/pipeline/plan';
import { captureIO, MINIMAL, rmrf, tempDir } from '../support/workspace';

let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString();

beforeEach(() => {
  repo = tempDir();
  fs.cpSync(MINIMAL, repo, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-m', 'base');
});
afterEach(() => rmrf(repo));

// Test edits reach deep into known fixture shapes; typing each path would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Loose = Record<string, any>;
function edit(file: string, change: (v: Loose) => void): void {
  const p = path.join(repo, file);
  const v = JSON.parse(fs.readFileSync(p, 'utf8')) as Loose;
  change(v);
  fs.writeFileSync(p, JSON.stringify(v, null, 2));
}

async function diff(format: 'text' | 'markdown' | 'json'): Promise<string> {
  const cap = captureIO(repo);
  const code = await main(['diff', '--base', 'HEAD', '--root', repo, '--format', format], cap.io);
  expect({ code, err: cap.err() }).toEqual({ code: 0, err: '' });
  return cap.out();
}

const json = async () => JSON.parse(await diff('json')) as DiffReport;

function commit(): void {
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-m', 'more');
}

function everyChange(): void {
  // A base with two ruled variants, so that the change can swap them.
  edit('flags/demo-app.json', (f) => {
    f.flags['dark-mode'].default.variants.unshift({ name: 'staff', rule: '(eq $tier "staff")', enabled: true });
  });
  commit();
  edit('flags/demo-app.json', (f) => {
    const [staff, pro, rest] = f.flags['dark-mode'].default.variants;
    f.flags['dark-mode'].default.variants = [pro, staff, rest];
    f.flags['new-checkout'].environments['prod-01'] = { enabled: true, rolloutPercent: 5 };
    f.flags['new-checkout'].expires = '2099-01-01';
    f.flags['dark-mode'].default.variants[0].rule = '(eq $tier "max")';
    f.flags['new-checkout'].exposure = 'browser';
    f.flags['fresh-flag'] = { name: 'Fresh', default: { enabled: true } };
  });
  edit('config/ops/demo-app/prod-01.json', (o) => {
    o.timeoutMs = 900;
  });
  edit('config/workload.json', (w) => {
    w.strategies.linear.finalBakeTimeMinutes = 45;
  });
}

describe('diff --format json', () => {
  test('numbers steps as the text does: "step 3 of 3" is number 3 of 3, not order 2', async () => {
    everyChange();
    const text = await diff('text');
    const report = await json();
    for (const e of report.environments) {
      expect(text).toContain(`${e.environment} (${e.step.kind} ${e.step.name}, step ${e.step.number} of ${e.step.of})`);
      expect(e.step).not.toHaveProperty('order');
    }
    expect(report.environments.map((e) => [e.environment, e.step.number, e.step.of])).toEqual([
      ['beta', 1, 3],
      ['gamma', 2, 3],
      ['prod-01', 3, 3],
    ]);
  });

  test('every change is structured: target, path, variant, before and after, and detail is written from them', async () => {
    everyChange();
    const report = await json();
    const prod = report.environments.find((e) => e.environment === 'prod-01')!.changes;
    const beta = report.environments.find((e) => e.environment === 'beta')!.changes;
    const pick = (list: readonly Change[], target: Change['target'], p: string) => list.find((c) => c.target === target && c.path === p);

    expect(pick(prod, 'value', 'enabled')).toMatchObject({ subject: 'new-checkout', kind: 'changed', before: false, after: true, detail: 'enabled false -> true' });
    const added = pick(prod, 'value', 'rolloutPercent')!;
    expect(added).toMatchObject({ kind: 'added', after: 5, detail: 'rolloutPercent added: 5' });
    expect(added).not.toHaveProperty('before');
    expect(pick(beta, 'definition', 'expires')).toMatchObject({ kind: 'added', after: '2099-01-01', detail: 'definition expires added: "2099-01-01"' });
    expect(pick(beta, 'variant', 'rule')).toMatchObject({ subject: 'dark-mode', variant: 'pro', before: '(eq $tier "pro")', after: '(eq $tier "max")' });
    expect(beta.find((c) => c.target === 'variant-order')).toMatchObject({ before: ['staff', 'pro', 'everyone'], after: ['pro', 'staff', 'everyone'], detail: 'variant order staff, pro, everyone -> pro, staff, everyone' });
    expect(beta.find((c) => c.target === 'exposure')).toMatchObject({ profile: 'browser', subject: 'new-checkout', before: 'server', after: 'browser' });
    expect(beta.find((c) => c.target === 'flag')).toMatchObject({ subject: 'fresh-flag', kind: 'added', after: { enabled: true }, detail: 'added: enabled true' });
    expect(pick(prod, 'ops', 'timeoutMs')).toMatchObject({ profile: 'ops', subject: 'timeoutMs', before: 2000, after: 900, detail: '2000 -> 900' });
    expect(report.workload).toEqual([
      {
        environment: '*',
        application: '*',
        profile: 'workload',
        subject: 'strategies.linear.finalBakeTimeMinutes',
        kind: 'changed',
        target: 'workload',
        path: 'strategies.linear.finalBakeTimeMinutes',
        before: 30,
        after: 45,
        detail: '30 -> 45',
      },
    ]);
    // Consistent by construction: the words come from the fields, for every change.
    for (const c of [...report.environments.flatMap((e) => e.changes), ...report.workload]) expect(describeChange(c)).toBe(c.detail);
  });

  test('a value longer than the text shows is whole in before/after', async () => {
    const long = 'x'.repeat(200);
    edit('config/ops/demo-app/schema.json', (s) => {
      s.properties.banner = { type: 'string' };
    });
    edit('config/ops/demo-app/prod-01.json', (o) => {
      o.banner = long;
    });
    const c = (await json()).environments.find((e) => e.environment === 'prod-01')!.changes.find((x) => x.path === 'banner')!;
    expect(c.after).toBe(long);
    expect(c.detail).toMatch(/^added: "x+\.\.\.$/);
  });
});

describe('the reach of a change', () => {
  test('a prod change names its step, environments, alarms, time and blast radius in every format', async () => {
    edit('flags/demo-app.json', (f) => {
      f.flags['new-checkout'].environments['prod-01'] = { enabled: true, rolloutPercent: 5 };
    });
    const reach = (await json()).reach!;
    expect(reach.steps).toEqual([{ number: 3, kind: 'wave', name: 'prod-wave-1', environments: ['prod-01'] }]);
    expect(reach.unchanged).toEqual(['beta', 'gamma']);
    expect(reach.prod).toEqual({ reached: 1, total: 1 });
    expect(reach.alarms).toEqual(['mini-prod-5xx', 'mini-prod-01-canary-failed']);
    expect(reach.environments[0]).toMatchObject({ environment: 'prod-01', strategy: 'linear', rollout: 'linear 20/40/60/80/100% every 6 min', finalBakeTimeMinutes: 30 });
    expect(reach.blastRadius).toMatchObject({ reachedEnvironments: ['prod-01'], guardedBy: 'prod-wave-1' });

    const text = await diff('text');
    expect(text).toContain('Reach: 1 of 3 steps (wave prod-wave-1); 1 of 3 environments, 1 of 1 prod; unchanged: beta, gamma.');
    expect(text).toContain('Alarms: mini-prod-5xx, mini-prod-01-canary-failed can roll it back.');
    expect(text).toMatch(/Done: every changed environment COMPLETE after about \d+ min/);
    expect(text).toContain('Blast radius: if it is bad only in prod, it reaches 1 of 1 prod environment (prod-01) before the alarms and bake of prod-wave-1 can stop it');
    expect(text).toMatch(/reaches prod-01 \(wave prod-wave-1\) first\.\n$/);

    const md = await diff('markdown');
    expect(md).toContain('| 3. wave `prod-wave-1` | `prod-01` | 2 | `linear`: linear 20/40/60/80/100% every 6 min, bake 30 min | `mini-prod-5xx`, `mini-prod-01-canary-failed` |');
    expect(md).toContain('**Reach:** 1 of 3 steps (wave prod-wave-1)');
    expect(md).toContain('**Blast radius:** if it is bad only in prod');
  });

  test('a change that stays before prod has no blast radius, and an environment without alarms is called out', async () => {
    edit('flags/demo-app.json', (f) => {
      f.flags['new-checkout'].environments.beta.rolloutPercent = 50;
    });
    const report = await json();
    expect(report.reach).toMatchObject({ prod: { reached: 0, total: 1 }, alarms: [], blastRadius: null, unchanged: ['gamma', 'prod-01'] });
    const text = await diff('text');
    expect(text).toContain('Alarms: no alarm watches the changed environments: nothing rolls a bad change back.');
    expect(text).not.toContain('Blast radius');
    expect(await diff('markdown')).toContain('| `beta` | 1 | `fast`: all at once, bake 0 min | **none** |');
  });

  test('only a workload change: no reach', async () => {
    edit('config/workload.json', (w) => {
      w.strategies.fast.finalBakeTimeMinutes = 1;
    });
    expect((await json()).reach).toBeNull();
    expect(await diff('text')).not.toContain('Reach:');
  });
});

describe('the blast radius of a change', () => {
  const model = () => loadWorkspaceFromDisk(MINIMAL).model!;

  test('with no monitor and no canary on a changed prod environment, nothing stops it', () => {
    const m = model();
    const { canary: _canary, ...prod01 } = m.workload.environments['prod-01']!;
    const unwatched = { ...m, workload: { ...m.workload, environments: { ...m.workload.environments, 'prod-01': { ...prod01, monitors: [] } } } };
    const b = changeBlastRadius(computePlan(unwatched), new Set(['prod-01']));
    expect(b).toMatchObject({ guardedBy: null, reachedEnvironments: ['prod-01'], targetShare: 1 });
    expect(b.sentence).toContain('nothing stops it');
  });

  test('a metric alarm with known timing gives the share of prod targets', () => {
    const m = model();
    const metric = { metricAlarm: { name: 'p99', namespace: 'Demo', metricName: 'Latency', statistic: 'p99', threshold: 1, comparisonOperator: 'GreaterThanThreshold', periodSeconds: 60, evaluationPeriods: 3 } };
    const watched = { ...m, workload: { ...m.workload, environments: { ...m.workload.environments, 'prod-01': { ...m.workload.environments['prod-01']!, monitors: [metric] } } } };
    // linear 20% every 6 min: 20% hold it when the 3-minute alarm can fire.
    const b = changeBlastRadius(computePlan(watched as typeof m), new Set(['prod-01']));
    expect(b.targetShare).toBeCloseTo(0.2);
    expect(b.sentence).toContain('in prod-01, 20% of targets hold it when p99 can first fire (3 min). That is 20% of prod targets');
  });
});
