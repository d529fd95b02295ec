/**
 * The compiled entry (bin/dynconf.js, built by scripts/build-cli.js): it never runs code the
 * sources no longer say, it loads no build tool when its build is fresh, and the standalone
 * bundle runs alone. Each test works in a copy of the repository's sources (node_modules
 * linked), so the repository's own dist/ is never touched.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERBS } from '../../lib/cli/main';
import { COMMANDS } from '../../lib/cli/commands';
import { REPO_ROOT, rmrf, tempDir } from '../support/workspace';

jest.setTimeout(180_000);

const COPIED = ['bin', 'lib', 'scripts', 'config', 'flags', 'package.json', 'tsconfig.json'];

let copy: string;
beforeAll(() => {
  copy = tempDir('dynconf-entry-');
  for (const entry of COPIED) fs.cpSync(path.join(REPO_ROOT, entry), path.join(copy, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'));
});
afterAll(() => rmrf(copy));

/** Runs the copy's entry; `probe` writes the module cache at exit to that file, one path a line. */
function dynconf(args: string[], probe?: string) {
  const pre = probe ? ['--require', writeProbe(probe)] : [];
  const r = spawnSync(process.execPath, [...pre, path.join(copy, 'bin/dynconf.js'), ...args], { cwd: copy, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: probe ? fs.readFileSync(probe, 'utf8').split('\n').filter(Boolean) : [] };
}

function writeProbe(out: string): string {
  const file = path.join(copy, 'probe.js');
  fs.writeFileSync(file, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, Object.keys(require.cache).join('\\n')));\n`);
  return file;
}

const loadsBuildTool = (loaded: string[]) => loaded.some((m) => /[\\/]node_modules[\\/](tsx|esbuild)[\\/]/.test(m) || m.endsWith(`${path.sep}build-cli.js`));

test('a missing build is built before the command runs, with one line on stderr and stdout untouched', () => {
  rmrf(path.join(copy, 'dist'));
  const first = dynconf(['--version']);
  expect(first).toMatchObject({ code: 0, stdout: 'dynconf 0.1.0\n' });
  expect(first.stderr).toMatch(/^dynconf: rebuilt dist\/cli\/dynconf\.js in \d+ ms \(no build yet\)\n$/);
  const second = dynconf(['--version']);
  expect(second).toMatchObject({ code: 0, stdout: 'dynconf 0.1.0\n', stderr: '' });
});

test('with a fresh build neither tsx nor esbuild nor the build script is loaded; a stale one loads esbuild', () => {
  dynconf(['--version']);
  const probe = path.join(copy, 'loaded.txt');
  const fresh = dynconf(['validate'], probe);
  expect(fresh.code).toBe(0);
  expect(fresh.stderr).toBe('');
  expect(fresh.loaded).toContain(path.join(copy, 'dist/cli/dynconf.js'));
  expect(loadsBuildTool(fresh.loaded)).toBe(false);
  // --version loads no verb: no package at all (validate needs ajv, jsonc-parser...).
  const version = dynconf(['--version'], probe);
  expect(version.loaded.filter((m) => m.includes(`${path.sep}node_modules${path.sep}`))).toEqual([]);
  expect(fresh.loaded.some((m) => m.includes(`${path.sep}ajv${path.sep}`))).toBe(true);
  // The probe sees a build tool when there is one to see.
  fs.appendFileSync(path.join(copy, 'lib/cli/output.ts'), '\n');
  const stale = dynconf(['--version'], probe);
  expect(stale.stderr).toContain('(lib/cli/output.ts changed)');
  expect(loadsBuildTool(stale.loaded)).toBe(true);
});

test('after a source edit the next run behaves per the sources, also when the edit keeps the size and has an older mtime', () => {
  dynconf(['--version']);
  const file = path.join(copy, 'lib/cli/commands/validate.ts');
  const original = fs.readFileSync(file, 'utf8');
  // Same length, and an mtime from before the build, as `cp -p`, tar or a branch switch can leave.
  fs.writeFileSync(file, original.replace('`dynconf validate: ${shown}', '`DYNCONF VALIDATE: ${shown}'));
  expect(fs.statSync(file).size).toBe(Buffer.byteLength(original));
  fs.utimesSync(file, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  const edited = dynconf(['validate']);
  expect(edited.stderr).toContain('(lib/cli/commands/validate.ts changed)');
  expect(edited.stdout).toMatch(/^DYNCONF VALIDATE: no problems/m);
  fs.writeFileSync(file, original);
  const restored = dynconf(['validate', '--format', 'json']);
  expect(restored.stderr).toContain('rebuilt');
  expect(JSON.parse(restored.stdout)).toMatchObject({ ok: true, errors: 0 });
});

test('a deleted source or an unreadable manifest rebuilds too', () => {
  dynconf(['--version']);
  const manifest = path.join(copy, 'dist/cli/manifest.json');
  fs.writeFileSync(manifest, '{');
  expect(dynconf(['--version']).stderr).toContain('(unreadable dist/cli/manifest.json)');
  const extra = path.join(copy, 'dist/cli/manifest.json');
  const m = JSON.parse(fs.readFileSync(extra, 'utf8')) as { inputs: [string, number, number][] };
  m.inputs.push(['lib/cli/no-such-file.ts', 1, 1]);
  fs.writeFileSync(extra, JSON.stringify(m));
  expect(dynconf(['--version']).stderr).toContain('(lib/cli/no-such-file.ts is gone)');
});

test('a build that fails says so and exits 1, running nothing', () => {
  const file = path.join(copy, 'lib/cli/output.ts');
  const original = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, `${original}\nexport const broken = ;\n`);
  try {
    const r = dynconf(['--version']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^dynconf: cannot build dist\/cli\/dynconf\.js \(lib\/cli\/output\.ts changed\): /);
    expect(r.stderr).toContain('npm run build:cli');
  } finally {
    fs.writeFileSync(file, original);
  }
});

test('the standalone bundle runs alone: --version, and validate of a copy of the sample workspace', () => {
  const build = spawnSync(process.execPath, [path.join(copy, 'scripts/build-cli.js'), '--standalone'], { cwd: copy, encoding: 'utf8', timeout: 170_000 });
  expect(build.status).toBe(0);
  const alone = tempDir('dynconf-standalone-');
  const workspace = tempDir('dynconf-standalone-ws-');
  try {
    fs.copyFileSync(path.join(copy, 'dist/cli-standalone/dynconf.cjs'), path.join(alone, 'dynconf.cjs'));
    for (const dir of ['config', 'flags']) fs.cpSync(path.join(REPO_ROOT, dir), path.join(workspace, dir), { recursive: true });
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(alone, 'dynconf.cjs'), ...args], { cwd: workspace, encoding: 'utf8', timeout: 60_000 });
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: 'dynconf 0.1.0\n' });
    const ok = run(['validate']);
    expect(ok.stderr).toBe('');
    expect(ok).toMatchObject({ status: 0 });
    expect(ok.stdout).toMatch(/^dynconf validate: no problems; \d+ documents for \d+ environments$/m);
    // The secret scan runs (the validate above loaded secretlint's preset, or it would have failed): a planted key is found.
    const flags = path.join(workspace, 'flags/sso-service.json');
    const text = fs.readFileSync(flags, 'utf8');
    fs.writeFileSync(flags, text.replace('"Require a second factor at sign-in"', `"Require a second factor at sign-in ${'AKIA'}Z3MSJV4WWUSKMNQL"`));
    const secret = run(['validate']);
    expect(secret.status).toBe(1);
    expect(secret.stdout).toMatch(/^flags\/sso-service\.json:6:\d+ error .*AWS access key/m);
    // A verb it does not carry says what to do instead.
    expect(run(['plan'])).toMatchObject({ status: 1, stderr: expect.stringContaining("'dynconf plan' is not in the standalone bundle") });
  } finally {
    rmrf(alone);
    rmrf(workspace);
  }
});

test("every verb loads as the command of its name, and the standalone build knows each one", () => {
  expect(COMMANDS.map((c) => c.name)).toEqual(Object.keys(VERBS));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is CommonJS JavaScript
  const { ALL_VERBS } = require('../../scripts/build-cli.js') as { ALL_VERBS: string[] };
  expect(ALL_VERBS).toEqual(Object.keys(VERBS));
});
