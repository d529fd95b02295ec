/**
 * CDK synthesis, measured the way people run it: the aws-cdk CLI (`cdk synth`) running the
 * app through tsx, in a fresh process each time.
 * - the sample (bin/app.ts: the pipeline stack and 5 stages, 17 stacks, cdk-nag, CFN
 *   Guard) against the smallest real CDK app (bench/one-bucket-app.ts), alternating, in
 *   the same run;
 * - the sample against the AWS reference sample (aws-deployment-pipeline-reference-architecture,
 *   examples/cdk-application-pipeline: a pipeline and 14 stacks), its committed configuration
 *   synthesized by its own CLI and ts-node, built outside the repository by
 *   bench/prepare-reference.sh, alternating with the two above;
 * - bin/app.ts on generated workloads of 100 to 500 applications, to show that each
 *   application costs the same however many there are (issue 9: flat from 100 to 500).
 *   node --import tsx bench/synth.ts     # prints the table
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { measureTemplates } from '../lib/appconfig';
import { generateWorkload } from '../test/support/generated-workload';
import { rmrf, tempDir } from '../test/support/workspace';
import { renderTable } from './run';
import type { BenchResult } from './types';

const ROOT = path.resolve(__dirname, '..');
const CDK_CLI = require.resolve('aws-cdk/bin/cdk');
const APP = 'node --import tsx bin/app.ts';
const BASELINE_APP = 'node --import tsx bench/one-bucket-app.ts';
/** What `npm run synth` (and so `npm run main`) adds to `cdk synth`, read from package.json so that the bench times what the script runs. */
const LOCAL_SYNTH_FLAGS = ((): string[] => {
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.synth ?? '';
  if (!script.startsWith('cdk synth')) throw new Error(`package.json scripts.synth is '${script}', not a cdk synth; update bench/synth.ts`);
  return script.split(/\s+/).slice(2).filter((a) => a !== '--quiet');
})();
/**
 * The marginal synth time per application stays flat from 100 to 500 applications: steps of
 * 200 applications, long enough that a few seconds of noise on a shared machine do not
 * decide the ratio (steps of 100 measured 1.21, 1.56, 1.46 in one run).
 */
const SCALE_SIZES = [100, 300, 500] as const;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** The reference sample as bench/prepare-reference.sh leaves it. */
const REFERENCE_ROOT = process.env.DYNCONF_BENCH_REFERENCE ?? '/tmp/ref-dpra';
const REFERENCE = path.join(REFERENCE_ROOT, 'examples/cdk-application-pipeline');
const REFERENCE_NAME = 'the AWS reference sample (aws-deployment-pipeline-reference-architecture cdk-application-pipeline: pipeline + 14 stacks)';

/** One `cdk synth` in a fresh process; seconds of wall time. */
function cdkSynth(app: string, outdir: string, context: Record<string, string> = {}, flags: readonly string[] = []): number {
  const args = [CDK_CLI, 'synth', '--quiet', '--no-notices', ...flags, '--app', app, '--output', outdir, ...Object.entries(context).flatMap(([k, v]) => ['--context', `${k}=${v}`])];
  return timed(`cdk synth --app "${app}"`, args, ROOT, {});
}

/** `cdk synth` of the reference sample: its own CLI, its committed cdk.json app (ts-node). */
function referenceSynth(outdir: string): number {
  const args = [path.join(REFERENCE, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--quiet', '--no-notices', '--output', outdir];
  // Its pipeline stack takes its region from CDK_DEFAULT_REGION (the CLI sets it from a profile).
  return timed(`cdk synth in ${REFERENCE}`, args, REFERENCE, { CDK_DEFAULT_REGION: 'us-east-1' });
}

function timed(what: string, args: string[], cwd: string, env: Record<string, string>): number {
  const start = process.hrtime.bigint();
  // Telemetry off: the machine is offline, and a timed-out upload is not synth time.
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...env } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stderr}`);
  return seconds;
}

/** Why the reference sample cannot be synthesized here, or undefined when it can. */
function referenceMissing(): string | undefined {
  for (const f of ['node_modules/aws-cdk/bin/cdk', 'node_modules/aws-cdk-lib/package.json', '.accounts.json', 'cdk.context.json']) {
    if (!fs.existsSync(path.join(REFERENCE, f))) return `${path.join(REFERENCE, f)} is missing`;
  }
  return undefined;
}

function sampleAgainstBaselines(repetitions: number): BenchResult[] {
  const out = tempDir('dynconf-bench-');
  const missing = referenceMissing();
  const sample: number[] = [];
  const local: number[] = [];
  const baseline: number[] = [];
  const reference: number[] = [];
  try {
    // One warm-up each fills tsx's (and ts-node's) caches, as any second run on a laptop would.
    cdkSynth(APP, path.join(out, 'a'));
    cdkSynth(APP, path.join(out, 'l'), {}, LOCAL_SYNTH_FLAGS);
    cdkSynth(BASELINE_APP, path.join(out, 'b'));
    if (!missing) referenceSynth(path.join(out, 'r'));
    for (let i = 0; i < repetitions; i++) {
      sample.push(cdkSynth(APP, path.join(out, 'a')));
      local.push(cdkSynth(APP, path.join(out, 'l'), {}, LOCAL_SYNTH_FLAGS));
      baseline.push(cdkSynth(BASELINE_APP, path.join(out, 'b')));
      if (!missing) reference.push(referenceSynth(path.join(out, 'r')));
    }
  } finally {
    rmrf(out);
  }
  const measured = median(sample);
  const measuredLocal = median(local);
  const base = median(baseline);
  const results: BenchResult[] = [
    {
      name: 'cdk synth: the sample as npm run synth runs it (pipeline + 5 stages, 17 stacks) vs a one-bucket app',
      measured: round(measuredLocal),
      baseline: round(base),
      ratio: round(measuredLocal / base),
      unit: 's',
      target: 'ratio <= 2',
      notes: `median of ${repetitions}, alternating; the sample with cdk-nag and CFN Guard (in a worker thread) and \`--no-validation\` (aws-cdk-lib's built-in CloudFormation validation, which npm test and the pipeline run); the one-bucket app as cdk init leaves it, built-in validation on`,
    },
    {
      name: 'cdk synth: the sample with every check (npx cdk synth, as the pipeline runs it) vs a one-bucket app',
      measured: round(measured),
      baseline: round(base),
      ratio: round(measured / base),
      unit: 's',
      notes: `for information; median of ${repetitions}, alternating with the row above; both run aws-cdk-lib's built-in validation, the sample also cdk-nag and Guard`,
    },
  ];
  if (missing) {
    console.error(`bench/synth.ts: the reference sample is not measured: ${missing}. Prepare it outside the repository with: bench/prepare-reference.sh [<checkout of aws-samples/aws-deployment-pipeline-reference-architecture>] ${REFERENCE_ROOT}`);
    results.push({
      name: `cdk synth: the sample vs ${REFERENCE_NAME}`,
      measured: round(measured),
      unit: 's',
      target: 'ratio <= 1',
      notes: `not measured: ${missing}; prepare it with bench/prepare-reference.sh`,
    });
  } else {
    const ref = median(reference);
    const lib = (JSON.parse(fs.readFileSync(path.join(REFERENCE, 'node_modules/aws-cdk-lib/package.json'), 'utf8')) as { version: string }).version;
    results.push({
      name: `cdk synth: the sample vs ${REFERENCE_NAME}`,
      measured: round(measured),
      baseline: round(ref),
      ratio: round(measured / ref),
      unit: 's',
      target: 'ratio <= 1',
      notes: `median of ${repetitions}, alternating with the rows above; the sample with every check (npx cdk synth); the reference runs its own CLI and ts-node, aws-cdk-lib ${lib} (no built-in template validation), no cdk-nag or Guard`,
    });
  }
  return results;
}

interface ScalePoint {
  readonly applications: number;
  readonly seconds: number;
  readonly stacks: number;
  readonly resources: number;
}

/**
 * Synth each size `repetitions` times, interleaved (100, 200, ..., 100, ...), so that load
 * from other processes drifting during the run weighs on every size alike.
 */
function synthAtScale(sizes: readonly number[], repetitions: number): ScalePoint[] {
  const workspaces = sizes.map((n) => generateWorkload(n));
  const outs = sizes.map(() => tempDir('dynconf-bench-'));
  try {
    const times: number[][] = sizes.map(() => []);
    for (let r = 0; r < repetitions; r++) {
      sizes.forEach((_, i) => times[i]!.push(cdkSynth(APP, outs[i]!, { 'dynconf:root': workspaces[i]! })));
    }
    return sizes.map((applications, i) => {
      const measures = measureTemplates(new cxapi.CloudAssembly(outs[i]!));
      return { applications, seconds: median(times[i]!), stacks: measures.length, resources: measures.reduce((n, m) => n + m.resources, 0) };
    });
  } finally {
    for (const d of [...outs, ...workspaces]) rmrf(d);
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = sampleAgainstBaselines(5);
  const repetitions = 2;
  const points = synthAtScale(SCALE_SIZES, repetitions);
  for (const p of points) {
    results.push({
      name: `cdk synth: ${p.applications} generated applications`,
      measured: round(p.seconds),
      unit: 's',
      notes: `median of ${repetitions}; ${p.stacks} stacks, ${p.resources} resources, 5 environments`,
    });
  }
  const perApp = (a: ScalePoint, b: ScalePoint) => ((b.seconds - a.seconds) * 1000) / (b.applications - a.applications);
  const first = perApp(points[0]!, points[1]!);
  for (let i = 1; i + 1 < points.length; i++) {
    const [a, b] = [points[i]!, points[i + 1]!];
    const marginal = perApp(a, b);
    results.push({
      name: `cdk synth: marginal time per application, ${a.applications}->${b.applications} vs ${points[0]!.applications}->${points[1]!.applications}`,
      measured: round(marginal, 1),
      baseline: round(first, 1),
      ratio: round(marginal / first),
      unit: 'ms/app',
      target: 'ratio <= 1.5 (linear growth)',
      notes: 'a ratio near 1 means each application costs the same however many there are',
    });
  }
  return results;
}

if (require.main === module) {
  run().then((results) => console.log(renderTable(results))).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
