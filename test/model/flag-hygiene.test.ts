import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { staleFlags } from '../../lib/model/flag-hygiene';
import { flagMatrix, isVariants } from '../../lib/model/flag-matrix';
import { addDays, EXPIRY_WARNING_DAYS } from '../../lib/model/flags';
import { captureIO, copySample, FIXTURES, lineOf, materialize, MINIMAL, rmrf, tempDir } from '../support/workspace';

// "Today" is given to the loader, never read from the clock: these tests mean the same in any year.
const TODAY = '2026-11-21';
const warnings = fs.readdirSync(path.join(FIXTURES, 'warnings')).sort();

/** The minimal workspace with new-checkout's "expires" set (or removed, for undefined). */
function withExpiry(expires: string | undefined): string {
  const dir = tempDir();
  fs.cpSync(MINIMAL, dir, { recursive: true });
  const file = path.join(dir, 'flags/demo-app.json');
  const flags = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { expires?: string }> };
  if (expires === undefined) delete flags.flags['new-checkout']!.expires;
  else flags.flags['new-checkout']!.expires = expires;
  fs.writeFileSync(file, JSON.stringify(flags, null, 2));
  return dir;
}

function rulesOf(dir: string, today: string, strict = false) {
  const result = loadWorkspaceFromDisk(dir, { today, strict });
  return { result, rules: result.diagnostics.map((d) => `${d.severity} ${d.rule}`) };
}

describe('validate warns when a flag will expire within 14 days', () => {
  test.each(warnings)('fixture %s warns where and how it says, and still compiles', (name) => {
    const { dir, manifest } = materialize(path.join(FIXTURES, 'warnings', name));
    try {
      for (const strict of [false, true]) {
        const result = loadWorkspaceFromDisk(dir, { today: TODAY, strict });
        // A warning never blocks, not even with --strict: the flag has not expired yet.
        expect(result.model).toBeDefined();
        for (const expected of manifest.expect) {
          const line = lineOf(path.join(dir, expected.file), expected.at);
          const match = result.diagnostics.find((d) => d.severity === 'warning' && d.rule === expected.rule && d.file === expected.file && d.line === line && d.message.includes(expected.message));
          if (!match) throw new Error(`expected a ${expected.rule} warning at ${expected.file}:${line} containing ${JSON.stringify(expected.message)}; got ${JSON.stringify(result.diagnostics)}`);
          expect(match.fix).toMatch(/remove the flag/);
        }
      }
    } finally {
      rmrf(dir);
    }
  });

  test('from the expiry day back to 14 days before it; nothing earlier; flags/expired, not this, the day after', () => {
    const expires = '2027-03-01';
    const dir = withExpiry(expires);
    try {
      expect(EXPIRY_WARNING_DAYS).toBe(14);
      expect(rulesOf(dir, addDays(expires, -15)).rules).toEqual([]);
      expect(rulesOf(dir, addDays(expires, -14)).result.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', rule: 'flags/expires-soon', message: 'flag expires on 2027-03-01, in 14 days (owner: team-demo)' })]);
      expect(rulesOf(dir, addDays(expires, -1)).result.diagnostics[0]!.message).toContain('in 1 day (');
      expect(rulesOf(dir, expires).result.diagnostics[0]!.message).toContain('expires on 2027-03-01, today');
      expect(rulesOf(dir, addDays(expires, 1)).rules).toEqual(['warning flags/expired']);
      expect(rulesOf(dir, addDays(expires, 1), true).rules).toEqual(['error flags/expired']);
    } finally {
      rmrf(dir);
    }
  });

  test('days are counted in UTC across month and leap-year ends', () => {
    expect(addDays('2028-02-20', 14)).toBe('2028-03-05');
    expect(addDays('2027-02-20', 14)).toBe('2027-03-06');
    expect(addDays('2026-12-25', 14)).toBe('2027-01-08');
  });

  test('the CLI prints it and exits 0', async () => {
    // Relative to the real date, so this stays 5 days away whenever it runs.
    const dir = withExpiry(addDays(new Date().toISOString().slice(0, 10), 5));
    try {
      const cap = captureIO(dir);
      expect(await main(['validate', '--root', dir], cap.io)).toBe(0);
      expect(cap.out()).toMatch(/^flags\/demo-app\.json:\d+:\d+ warning new-checkout: flag expires on \d{4}-\d{2}-\d{2}, in 5 days \(owner: team-demo\) \(fix: remove the flag/m);
      expect(cap.out()).toContain('0 errors, 1 warning');
    } finally {
      rmrf(dir);
    }
  });
});

describe('flagMatrix: every flag in every environment, from the compiled documents', () => {
  let model: Model;
  beforeAll(() => {
    model = loadWorkspaceFromDisk(MINIMAL, { today: TODAY }).model!;
  });

  test('on/off with attribute values, default overlaid with the environment; variants in order', () => {
    const m = flagMatrix(model);
    expect(m.environments).toEqual(['beta', 'gamma', 'prod-01']);
    const [app] = m.applications;
    expect(app!.name).toBe('demo-app');
    expect(app!.flags.map((f) => f.key)).toEqual(['new-checkout', 'dark-mode']);
    const checkout = app!.flags[0]!;
    expect(checkout).toMatchObject({ name: 'New checkout', exposure: 'server', attributes: ['rolloutPercent'] });
    expect(checkout.expires).toBeUndefined();
    expect(checkout.environments).toEqual({
      beta: { enabled: true, attributes: { rolloutPercent: 100 } },
      gamma: { enabled: false, attributes: {} },
      'prod-01': { enabled: false, attributes: {} },
    });
    const dark = app!.flags[1]!;
    expect(dark.exposure).toBe('browser');
    expect(dark.environments.beta).toEqual({
      variants: [
        { name: 'pro', rule: '(eq $tier "pro")', enabled: true, attributes: {} },
        { name: 'everyone', enabled: false, attributes: {} },
      ],
    });
  });

  test('a selection keeps the workload order, and names what it does not know', () => {
    const m = flagMatrix(model, { environments: ['prod-01', 'beta'] });
    expect(m.environments).toEqual(['beta', 'prod-01']);
    expect(Object.keys(m.applications[0]!.flags[0]!.environments)).toEqual(['beta', 'prod-01']);
    expect(() => flagMatrix(model, { applications: ['nope'] })).toThrow("unknown application 'nope'");
  });

  test('expires comes from the definition', () => {
    const dir = withExpiry('2027-03-01');
    try {
      const m = flagMatrix(loadWorkspaceFromDisk(dir, { today: TODAY }).model!);
      expect(m.applications[0]!.flags[0]!.expires).toBe('2027-03-01');
    } finally {
      rmrf(dir);
    }
  });
});

describe('staleFlags: what to clean up', () => {
  test('past expires, expiring within N days, without expires, and the same in every environment', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags/payment-service-v2.json');
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { expires?: string }> };
      doc.flags['new-checkout']!.expires = '2026-11-20'; // yesterday
      doc.flags['payment-retry-policy']!.expires = '2026-11-21'; // today: not past it
      doc.flags['three-ds-enforcement']!.expires = '2026-12-21'; // in 30 days
      doc.flags['fraud-scoring-v2']!.expires = '2026-12-22'; // in 31 days
      fs.writeFileSync(file, JSON.stringify(doc));
      const model = loadWorkspaceFromDisk(dir, { today: TODAY }).model!;
      const report = staleFlags(flagMatrix(model), { today: TODAY, withinDays: 30 });
      const keys = (list: readonly { application: string; key: string }[]) => list.map((f) => `${f.application}/${f.key}`);
      expect(report.expired).toEqual([{ application: 'payment-service-v2', key: 'new-checkout', name: 'New checkout flow', expires: '2026-11-20', days: -1 }]);
      expect(report.expiringSoon.map((f) => [f.key, f.days])).toEqual([
        ['payment-retry-policy', 0],
        ['three-ds-enforcement', 30],
      ]);
      expect(keys(report.noExpiry)).not.toContain('payment-service-v2/fraud-scoring-v2');
      expect(keys(report.noExpiry)).toContain('sso-service/session-ttl');
      expect(keys(report.noExpiry)).not.toContain('search-service-net/legacy-query-parser');
      // mfa-enforcement and realtime-presence have one variant list for every environment.
      expect(keys(report.sameEverywhere)).toEqual(['sso-service/mfa-enforcement', 'groupsync-v3/realtime-presence']);
      expect(isVariants(report.sameEverywhere[0]!.state)).toBe(true);
      // Narrower window: 30 days out is no longer "soon".
      expect(staleFlags(flagMatrix(model), { today: TODAY, withinDays: 29 }).expiringSoon.map((f) => f.key)).toEqual(['payment-retry-policy']);
    } finally {
      rmrf(dir);
    }
  });

  test('a simple flag with the same value everywhere is listed; one environment that differs is not', () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      const file = path.join(dir, 'flags/demo-app.json');
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { environments?: unknown }> };
      delete doc.flags['new-checkout']!.environments;
      fs.writeFileSync(file, JSON.stringify(doc));
      const model = loadWorkspaceFromDisk(dir, { today: TODAY }).model!;
      const same = staleFlags(flagMatrix(model), { today: TODAY, withinDays: 30 }).sameEverywhere;
      expect(same.map((f) => [f.key, f.state])).toEqual([
        ['new-checkout', { enabled: false, attributes: {} }],
        ['dark-mode', expect.objectContaining({ variants: expect.any(Array) })],
      ]);
      const minimal = loadWorkspaceFromDisk(MINIMAL, { today: TODAY }).model!;
      expect(staleFlags(flagMatrix(minimal), { today: TODAY, withinDays: 30 }).sameEverywhere.map((f) => f.key)).toEqual(['dark-mode']);
      // With one environment, "the same everywhere" would list every flag: nothing is.
      expect(staleFlags(flagMatrix(minimal, { environments: ['beta'] }), { today: TODAY, withinDays: 30 }).sameEverywhere).toEqual([]);
    } finally {
      rmrf(dir);
    }
  });
});
