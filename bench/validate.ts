/**
 * bench/validate: `dynconf validate` on a generated 100 apps x 10 environments x 100 flags
 * workspace, against JSON.parse of the same files in the same run (target: at most 5x);
 * and the pre-commit hook's wall time on a one-file change (target: under 2 s).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspaceFromDisk } from '../lib/model';
import type { BenchResult } from './types';
import { generateWorkspace } from './workload-generator';

const REPO = path.resolve(__dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function allJsonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => path.join(e.parentPath, e.name));
}

export async function runValidateBench(rounds = 5): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-bench-'));
  try {
    generateWorkspace(dir, { applications: 100, environments: 10, flagsPerApp: 100 });
    const files = allJsonFiles(dir);
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    // Warm both paths once (module loading, JIT) before measuring.
    loadWorkspaceFromDisk(dir);
    files.forEach((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
    const parse: number[] = [];
    const validate: number[] = [];
    let documents = 0;
    for (let i = 0; i < rounds; i++) {
      parse.push(timeMs(() => files.forEach((f) => JSON.parse(fs.readFileSync(f, 'utf8')))));
      validate.push(
        timeMs(() => {
          const r = loadWorkspaceFromDisk(dir);
          if (!r.model) throw new Error(`generated workspace does not validate: ${r.diagnostics[0]?.message}`);
          documents = r.model.documents.length;
        }),
      );
    }
    const v = median(validate);
    const p = median(parse);
    return [
      {
        name: 'dynconf validate, 100 apps x 10 envs x 100 flags',
        measured: round(v),
        baseline: round(p),
        ratio: round(v / p, 2),
        unit: 'ms (median)',
        target: 'ratio <= 5 vs JSON.parse of the same files',
        notes: `${files.length} files, ${(bytes / 1e6).toFixed(1)} MB; every check, and all ${documents} documents sized against AppConfig's limit (their bytes are rendered by build, not validate); ${rounds} rounds`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The real hook (lint-staged) in a throwaway clone, after staging a one-line flag change. */
export async function runPreCommitBench(rounds = 3): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-hook-'));
  try {
    execFileSync('git', ['clone', '--quiet', '--shared', REPO, dir]);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    const file = path.join(dir, 'flags/sso-service.json');
    const original = fs.readFileSync(file, 'utf8');
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      fs.writeFileSync(file, original.replace('"minutes": 60', `"minutes": ${61 + i}`));
      execFileSync('git', ['add', 'flags/sso-service.json'], { cwd: dir });
      times.push(timeMs(() => execFileSync(path.join(REPO, 'node_modules/.bin/lint-staged'), ['--quiet'], { cwd: dir, stdio: 'pipe' })));
    }
    return [{ name: 'pre-commit hook, one flags file staged', measured: round(median(times)), unit: 'ms wall (median)', target: '< 2000 ms', notes: `lint-staged: dynconf validate + secretlint, ${rounds} rounds` }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await runValidateBench()), ...(await runPreCommitBench())];
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
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
