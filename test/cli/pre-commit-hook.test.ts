/**
 * The pre-commit hook as a developer meets it: `git commit` in a repository where `npm ci`
 * has run (husky's runner installed, the compiled CLI built), with real lint-staged. It
 * stops a commit that stages a secret or a config error, says which file, and lets a good
 * change through. The repository is this working tree's files (not HEAD), so the test
 * checks the hook that is about to be committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rmrf, tempDir } from '../support/workspace';

const REPO = path.resolve(__dirname, '../..');
const COPIED = ['.husky/pre-commit', '.lintstagedrc.js', '.secretlintrc.json', '.secretlintignore', 'package.json', 'tsconfig.json', 'bin', 'lib', 'scripts', 'config', 'flags'];
const GITHUB_TOKEN = ['ghp', '_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO', '0pINUx'].join('');

let dir: string;
const env = { ...process.env, HUSKY: '', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: 'pipe' });

beforeAll(() => {
  dir = tempDir('dynconf-hook-');
  for (const f of COPIED) fs.cpSync(path.join(REPO, f), path.join(dir, f), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  git('init', '--quiet', '--initial-branch=main');
  // What `npm ci` does here (package.json "prepare"): husky's runner, and the compiled CLI.
  execFileSync(process.execPath, [path.join(dir, 'node_modules/husky/bin.js')], { cwd: dir, env, stdio: 'pipe' });
  execFileSync(process.execPath, ['scripts/build-cli.js'], { cwd: dir, env, stdio: 'pipe' });
  git('add', '--all');
  git('commit', '--quiet', '--no-verify', '-m', 'the working tree');
}, 60000);
afterAll(() => rmrf(dir));

/** `git commit` with the hook; what it printed, its exit code, and whether a commit was made. */
function commit(): { code: number; output: string; committed: boolean } {
  const before = git('rev-parse', 'HEAD');
  const r = spawnSync('git', ['commit', '--quiet', '-m', 'change'], { cwd: dir, env, encoding: 'utf8' });
  const after = git('rev-parse', 'HEAD');
  return { code: r.status ?? -1, output: r.stdout + r.stderr, committed: before !== after };
}

test('a staged secret stops the commit, naming the file and not the secret', () => {
  fs.writeFileSync(path.join(dir, 'notes.txt'), `token: ${GITHUB_TOKEN}\n`);
  git('add', 'notes.txt');
  const r = commit();
  expect(r.committed).toBe(false);
  expect(r.code).not.toBe(0);
  expect(r.output).toMatch(/notes\.txt:1:\d+ error found GitHub Token/);
  expect(r.output).not.toContain(GITHUB_TOKEN);
  git('rm', '--quiet', '--cached', 'notes.txt');
  fs.rmSync(path.join(dir, 'notes.txt'));
});

test('a staged config error stops the commit with its file:line', () => {
  const file = path.join(dir, 'flags/sso-service.json');
  const original = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, original.replace('"minutes": 60', '"minutes": "sixty"'));
  git('add', 'flags/sso-service.json');
  const r = commit();
  expect(r.committed).toBe(false);
  expect(r.output).toMatch(/flags\/sso-service\.json:\d+:\d+ error /);
  fs.writeFileSync(file, original);
  git('add', 'flags/sso-service.json');
});

test('a good change to a flags file is committed', () => {
  const file = path.join(dir, 'flags/sso-service.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"minutes": 60', '"minutes": 45'));
  git('add', 'flags/sso-service.json');
  const r = commit();
  expect(r).toMatchObject({ code: 0, committed: true });
});
