import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { captureIO, FIXTURES, MINIMAL, rmrf, tempDir } from '../support/workspace';

/** Set (or, with `value` undefined, delete) a path in a workspace JSON file. */
function applyEdits(dir: string, edits: readonly { file: string; path: (string | number)[]; value: unknown }[]): void {
  for (const e of edits) {
    const file = path.join(dir, e.file);
    const root = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string | number, unknown>;
    let cur = root;
    for (const seg of e.path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
    cur[e.path[e.path.length - 1]!] = e.value;
    fs.writeFileSync(file, `${JSON.stringify(root, null, 2)}\n`);
  }
}

async function run(args: string[], cwd: string) {
  const cap = captureIO(cwd);
  const code = await main(args, cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

describe('dynconf emergency check', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString();
  const check = (...extra: string[]) => run(['emergency', 'check', '--base', 'HEAD', '--root', repo, ...extra], repo);

  beforeEach(() => {
    repo = tempDir();
    fs.cpSync(MINIMAL, repo, { recursive: true });
    fs.cpSync(path.join(FIXTURES, 'emergency/base'), repo, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-m', 'base');
  });
  afterEach(() => rmrf(repo));

  test('emergency check: a switch-off and a marked decrease qualify: exit 0, each change located', async () => {
    applyEdits(repo, [
      { file: 'flags/demo-app.json', path: ['flags', 'new-checkout', 'environments', 'beta', 'enabled'], value: false },
      { file: 'config/ops/demo-app/prod-01.json', path: ['timeoutMs'], value: 900 },
    ]);
    const r = await check();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^flags\/demo-app\.json:\d+:\d+ emergency demo-app \(beta\) \[flags\] new-checkout: switched off \(enabled true -> false\)$/m);
    expect(r.out).toMatch(/^config\/ops\/demo-app\/prod-01\.json:4:3 emergency demo-app \(prod-01\) \[ops\] timeoutMs: 2000 -> 900/m);
    expect(r.out).toContain('all 2 changes against HEAD qualify; the lane would deploy 2 documents in 2 environments.');
  });

  test('emergency check: a change that does not qualify exits 1 with file:line and why, before the qualifying ones', async () => {
    applyEdits(repo, [
      { file: 'flags/demo-app.json', path: ['flags', 'new-checkout', 'environments', 'beta', 'enabled'], value: false },
      { file: 'flags/demo-app.json', path: ['flags', 'new-checkout', 'environments', 'prod-01'], value: { enabled: true } },
    ]);
    const r = await check();
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^flags\/demo-app\.json:\d+:\d+ not-emergency demo-app \(prod-01\) \[flags\] new-checkout: switched on \(enabled false -> true\): only switching off/);
    expect(lines[1]).toMatch(/ emergency demo-app \(beta\) \[flags\] new-checkout: switched off/);
    expect(lines[lines.length - 1]).toBe('dynconf emergency check: 1 of 2 changes against HEAD does not qualify: ship it through the pipeline, or take it out of this change.');
  });

  test('emergency check: --format json gives every change and the documents the lane would deploy', async () => {
    applyEdits(repo, [{ file: 'config/ops/demo-app/default.json', path: ['retries'], value: 1 }]);
    const r = await check('--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { ok: boolean; base: string; qualifies: boolean; nothingToDeploy: boolean; changes: { environment: string; file: string; line: number; qualifies: boolean; why: string }[]; changedDocuments: { environment: string; profile: string; bytes: number }[] };
    expect(report).toMatchObject({ ok: false, base: 'HEAD', qualifies: false, nothingToDeploy: false });
    expect(report.changes.map((c) => c.environment)).toEqual(['beta', 'gamma', 'prod-01']);
    expect(report.changes[0]).toMatchObject({ file: 'config/ops/demo-app/default.json', line: 5, qualifies: false });
    expect(report.changedDocuments.map((d) => `${d.environment}/${d.profile}`)).toEqual(['beta/ops', 'gamma/ops', 'prod-01/ops']);
    expect(report.changedDocuments[0]!.bytes).toBeGreaterThan(0);
  });

  test('emergency check: no difference is exit 0, nothing to deploy (a rerun of the lane succeeds)', async () => {
    const r = await check();
    expect(r.code).toBe(0);
    expect(r.out).toBe('dynconf emergency check: nothing to deploy: no document, schema, workload or layout differs from HEAD.\n');
    const json = JSON.parse((await check('--format', 'json')).out) as { ok: boolean; nothingToDeploy: boolean };
    expect(json).toMatchObject({ ok: true, nothingToDeploy: true });
  });

  test('emergency check: a working tree that does not validate is exit 1 with its located errors', async () => {
    applyEdits(repo, [{ file: 'flags/demo-app.json', path: ['flags', 'new-checkout', 'environments', 'beta', 'enabled'], value: 'no' }]);
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^flags\/demo-app\.json:\d+:\d+ error /m);
    expect(r.err).toContain('the working tree does not validate');
  });

  test('emergency check: a base that does not validate is exit 1, its errors named after the ref', async () => {
    fs.writeFileSync(path.join(repo, 'flags/demo-app.json'), '{"flags": {"x": {"name": "X", "default": {"enabled": "no"}}}}');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-am', 'broken');
    fs.cpSync(path.join(MINIMAL, 'flags'), path.join(repo, 'flags'), { recursive: true });
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^HEAD: flags\/demo-app\.json:1:\d+ error /m);
    expect(r.err).toContain('HEAD does not validate');
  });

  test.each([
    [['emergency', 'check'], '--base is required'],
    [['emergency'], 'a subcommand is required: check'],
    [['emergency', 'frobnicate', '--base', 'HEAD'], "unknown subcommand 'frobnicate'"],
    [['emergency', 'check', '--base', 'HEAD', '--format', 'yaml'], '--format must be one of text, json'],
    [['emergency', 'check', '--base', 'no-such-branch'], "--base: git rev-parse failed for 'no-such-branch'"],
  ])('emergency check: %j is a usage error, exit 2', async (args, message) => {
    const r = await run([...args, '--root', repo], repo);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  test('dynconf --help lists the verb; emergency --help shows the check', async () => {
    expect((await run(['--help'], repo)).out).toMatch(/emergency\s+the emergency lane/);
    const help = await run(['emergency', 'check', '--help'], repo);
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: dynconf emergency check --base <git-ref>');
  });
});
