/**
 * bench/cli: start-up of the compiled `dynconf` (bin/dynconf.js) against `node -e 0`, each
 * command alternating with the baseline in the same run (target: at most 10x), `npx dynconf`
 * for information, and the pre-commit hook on a one-file change (target: under 1 s).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchResult } from './types';

const REPO = path.resolve(__dirname, '..');
const NODE = process.execPath;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Wall time of one process, which must exit 0 (a failing command is not a figure). */
function wallMs(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, stdio: 'pipe' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 400)}`);
  return ms;
}

/** The command and `node -e 0` in turn, rounds times each, after one warm-up of both. */
function versusNode(cmd: string, args: readonly string[], rounds: number): { measured: number; baseline: number } {
  const base: number[] = [];
  const measured: number[] = [];
  wallMs(NODE, ['-e', '0'], REPO);
  wallMs(cmd, args, REPO);
  for (let i = 0; i < rounds; i++) {
    base.push(wallMs(NODE, ['-e', '0'], REPO));
    measured.push(wallMs(cmd, args, REPO));
  }
  return { measured: median(measured), baseline: median(base) };
}

function row(name: string, r: { measured: number; baseline: number }, target: string | undefined, notes: string): BenchResult {
  return { name, measured: round(r.measured), baseline: round(r.baseline), ratio: round(r.measured / r.baseline, 1), unit: 'ms wall (median)', ...(target ? { target } : {}), notes };
}

export async function runStartupBench(rounds = 9): Promise<BenchResult[]> {
  // A fresh build first, so no figure includes the in-process rebuild bin/dynconf.js does after an edit.
  execFileSync(NODE, [path.join(REPO, 'scripts/build-cli.js')], { cwd: REPO, stdio: 'pipe' });
  const entry = path.join(REPO, 'bin/dynconf.js');
  const notes = `node bin/dynconf.js (compiled, dist/cli/dynconf.js) and node -e 0 alternating, ${rounds} rounds each`;
  return [
    row('dynconf --version', versusNode(NODE, [entry, '--version'], rounds), 'ratio <= 10 vs node -e 0', notes),
    row('dynconf validate, the sample', versusNode(NODE, [entry, 'validate'], rounds), 'ratio <= 10 vs node -e 0', notes),
    row('npx dynconf --version', versusNode('npx', ['dynconf', '--version'], Math.min(rounds, 5)), undefined, "for information: npx's own start-up comes on top of dynconf's; the npm scripts and the hook call node bin/dynconf.js"),
  ];
}

/**
 * The hook as it was before the compiled CLI (commit 72c802d), the baseline measured in the
 * same run: lint-staged through npx, validate through the TypeScript loader.
 */
const EARLIER_HOOK = {
  hook: 'npx --no-install lint-staged\n',
  config: `module.exports = {
  '{config,flags}/**/*.json': () => 'node --import tsx bin/dynconf.ts validate',
  '*.ts': 'eslint --max-warnings 0 --no-warn-ignored',
  '*': 'secretlint --maskSecrets',
};
`,
};

/**
 * The hook as git runs it: husky's runner (.husky/_/h, which puts node_modules/.bin on PATH)
 * running .husky/pre-commit, that is lint-staged with .lintstagedrc.js, in a throwaway clone
 * with node_modules linked, after staging a one-line change to one flags file. Timed: from
 * starting `sh .husky/_/pre-commit` to its exit (lint-staged's stash and restore, validate of
 * the whole workspace, dynconf secrets (secretlint's engine) on the staged file); the commit itself is not made.
 */
export async function runPreCommitBench(rounds = 5): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-hook-'));
  try {
    execFileSync('git', ['clone', '--quiet', '--shared', REPO, dir]);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    // The working tree's hook files, so that the bench measures what is being changed before it is committed.
    for (const f of ['.husky/pre-commit', '.lintstagedrc.js', 'bin/dynconf.js', 'scripts/build-cli.js', 'package.json']) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    // What `npm ci` does in a clone: husky's runner, and the compiled CLI (prepare).
    execFileSync(path.join(dir, 'node_modules/.bin/husky'), [], { cwd: dir, stdio: 'pipe' });
    execFileSync(NODE, ['scripts/build-cli.js'], { cwd: dir, stdio: 'pipe' });
    execFileSync('git', ['add', '.husky/pre-commit', '.lintstagedrc.js', 'bin/dynconf.js', 'scripts/build-cli.js', 'package.json'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '--quiet', '--no-verify', '--allow-empty', '-m', 'bench: working tree hook'], { cwd: dir });
    const file = path.join(dir, 'flags/sso-service.json');
    const original = fs.readFileSync(file, 'utf8');
    if (!original.includes('"minutes": 60')) throw new Error('flags/sso-service.json no longer has "minutes": 60; pick another one-line change for the hook bench');
    const current = { hook: fs.readFileSync(path.join(dir, '.husky/pre-commit'), 'utf8'), config: fs.readFileSync(path.join(dir, '.lintstagedrc.js'), 'utf8') };
    /** Commits one of the two hooks into the clone (lint-staged reads its config from the commit's tree). */
    const use = (h: { hook: string; config: string }) => {
      fs.writeFileSync(path.join(dir, '.husky/pre-commit'), h.hook);
      fs.writeFileSync(path.join(dir, '.lintstagedrc.js'), h.config);
      execFileSync('git', ['add', '.husky/pre-commit', '.lintstagedrc.js'], { cwd: dir });
      execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '--quiet', '--no-verify', '--allow-empty', '-m', 'bench: hook'], { cwd: dir });
    };
    let edits = 0;
    const hook = () => {
      fs.writeFileSync(file, original.replace('"minutes": 60', `"minutes": ${61 + edits++}`));
      execFileSync('git', ['add', 'flags/sso-service.json'], { cwd: dir });
      return wallMs('sh', ['.husky/_/pre-commit'], dir);
    };
    const times: number[] = [];
    const before: number[] = [];
    use(EARLIER_HOOK);
    hook(); // warm-ups: the first runs after the clone read everything from disk
    use(current);
    hook();
    for (let i = 0; i < rounds; i++) {
      use(EARLIER_HOOK);
      before.push(hook());
      use(current);
      times.push(hook());
    }
    const base: number[] = [];
    for (let i = 0; i < rounds; i++) base.push(wallMs(NODE, ['-e', '0'], dir));
    return [
      {
        name: 'pre-commit hook, one flags file staged, vs the hook before the compiled CLI',
        measured: round(median(times)),
        baseline: round(median(before)),
        ratio: round(median(times) / median(before), 2),
        unit: 'ms wall (median)',
        target: '< 1000 ms',
        notes: `git's pre-commit (husky) -> lint-staged: dynconf validate of the whole workspace beside dynconf secrets (secretlint's engine) on the staged file; throwaway clone, ${rounds} alternating rounds after a warm-up of each (which fills validate's compiled-validator cache, as any commit after the first finds it); baseline: the hook before the compiled CLI (npx lint-staged, validate through tsx, the secretlint CLI); node -e 0 took ${round(median(base))} ms in the same run`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await runStartupBench()), ...(await runPreCommitBench())];
}

if (require.main === module) {
  run().then(
    (results) => console.log(JSON.stringify(results, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
