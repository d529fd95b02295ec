/**
 * policy/prod-without-synthetic-traffic: a prod environment without a `canary` may give
 * its alarms nothing to see during a rollout. A warning that still compiles; an error
 * under --strict (test/fixtures/invalid/policy-prod-without-synthetic-traffic is the strict
 * case through fixtures.test.ts). The canary's alarm also counts as a monitor for
 * policy/prod-without-monitor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk, type Diagnostic } from '../../lib/model';
import { captureIO, FIXTURES, lineOf, materialize, MINIMAL, REPO_ROOT, rmrf } from '../support/workspace';

const TODAY = '2026-11-21';
const RULE = 'policy/prod-without-synthetic-traffic';
const FIXTURE = path.join(FIXTURES, 'invalid', RULE.replace('/', '-'));

/** The fixture's workspace (minimal, prod-01 without a canary), changed by `edit`. */
function workspace(edit: (w: { environments: Record<string, Record<string, unknown>> }) => void = () => {}): string {
  const { dir } = materialize(FIXTURE);
  const file = path.join(dir, 'config/workload.json');
  const w = JSON.parse(fs.readFileSync(file, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  edit(w);
  fs.writeFileSync(file, `${JSON.stringify(w, null, 2)}\n`);
  return dir;
}

const ofRule = (ds: readonly Diagnostic[], rule = RULE) => ds.filter((d) => d.rule === rule);

describe('a prod environment without synthetic traffic', () => {
  test('is a warning at its key in workload.json, with the canary snippet as the fix; the workspace still compiles', () => {
    const dir = workspace();
    try {
      const result = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(result.model).toBeDefined();
      const [d, ...rest] = ofRule(result.diagnostics);
      expect(rest).toEqual([]);
      expect(d).toMatchObject({ severity: 'warning', file: 'config/workload.json', line: lineOf(path.join(dir, 'config/workload.json'), '"prod-01": {'), field: 'environments.prod-01.canary' });
      expect(d!.message).toBe("prod environment 'prod-01' has no synthetic traffic: its alarms may see no traffic during a rollout, and a bad change could pass its bake unseen");
      expect(d!.fix).toContain('add "canary": { "url": "https://<a health page of prod-01>/healthz", "rateMinutes": 5 } to environments.prod-01');
      expect(d!.fix).not.toContain('composite');
    } finally {
      rmrf(dir);
    }
  });

  test('is an error under --strict: validate exits 1 there and 0 without it', async () => {
    const dir = workspace();
    try {
      const strict = loadWorkspaceFromDisk(dir, { today: TODAY, strict: true });
      expect(strict.model).toBeUndefined();
      expect(ofRule(strict.diagnostics).map((d) => d.severity)).toEqual(['error']);
      const plain = captureIO(dir);
      expect(await main(['validate', '--root', dir], plain.io)).toBe(0);
      expect(plain.out()).toMatch(/^config\/workload\.json:\d+:5 warning environments\.prod-01\.canary: prod environment 'prod-01' has no synthetic traffic/m);
      const failing = captureIO(dir);
      expect(await main(['validate', '--strict', '--root', dir], failing.io)).toBe(1);
      expect(failing.out()).toMatch(/^config\/workload\.json:\d+:5 error environments\.prod-01\.canary: /m);
    } finally {
      rmrf(dir);
    }
  });

  test('with five monitors already, the fix says to make room for the canary alarm first', () => {
    const dir = workspace((w) => {
      w.environments['prod-01']!.monitors = [1, 2, 3, 4, 5].map((i) => ({ alarmArn: `arn:aws:cloudwatch:us-east-1:333333333333:alarm:mini-prod-${i}` }));
    });
    try {
      const [d] = ofRule(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics);
      expect(d!.fix).toContain('it already has 5 monitors, the most AppConfig allows: combine two alarms into one CloudWatch composite alarm first');
    } finally {
      rmrf(dir);
    }
  });

  test('only prod counts: beta and gamma without a canary are fine, and a canary silences the rule', () => {
    for (const root of [MINIMAL, REPO_ROOT]) {
      const result = loadWorkspaceFromDisk(root, { today: TODAY, strict: true });
      expect(ofRule(result.diagnostics)).toEqual([]);
    }
    // The minimal workspace's beta and gamma have no canary.
    const minimal = JSON.parse(fs.readFileSync(path.join(MINIMAL, 'config/workload.json'), 'utf8')) as { environments: Record<string, { canary?: unknown }> };
    expect([minimal.environments.beta!.canary, minimal.environments.gamma!.canary]).toEqual([undefined, undefined]);
  });
});

test('a canary alone is a monitor: a prod environment with only a canary passes policy/prod-without-monitor', () => {
  const dir = workspace((w) => {
    w.environments['prod-01']!.monitors = [];
    w.environments['prod-01']!.canary = { url: 'https://prod-01.mini.example.com/healthz', rateMinutes: 5 };
  });
  try {
    const result = loadWorkspaceFromDisk(dir, { today: TODAY, strict: true });
    expect(result.diagnostics).toEqual([]);
    expect(result.model).toBeDefined();
  } finally {
    rmrf(dir);
  }
});
