/**
 * `dynconf secrets`, the pre-commit hook's secret scan: the same findings as the secretlint
 * CLI on the same files with the same configuration and ignore file, secrets masked, and
 * every way of calling it wrongly an error that says what to do.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { plainJsonConfig } from '../../lib/cli/commands/secrets';
import { main } from '../../lib/cli/main';
import { captureIO, rmrf, tempDir } from '../support/workspace';

const REPO = path.resolve(__dirname, '../..');
const SECRETLINT_CLI = path.join(REPO, 'node_modules/secretlint/bin/secretlint.js');

// Planted secrets, assembled at run time so that this file itself holds none (secretlint
// scans the repository). Shapes from secretlint's own rule tests: a GitHub token, an AWS
// secret access key in a credentials file, a Slack token, a private key.
const GITHUB_TOKEN = ['ghp', '_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO', '0pINUx'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', '/K7MDENG/bPxRfiCY', 'ZZZZZZZZZZ'].join('');
const SLACK_TOKEN = ['xoxb', '-123456789012-1234567890123-', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('');
const PRIVATE_KEY = [`-----BEGIN RSA ${'PRIVATE'} KEY-----`, 'MIIEowIBAAKCAQEAx4UbaDzY4Qm0Bjq3YYVPxtDIL4kZ3o9yJ7cLxa1y9Rff4u1h', 'Lrq2O6qwtmQ0Dr8t2V6oKIzzF8vHfqnDs3SsOJbtbkHfWkDaqWm8JkSy3vQ9V0ma', `-----END RSA ${'PRIVATE'} KEY-----`].join('\n');

let dir: string;

beforeEach(() => {
  dir = tempDir();
  fs.copyFileSync(path.join(REPO, '.secretlintrc.json'), path.join(dir, '.secretlintrc.json'));
  write('clean.json', '{ "rate": 10, "enabled": true }\n');
  write('config/creds.ini', `[default]\naws_secret_access_key = ${AWS_SECRET}\n`);
  write('flags/app.json', `{\n  "note": "x",\n  "token": "${GITHUB_TOKEN}"\n}\n`);
  write('notes.md', `# chat\n\nslack: ${SLACK_TOKEN}\n`);
  write('keys/id_rsa', `${PRIVATE_KEY}\n`);
});
afterEach(() => rmrf(dir));

function write(rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content);
}

async function run(...args: string[]) {
  const io = captureIO(dir);
  const code = await main(['secrets', ...args], io.io);
  return { code, out: io.out(), err: io.err() };
}

/** What dynconf reports, as "file:line rule". */
function dynconfFindings(out: string): string[] {
  return out
    .split('\n')
    .map((l) => /^(\S+):(\d+):\d+ \w+ .* \((\S+)\)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}:${m[2]} ${m[3]}`)
    .sort();
}

/** What the secretlint CLI reports on the same files, as "file:line rule". */
function secretlintFindings(files: readonly string[]): { code: number; findings: string[] } {
  let stdout: string;
  let code = 0;
  try {
    stdout = execFileSync(process.execPath, [SECRETLINT_CLI, '--format', 'json', '--maskSecrets', ...files], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    code = err.status;
    stdout = err.stdout;
  }
  const results = JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; loc: { start: { line: number } } }[] }[];
  const findings = results.flatMap((r) => r.messages.map((m) => `${path.relative(dir, r.filePath)}:${m.loc.start.line} ${m.ruleId}`)).sort();
  return { code, findings };
}

const ALL = ['clean.json', 'config/creds.ini', 'flags/app.json', 'notes.md', 'keys/id_rsa'];

test('finds what the secretlint CLI finds, on the same files with the same configuration', async () => {
  const cli = secretlintFindings(ALL);
  expect(cli.code).toBe(1);
  // Every planted secret is found by the CLI (else this test would compare nothing).
  expect(cli.findings.map((f) => f.split(' ')[0])).toEqual(['config/creds.ini:2', 'flags/app.json:3', 'keys/id_rsa:1', 'notes.md:3']);

  const r = await run(...ALL);
  expect(r.code).toBe(1);
  expect(dynconfFindings(r.out)).toEqual(cli.findings);
  expect(r.out).toContain('dynconf secrets: 4 secrets in 5 files');
});

test('never prints a secret, only where it is and what it looks like', async () => {
  const r = await run(...ALL);
  for (const secret of [GITHUB_TOKEN, AWS_SECRET, SLACK_TOKEN, PRIVATE_KEY.split('\n')[1]!]) expect(r.out + r.err).not.toContain(secret);
  expect(r.out).toMatch(/^flags\/app\.json:3:\d+ error .*GitHub.* \(@secretlint\/secretlint-rule-github\)$/m);
});

test('a clean file passes with exit 0', async () => {
  const r = await run('clean.json');
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toBe('dynconf secrets: no secrets in 1 file\n');
});

test('.secretlintignore is honoured as the CLI honours it, and so are secretlint\'s own defaults', async () => {
  write('.secretlintignore', 'keys/\n*.md\n');
  const cli = secretlintFindings(ALL);
  const r = await run(...ALL);
  expect(dynconfFindings(r.out)).toEqual(cli.findings);
  expect(dynconfFindings(r.out).map((f) => f.split(':')[0])).toEqual(['config/creds.ini', 'flags/app.json']);

  // Only ignored files staged (the hook passes whatever is staged): nothing to scan is not an error.
  const ignoredOnly = await run('keys/id_rsa', 'notes.md');
  expect(ignoredOnly).toMatchObject({ code: 0, out: 'dynconf secrets: 2 files, all ignored by .secretlintignore\n' });
  // node_modules is never scanned, whatever the ignore file says.
  write('node_modules/pkg/leak.txt', `${GITHUB_TOKEN}\n`);
  expect((await run('node_modules/pkg/leak.txt')).code).toBe(0);
});

test('the configuration is the repository\'s: what it allows and the severities it sets apply here too', async () => {
  const rules = (github: Record<string, unknown>) => JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rules: [{ id: '@secretlint/secretlint-rule-github', ...github }] }] });
  fs.writeFileSync(path.join(dir, '.secretlintrc.json'), rules({ allowMessageIds: ['GITHUB_TOKEN'] }));
  const cli = secretlintFindings(ALL);
  const r = await run(...ALL);
  expect(dynconfFindings(r.out)).toEqual(cli.findings);
  expect(r.out).not.toContain('flags/app.json');
  expect(r.code).toBe(1);

  // A warning fails too, as it does in the secretlint CLI (any message is a failure there).
  fs.writeFileSync(path.join(dir, '.secretlintrc.json'), rules({ severity: 'warning' }));
  expect(secretlintFindings(['flags/app.json']).code).toBe(1);
  const warned = await run('flags/app.json');
  expect(warned.code).toBe(1);
  expect(warned.out).toMatch(/^flags\/app\.json:3:\d+ warning /m);
});

test('the plain .secretlintrc.json is read directly; any other form goes to secretlint\'s loader, with the same findings as the CLI', async () => {
  expect(plainJsonConfig(REPO)?.rules.map((r) => r.id)).toEqual(['@secretlint/secretlint-rule-preset-recommend']);
  expect(plainJsonConfig(dir)).toBeDefined();
  const preset = '@secretlint/secretlint-rule-preset-recommend';
  const others: Record<string, string> = {
    // JSON5, which secretlint's loader reads: a comment and a trailing comma
    'comments and a trailing comma': `{\n  // the recommended rules\n  "rules": [{ "id": "${preset}", "rules": [{ "id": "@secretlint/secretlint-rule-slack", "allowMessageIds": ["SLACK_TOKEN"] }] },],\n}\n`,
    // a short rule name, which secretlint's loader expands
    'a short rule name': JSON.stringify({ rules: [{ id: '@secretlint/preset-recommend' }] }),
  };
  for (const [what, text] of Object.entries(others)) {
    fs.writeFileSync(path.join(dir, '.secretlintrc.json'), text);
    expect([what, plainJsonConfig(dir)]).toEqual([what, undefined]);
    const cli = secretlintFindings(ALL);
    expect([what, dynconfFindings((await run(...ALL)).out)]).toEqual([what, cli.findings]);
  }
  // A config file secretlint's loader reads before .secretlintrc.json.
  fs.writeFileSync(path.join(dir, '.secretlintrc.json'), JSON.stringify({ rules: [{ id: preset }] }));
  fs.writeFileSync(path.join(dir, '.secretlintrc.js'), `module.exports = { rules: [{ id: '${preset}', rules: [{ id: '@secretlint/secretlint-rule-github', allowMessageIds: ['GITHUB_TOKEN'] }] }] };\n`);
  expect(plainJsonConfig(dir)).toBeUndefined();
  const cli = secretlintFindings(ALL);
  expect(cli.findings.some((f) => f.startsWith('flags/app.json'))).toBe(false);
  expect(dynconfFindings((await run(...ALL)).out)).toEqual(cli.findings);
});

test('a .secretlintrc.json with a value of the wrong type goes to secretlint\'s loader, which refuses it: it never turns the scan off', async () => {
  const preset = '@secretlint/secretlint-rule-preset-recommend';
  const mistyped: Record<string, unknown> = {
    // @secretlint/core skips a rule whose "disabled" is truthy: the string "false" would turn the scan off
    '"disabled": "false"': { rules: [{ id: preset, disabled: 'false' }] },
    'a severity on the preset itself': { rules: [{ id: preset, severity: 'warning' }] },
    'an unknown severity on an inner rule': { rules: [{ id: preset, rules: [{ id: '@secretlint/secretlint-rule-github', severity: 'fatal' }] }] },
    'allowMessageIds that is not a list': { rules: [{ id: preset, rules: [{ id: '@secretlint/secretlint-rule-github', allowMessageIds: 'GITHUB_TOKEN' }] }] },
  };
  for (const [what, config] of Object.entries(mistyped)) {
    fs.writeFileSync(path.join(dir, '.secretlintrc.json'), JSON.stringify(config));
    expect([what, plainJsonConfig(dir)]).toEqual([what, undefined]);
    const r = await run('flags/app.json');
    expect([what, r.code]).toEqual([what, 1]);
    expect([what, r.out]).not.toEqual([what, expect.stringContaining('no secrets')]);
  }
});

test('a file in the root whose name starts with two dots is inside the root: .secretlintignore applies to it', async () => {
  write('..notes.md', `slack: ${SLACK_TOKEN}\n`);
  expect((await run('..notes.md')).code).toBe(1);
  write('.secretlintignore', '..notes.md\n');
  expect(await run('..notes.md')).toMatchObject({ code: 0, out: 'dynconf secrets: 1 file, all ignored by .secretlintignore\n' });
});

test('no configuration, a missing file, no files: errors that say what to do, exit non-zero', async () => {
  fs.rmSync(path.join(dir, '.secretlintrc.json'));
  const noConfig = await run('clean.json');
  expect(noConfig.code).toBe(1);
  expect(noConfig.err).toMatch(/cannot load the secretlint configuration of .*: secretlint config is not found; fix \.secretlintrc\.json/);

  fs.copyFileSync(path.join(REPO, '.secretlintrc.json'), path.join(dir, '.secretlintrc.json'));
  const missing = await run('clean.json', 'gone.json');
  expect(missing.code).toBe(1);
  expect(missing.err).toContain('cannot read gone.json: ENOENT');
  expect(missing.out).toBe('');

  const none = await run();
  expect(none.code).toBe(2);
  expect(none.err).toContain('give the files to scan');
});

test('a symbolic link is scanned as git commits it: its own text, not what it points to', async () => {
  const outside = tempDir();
  try {
    fs.writeFileSync(path.join(outside, 'creds.ini'), `[default]\naws_secret_access_key = ${AWS_SECRET}\n`);
    // A staged link to a file that is not committed (outside the repository), one that
    // dangles, and one whose target path itself carries a secret.
    fs.symlinkSync(path.join(outside, 'creds.ini'), path.join(dir, 'outside-link'));
    fs.symlinkSync('config/gone.ini', path.join(dir, 'dangling-link'));
    fs.symlinkSync(`tokens/${GITHUB_TOKEN}`, path.join(dir, 'token-link'));
    const r = await run('outside-link', 'dangling-link', 'token-link');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(dynconfFindings(r.out)).toEqual(['token-link:1 @secretlint/secretlint-rule-github']);
    expect(r.out).not.toContain(GITHUB_TOKEN);
    // The link's target is a file of its own when it is in the repository: scanned as itself.
    expect((await run('outside-link', 'config/creds.ini')).out).toMatch(/^config\/creds\.ini:2:\d+ error /m);
  } finally {
    rmrf(outside);
  }
});

test('the pre-commit hook scans every staged file with this verb, not the slower secretlint CLI', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the hook's configuration is CommonJS, read as lint-staged reads it
  const config = require(path.join(REPO, '.lintstagedrc.js')) as Record<string, unknown>;
  expect(config['*']).toBe('node bin/dynconf.js secrets');
});
