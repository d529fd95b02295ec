/**
 * The CLI's own errors: did-you-mean for commands and options, `--version`, a JSON error
 * object for verbs asked for `--format json`, and colour only where it is wanted.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command, CommandIO } from '../../lib/cli/command';
import { main, type JsonError } from '../../lib/cli/main';
import { colourEnabled, formatDiagnosticStyled, style } from '../../lib/cli/output';
import { formatDiagnostic, type Diagnostic } from '../../lib/model';
import { captureIO, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

async function run(args: string[], options: { cwd?: string; commands?: readonly Command[]; env?: NodeJS.ProcessEnv; tty?: boolean } = {}) {
  const cap = captureIO(options.cwd ?? REPO_ROOT);
  const io: CommandIO = { ...cap.io, env: options.env ?? {}, stdout: Object.assign(cap.io.stdout, { isTTY: options.tty }), stderr: Object.assign(cap.io.stderr, { isTTY: options.tty }) };
  const code = await main(args, io, options.commands ? { commands: options.commands } : {});
  return { code, out: cap.out(), err: cap.err() };
}

/** Text without its SGR colour codes. */
const ESC = String.fromCharCode(27);
const uncoloured = (s: string) => s.split(new RegExp(`${ESC}\\[\\d+m`)).join('');

/** A copy of the minimal workspace with one file replaced. */
function brokenWorkspace(): string {
  const dir = tempDir();
  fs.cpSync(MINIMAL, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config/ops/demo-app/prod-01.json'), '{"logLevel": "LOUD"}');
  return dir;
}

describe('did you mean', () => {
  test.each([
    ['valdate', "unknown command 'valdate'; did you mean 'validate'?"],
    ['rollot', "unknown command 'rollot'; did you mean 'rollout'?"],
    ['roll', "unknown command 'roll'; did you mean 'rollout'?"],
    ['frobnicate', "unknown command 'frobnicate'\n"],
  ])('cli: an unknown command %s gets a did-you-mean when one is close, and the overview', async (verb, message) => {
    const r = await run([verb]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toMatch(/validate\s+check config/);
  });

  test.each([
    [['validate', '--strcit'], "unknown option '--strcit'; did you mean '--strict'? (validate takes --root, --strict, --format)"],
    [['validate', '--fromat', 'json'], "unknown option '--fromat'; did you mean '--format'?"],
    [['rollout', 'status', '--environment', 'prod-01'], "unknown option '--environment'; did you mean '--env'?"],
    [['diff', '--bsae', 'main'], "unknown option '--bsae'; did you mean '--base'?"],
    [['validate', '--colour'], "unknown option '--colour' (validate takes --root, --strict, --format)"],
  ])('cli: %j gets a did-you-mean among the verb\'s own options, exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`dynconf ${args[0]}: ${message}`);
    expect(r.err).toContain(`usage: dynconf ${args[0]}`);
  });

  test.each([
    ['-v', "unknown option '-v'; did you mean '--version'?"],
    ['--verison', "unknown option '--verison'; did you mean '--version'?"],
  ])('cli: %s before a command suggests --version', async (arg, message) => {
    const r = await run([arg]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('--version', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  test.each([['--version'], ['-V']])('cli: %s prints the package version, exit 0', async (flag) => {
    const r = await run([flag]);
    expect(r).toEqual({ code: 0, out: `dynconf ${version}\n`, err: '' });
  });

  test('cli: --version loads no command module (start-up stays short)', () => {
    const script = [
      "const { main } = require('./lib/cli/main');",
      'let out = "";',
      'const io = { cwd: process.cwd(), env: {}, signal: new AbortController().signal, stdout: { write: (s) => { out += s; return true; } }, stderr: process.stderr };',
      "main(['--version'], io).then((code) => {",
      "  const loaded = Object.keys(require.cache).filter((f) => f.includes(`${require('path').sep}lib${require('path').sep}cli${require('path').sep}commands${require('path').sep}`) || f.includes('aws-sdk') || f.includes('aws-cdk-lib'));",
      '  console.log(JSON.stringify({ code, out, loaded }));',
      '});',
    ].join('\n');
    const r = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })) as { code: number; out: string; loaded: string[] };
    expect(r).toEqual({ code: 0, out: `dynconf ${version}\n`, loaded: [] });
  });

  test('cli: the overview mentions --version', async () => {
    expect((await run(['--help'])).out).toContain("'dynconf --version'");
  });
});

describe('--format json on failure', () => {
  const parse = (out: string) => JSON.parse(out) as JsonError;

  test('cli: a usage error with --format json prints a JSON error object on stdout, the usage on stderr, exit 2', async () => {
    const r = await run(['validate', '--format', 'json', '--strcit']);
    expect(r.code).toBe(2);
    expect(parse(r.out)).toEqual({ error: { command: 'validate', kind: 'usage', message: expect.stringContaining("unknown option '--strcit'; did you mean '--strict'?"), exitCode: 2 } });
    expect(r.err).toContain('usage: dynconf validate');
  });

  test.each([
    [['diff', '--format=json'], 'diff', '--base is required'],
    [['rollout', 'wait', '--env', 'beta', '--format', 'json'], 'rollout', '--format is for status and guard only'],
    [['plan', '--format', 'json', '--nodes', 'many'], 'plan', '--nodes'],
  ])('cli: %j: the usage error is a JSON object', async (args, command, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(parse(r.out).error).toMatchObject({ command, kind: 'usage', exitCode: 2, message: expect.stringContaining(message) });
  });

  test('cli: a failure with --format json carries what the verb printed before it as details, and nothing else is on stdout', async () => {
    const dir = brokenWorkspace();
    try {
      const r = await run(['drift', '--env', 'beta', '--root', dir, '--format', 'json']);
      expect(r.code).toBe(1);
      const e = parse(r.out).error;
      expect(e).toMatchObject({ command: 'drift', kind: 'failure', exitCode: 1, message: expect.stringContaining('the workspace does not validate') });
      expect(e.details).toEqual([expect.stringMatching(/^config\/ops\/demo-app\/prod-01\.json:1:\d+ error /)]);
      expect(r.err).toBe(`dynconf drift: ${e.message}\n`);
    } finally {
      rmrf(dir);
    }
  });

  test('cli: a dynconf bug with --format json is kind unexpected', async () => {
    const boom: Command = {
      name: 'boom',
      summary: 'fails',
      usage: 'usage: dynconf boom',
      options: { format: { type: 'string' } },
      run: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'x')")),
    };
    const r = await run(['boom', '--format', 'json'], { commands: [boom] });
    expect(r.code).toBe(1);
    expect(parse(r.out).error).toEqual({ command: 'boom', kind: 'unexpected', message: "unexpected error: Cannot read properties of undefined (reading 'x')", exitCode: 1 });
    expect(r.err).toContain('set DYNCONF_DEBUG=1 for a stack trace');
  });

  test('cli: an unknown command asked for JSON answers in JSON', async () => {
    const r = await run(['valdate', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(parse(r.out).error).toMatchObject({ command: 'valdate', kind: 'usage', message: "unknown command 'valdate'; did you mean 'validate'?" });
  });

  test('cli: a verb that succeeds, or reports a bad workspace, prints its own JSON unchanged', async () => {
    const dir = brokenWorkspace();
    try {
      const bad = await run(['validate', '--root', dir, '--format', 'json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out)).toMatchObject({ ok: false, errors: 1 });
      const good = await run(['validate', '--format', 'json']);
      expect(good.code).toBe(0);
      expect(JSON.parse(good.out)).toMatchObject({ ok: true, errors: 0 });
    } finally {
      rmrf(dir);
    }
  });

  test('cli: without --format json, errors stay plain text on stderr', async () => {
    const r = await run(['validate', '--strcit']);
    expect(r.out).toBe('');
    expect(() => JSON.parse(r.err)).toThrow();
  });
});

describe('colour', () => {
  const diag: Diagnostic = { file: 'flags/a.json', line: 3, column: 7, severity: 'error', rule: 'flags/schema', field: 'x (beta)', message: 'bad', fix: 'do this' };

  test.each<[string, { isTTY?: boolean }, NodeJS.ProcessEnv, boolean]>([
    ['a terminal', { isTTY: true }, {}, true],
    ['a pipe', {}, {}, false],
    ['a terminal with NO_COLOR=1', { isTTY: true }, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR=0 (any non-empty value)', { isTTY: true }, { NO_COLOR: '0' }, false],
    ['a terminal with NO_COLOR empty', { isTTY: true }, { NO_COLOR: '' }, true],
    ['a dumb terminal', { isTTY: true }, { TERM: 'dumb' }, false],
    ['a pipe with FORCE_COLOR=1 (set by jest workers for their children)', {}, { FORCE_COLOR: '1' }, false],
  ])('cli: colour on %s', (_what, stream, env, expected) => {
    expect(colourEnabled(stream, env)).toBe(expected);
  });

  test('cli: without colour a diagnostic line is byte for byte formatDiagnostic', () => {
    expect(formatDiagnosticStyled(diag, style(false))).toBe(formatDiagnostic(diag));
    expect(formatDiagnosticStyled({ ...diag, field: undefined, fix: undefined, severity: 'warning' }, style(false))).toBe(formatDiagnostic({ ...diag, field: undefined, fix: undefined, severity: 'warning' }));
  });

  test('cli: with colour: location bold, error red, warning yellow, fix dim; the text unchanged', () => {
    const line = formatDiagnosticStyled(diag, style(true));
    expect(line).toBe('\u001b[1mflags/a.json:3:7\u001b[22m \u001b[31m\u001b[1merror\u001b[22m\u001b[39m x (beta): bad \u001b[2m(fix: do this)\u001b[22m');
    expect(uncoloured(line)).toBe(formatDiagnostic(diag));
    expect(formatDiagnosticStyled({ ...diag, severity: 'warning' }, style(true))).toContain('\u001b[33mwarning\u001b[39m');
  });

  test('cli: validate colours its lines on a terminal, and not with NO_COLOR or in a pipe', async () => {
    const dir = brokenWorkspace();
    try {
      const tty = await run(['validate', '--root', dir], { tty: true });
      expect(tty.code).toBe(1);
      expect(tty.out).toContain('\u001b[1mconfig/ops/demo-app/prod-01.json:1:');
      expect(tty.out).toContain('\u001b[31m\u001b[1merror\u001b[22m\u001b[39m');
      expect(tty.out).toContain('dynconf validate: \u001b[31m1 error, 0 warnings in 1 file\u001b[39m');
      const noColor = await run(['validate', '--root', dir], { tty: true, env: { NO_COLOR: '1' } });
      const piped = await run(['validate', '--root', dir]);
      expect(noColor.out).not.toContain('\u001b[');
      expect(piped.out).toBe(noColor.out);
      expect(uncoloured(tty.out)).toBe(piped.out);
    } finally {
      rmrf(dir);
    }
  });

  test('cli: the error prefix on stderr is red on a terminal only', async () => {
    expect((await run(['validate', '--strcit'], { tty: true })).err.startsWith('\u001b[31mdynconf validate: \u001b[39m')).toBe(true);
    expect((await run(['validate', '--strcit'])).err.startsWith('dynconf validate: unknown option')).toBe(true);
  });
});
