/**
 * bench/validate: `dynconf validate` on a generated 100 apps x 10 environments x 100 flags
 * workspace, against JSON.parse of the same files in the same run (target: at most 5x).
 *
 * How it is measured, so that neither side gets a cost or a gift the other does not:
 * - Cold (the target row): each round runs each side in a fresh Node process, started the
 *   same way (same flags, same TypeScript loader), and times only the work inside it:
 *   module loading and process start are excluded on both sides (they are the CLI start-up
 *   benchmark's business, bench/cli.ts). So validate pays what `dynconf validate` pays on
 *   every run: cold JIT, and every schema compiled, every rule parsed; nothing is left over
 *   from an earlier round in the same process.
 * - Warm: both sides again in this process after a first run, as the local agent (which
 *   re-validates on every edit) sees it. Caches that last for the process count here.
 * Rounds alternate the two sides, so load on the shared machine falls on both.
 * validate runs lib/model as the compiled CLI (dist/cli/dynconf.js) runs it: bundled with
 * scripts/build-cli.js's options, format validators generated at build time (see
 * ./compiled-model), not the TypeScript sources through tsx, whose transform adds costs the
 * CLI does not pay (a name helper around every closure, source maps).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Model from '../lib/model';
import { requireEsModule } from '../lib/model/module-loading';
import { compiledModelSource, loadCompiled } from './compiled-model';
import type { BenchResult } from './types';
import { generateWorkspace } from './workload-generator';

const SIZE = { applications: 100, environments: 10, flagsPerApp: 100 };

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
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The baseline: read and JSON.parse every file of the workspace. */
function parseAll(files: readonly string[]): void {
  for (const f of files) JSON.parse(fs.readFileSync(f, 'utf8'));
}

/** What `dynconf validate` does after its start-up: load, check and size the whole workspace. */
function validateAll(model: typeof Model, dir: string): number {
  const r = model.loadWorkspaceFromDisk(dir);
  if (!r.model) throw new Error(`generated workspace does not validate: ${r.diagnostics[0]?.message}`);
  return r.model.documents.length;
}

/** The compiled lib/model, from the file the parent wrote its code to (see ./compiled-model). */
function loadModel(codeFile: string): typeof Model {
  return loadCompiled(fs.readFileSync(codeFile, 'utf8'), path.resolve(__dirname, '../dist/cli/model.js'));
}

/** One side of one cold round, in a fresh process; its own time for the work, in ms. */
function coldRound(side: 'parse' | 'validate', dir: string, codeFile: string): number {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', side, dir, codeFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = Number(JSON.parse(out.trim().split('\n').pop()!).ms);
  if (!Number.isFinite(ms)) throw new Error(`bench child (${side}) printed no time: ${out}`);
  return ms;
}

/** 9 rounds: a cold validate varies by a fifth from run to run on this shared machine, and the median of 5 moved with it. */
export async function runValidateBench(rounds = 9): Promise<BenchResult[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-bench-'));
  const dir = path.join(tmp, 'workspace');
  const codeFile = path.join(tmp, 'model.js');
  try {
    generateWorkspace(dir, SIZE);
    fs.writeFileSync(codeFile, (await compiledModelSource()).code);
    const files = allJsonFiles(dir);
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    const cold = { parse: [] as number[], validate: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      // Alternate which side goes first: neither always gets the quieter moment.
      const order = i % 2 === 0 ? (['parse', 'validate'] as const) : (['validate', 'parse'] as const);
      for (const side of order) cold[side].push(coldRound(side, dir, codeFile));
    }
    // Warm: one untimed run of each side (module loading, JIT, per-process caches), then rounds.
    const model = loadModel(codeFile);
    let documents = validateAll(model, dir);
    parseAll(files);
    const warm = { parse: [] as number[], validate: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      warm.parse.push(timeMs(() => parseAll(files)));
      warm.validate.push(timeMs(() => (documents = validateAll(model, dir))));
    }
    const what = `${files.length} files, ${(bytes / 1e6).toFixed(1)} MB; every check, and all ${documents} documents sized against AppConfig's limit (their bytes are rendered by build, not validate)`;
    return [
      row('dynconf validate, 100 apps x 10 envs x 100 flags (cold: one process per run, as the CLI)', cold, 'ratio <= 5 vs JSON.parse of the same files', `${what}; lib/model compiled as dist/cli compiles it; each side in a fresh process per round, module loading excluded on both; ${rounds} alternating rounds`),
      row('dynconf validate, same workspace (warm: again in one process, as the local agent)', warm, '-', `after one untimed run of each side; ${rounds} rounds`),
    ];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function row(name: string, t: { parse: number[]; validate: number[] }, target: string, notes: string): BenchResult {
  const v = median(t.validate);
  const p = median(t.parse);
  return { name, measured: round(v), baseline: round(p), ratio: round(v / p, 2), unit: 'ms (median)', target, notes };
}

export async function run(): Promise<BenchResult[]> {
  return runValidateBench();
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function child(side: string, dir: string, codeFile: string): void {
  // Listing and module loading happen before the clock starts, on both sides.
  if (side === 'parse') {
    const files = allJsonFiles(dir);
    console.log(JSON.stringify({ ms: timeMs(() => parseAll(files)) }));
  } else if (side === 'validate') {
    const model = loadModel(codeFile);
    // lib/model requires ajv-draft-04 only when it first compiles an ops schema (a run whose
    // validators all come from the CLI's cache never loads it): loaded here, before the clock,
    // as every other module is. No validator cache: every schema is compiled, as on a first
    // run or in CI.
    // The same goes for the secretlint preset, which lib/model loads at its first scan (a 218 KB ES module to compile).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- module loading before the clock, see above
    require('ajv-draft-04');
    requireEsModule('@secretlint/secretlint-rule-preset-recommend');
    console.log(JSON.stringify({ ms: timeMs(() => validateAll(model, dir)) }));
  } else throw new Error(`unknown bench side '${side}'`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') child(args[1]!, args[2]!, args[3]!);
  else {
    run().then(
      (results) => console.log(JSON.stringify(results, null, 2)),
      (e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      },
    );
  }
}
