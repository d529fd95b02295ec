import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { captureIO, copySample, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

async function run(args: string[], cwd = REPO_ROOT) {
  const cap = captureIO(cwd);
  const code = await main(args, cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

/** The row of a text table that starts with `label`, split into its columns. */
function row(text: string, label: string): string[] {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${label} `));
  if (!line) throw new Error(`no row '${label}' in:\n${text}`);
  return line.trim().split(/\s{2,}/);
}

interface MatrixJson {
  environments: string[];
  applications: { name: string; owner: string; flags: { key: string; exposure: string; expires?: string; attributes: string[]; environments: Record<string, unknown> }[] }[];
}

describe('dynconf flags: the flag x environment matrix', () => {
  test('text: one table per application, a column per environment, attribute rows, then the variants', async () => {
    const r = await run(['flags']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('payment-service-v2 (team-payments): 4 flags');
    expect(row(r.out, 'flag')).toEqual(['flag', 'exposure', 'expires', 'beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']);
    // default { enabled: false } overlaid per environment; prod-01 has three variants.
    expect(row(r.out, 'new-checkout')).toEqual(['new-checkout', 'server', '2027-09-30', 'on', 'on', '[on,on,off]', 'off', 'off']);
    expect(row(r.out, 'rolloutPercent')).toEqual(['rolloutPercent', '100', '50', '[100,10,-]', '-', '-']);
    expect(row(r.out, 'maxRetries')).toEqual(['maxRetries', '1', '3', '3', '3', '3']);
    expect(row(r.out, 'exemptCountries')).toEqual(['exemptCountries', '["US","CA"]', '["US","CA"]', '["US","CA"]', '["US","CA"]', '["US"]']);
    expect(row(r.out, 'theme')).toEqual(['theme', 'browser', '-', 'on', 'on', 'on', 'on', 'on']);
    expect(r.out).toMatch(/new-checkout in prod-01:\n\s+pro-tier\s+on\s+rolloutPercent=100\s+\(eq \$tier "pro"\)\n\s+early-adopters\s+on\s+rolloutPercent=10\s+\(split/);
    // Environments with the same variant list are listed once.
    expect(r.out).toContain('fraud-scoring-v2 in prod-01, prod-02, prod-03:');
  });

  test('json carries every flag of every application and environment, with every value', async () => {
    const r = await run(['flags', '--format', 'json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as MatrixJson;
    expect(m.environments).toEqual(['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']);
    for (const app of m.applications) {
      const source = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'flags', `${app.name}.json`), 'utf8')) as { flags: Record<string, unknown> };
      expect(app.flags.map((f) => f.key)).toEqual(Object.keys(source.flags));
      for (const flag of app.flags) expect(Object.keys(flag.environments)).toEqual(m.environments);
    }
    expect(m.applications.map((a) => a.name)).toEqual(['search-service-net', 'payment-service-v2', 'sso-service', 'groupsync-v3']);
    const checkout = m.applications[1]!.flags[0]!;
    expect(checkout).toMatchObject({ key: 'new-checkout', expires: '2027-09-30', exposure: 'server', attributes: ['rolloutPercent'] });
    expect(checkout.environments.gamma).toEqual({ enabled: true, attributes: { rolloutPercent: 50 } });
    expect(checkout.environments['prod-02']).toEqual({ enabled: false, attributes: {} });
    expect(checkout.environments['prod-01']).toEqual({
      variants: [
        { name: 'pro-tier', rule: '(eq $tier "pro")', enabled: true, attributes: { rolloutPercent: 100 } },
        { name: 'early-adopters', rule: '(split pct::10 by::$userId seed::"new-checkout")', enabled: true, attributes: { rolloutPercent: 10 } },
        { name: 'everyone-else', enabled: false, attributes: {} },
      ],
    });
    // Cut in text, whole in json.
    const mfa = m.applications[2]!.flags[0]!.environments.beta as { variants: { attributes: { methods: string[] } }[] };
    expect(mfa.variants[1]!.attributes.methods).toEqual(['webauthn', 'totp', 'sms']);
  });

  test('--env and --app select, in workload order, and repeat', async () => {
    const r = await run(['flags', '--app', 'sso-service', '--env', 'prod-02', '--env', 'beta', '--format', 'json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as MatrixJson;
    expect(m.environments).toEqual(['beta', 'prod-02']);
    expect(m.applications.map((a) => a.name)).toEqual(['sso-service']);
    expect(Object.keys(m.applications[0]!.flags[1]!.environments)).toEqual(['beta', 'prod-02']);
    const text = await run(['flags', '--app', 'sso-service', '--env', 'beta']);
    expect(row(text.out, 'flag')).toEqual(['flag', 'exposure', 'expires', 'beta']);
    expect(text.out).not.toContain('payment-service-v2');
  });

  test('markdown: a table per application and the variants as a list', async () => {
    const r = await run(['flags', '--format', 'markdown', '--app', 'payment-service-v2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('### payment-service-v2');
    expect(r.out).toContain('| flag | exposure | expires | beta | gamma | prod-01 | prod-02 | prod-03 |');
    expect(r.out).toContain('| `new-checkout` | server | 2027-09-30 | `on` | `on` | `[on,on,off]` | `off` | `off` |');
    expect(r.out).toContain('| ↳ rolloutPercent |  |  | `100` | `50` | `[100,10,-]` | `-` | `-` |');
    expect(r.out).toContain('  - `pro-tier` on `rolloutPercent=100`: `(eq $tier "pro")`');
  });

  test.each([
    [['--env', 'prod-9'], "unknown environment 'prod-9' for --env (did you mean 'prod-01'?); environments: beta, gamma, prod-01, prod-02, prod-03"],
    [['--app', 'payments'], "unknown application 'payments' for --app"],
    [['--app', 'payments'], 'applications: search-service-net, payment-service-v2, sso-service, groupsync-v3'],
    [['--format', 'yaml'], '--format must be one of text, json, markdown'],
    [['--within', '10'], '--within applies to --stale only'],
    [['--stale', '--env', 'beta'], '--stale compares every environment; drop --env'],
    [['--stale', '--within=1.5'], '--within must be a whole number from 0 to 3650'],
    [['--stale', '--as-of', '2027-02-30'], "--as-of must be a date written YYYY-MM-DD (got '2027-02-30')"],
  ])('%j is a usage error: exit 2 and why', async (args, message) => {
    const r = await run(['flags', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  test('a workspace that does not validate: its located errors, as validate prints them, and exit 1 (json stays json)', async () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'flags/demo-app.json'), '{"flags": {"x": {"name": "X", "default": {"enabled": "no"}}}}');
      const text = await run(['flags', '--root', dir]);
      expect(text.code).toBe(1);
      expect(text.out).toMatch(/^flags\/demo-app\.json:1:54 error /m);
      expect(text.err).toContain("dynconf flags: the workspace does not validate (1 error, 0 warnings in 1 file); fix the errors above, then run 'dynconf validate'");
      const json = await run(['flags', '--root', dir, '--stale', '--format', 'json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toMatchObject({ ok: false, errors: 1, diagnostics: [{ file: 'flags/demo-app.json', line: 1, column: 54, rule: 'flags/schema' }] });
    } finally {
      rmrf(dir);
    }
  });
});

describe('dynconf flags --stale', () => {
  let dir: string;
  beforeAll(() => {
    dir = copySample();
    const file = path.join(dir, 'flags/groupsync-v3.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { expires?: string }> };
    doc.flags['theme']!.expires = '2027-01-10';
    doc.flags['bulk-sync-batch']!.expires = '2027-02-01';
    fs.writeFileSync(file, JSON.stringify(doc));
    // The sample's own dates move out as time passes; these tests pin the ones they read.
    const search = path.join(dir, 'flags/search-service-net.json');
    const searchDoc = JSON.parse(fs.readFileSync(search, 'utf8')) as { flags: Record<string, { expires?: string }> };
    searchDoc.flags['legacy-query-parser']!.expires = '2027-01-31';
    fs.writeFileSync(search, JSON.stringify(searchDoc));
  });
  afterAll(() => rmrf(dir));

  test('text: each list with its count; exit 0 even with a flag past expires', async () => {
    const r = await run(['flags', '--stale', '--as-of', '2027-01-20', '--root', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('dynconf flags --stale: as of 2027-01-20, looking 30 days ahead');
    expect(r.out).toMatch(/past expires \(1\):\n\s+groupsync-v3\s+theme\s+expired 2027-01-10 \(10 days ago\)\n/);
    // Soonest first.
    expect(r.out).toMatch(/expiring within 30 days \(2\):\n\s+search-service-net\s+legacy-query-parser\s+expires 2027-01-31 \(in 11 days\)\n\s+groupsync-v3\s+bulk-sync-batch\s+expires 2027-02-01 \(in 12 days\)\n/);
    expect(r.out).toMatch(/no expires \(11\):/);
    expect(r.out).not.toMatch(/no expires[^]*\btheme\b[^]*the same value/);
    expect(r.out).toMatch(/the same value in all 5 environments \(2\):\n\s+sso-service\s+mfa-enforcement\s+the same 3 variants everywhere\n\s+groupsync-v3\s+realtime-presence\s+the same 3 variants everywhere/);
  });

  test('--within narrows the window; --app selects', async () => {
    const r = await run(['flags', '--stale', '--as-of', '2027-01-20', '--within', '11', '--app', 'search-service-net', '--root', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/expiring within 11 days \(1\):\n\s+search-service-net\s+legacy-query-parser/);
    expect(r.out).not.toContain('groupsync-v3');
  });

  test('json and markdown', async () => {
    const json = await run(['flags', '--stale', '--as-of', '2027-01-20', '--format', 'json', '--root', dir]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { asOf: string; withinDays: number; expired: unknown[]; expiringSoon: { key: string; days: number }[]; noExpiry: unknown[]; sameEverywhere: { key: string }[] };
    expect(report).toMatchObject({ asOf: '2027-01-20', withinDays: 30, expired: [{ application: 'groupsync-v3', key: 'theme', name: 'Theme', expires: '2027-01-10', days: -10 }] });
    expect(report.expiringSoon.map((f) => [f.key, f.days])).toEqual([
      ['legacy-query-parser', 11],
      ['bulk-sync-batch', 12],
    ]);
    const markdown = await run(['flags', '--stale', '--as-of', '2027-01-20', '--format', 'markdown', '--root', dir]);
    expect(markdown.out).toContain('### Flag hygiene as of 2027-01-20');
    expect(markdown.out).toContain('| groupsync-v3 | `theme` | expired 2027-01-10 (10 days ago) |');
  });

  test('without --as-of the report is for today (UTC)', async () => {
    const r = await run(['flags', '--stale', '--root', dir, '--format', 'json']);
    expect((JSON.parse(r.out) as { asOf: string }).asOf).toBe(new Date().toISOString().slice(0, 10));
  });
});
