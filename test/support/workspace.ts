/**
 * Test workspaces: a fixture under test/fixtures/invalid/<rule>/ holds only the files that
 * differ from test/fixtures/valid/minimal/ (plus fixture.json saying what must fail and
 * where); materialize() lays the two over each other in a temporary folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandIO } from '../../lib/cli/command';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
export const MINIMAL = path.join(FIXTURES, 'valid/minimal');

export interface ExpectedDiagnostic {
  readonly rule: string;
  readonly file: string;
  /**
   * Text whose first occurrence in the file marks the expected line; `a >> b` means the
   * first b after the first a; `<end of file>` is the last line. null means line 1.
   */
  readonly at: string | null;
  readonly message: string;
}

export interface FixtureManifest {
  readonly description: string;
  readonly expect: readonly ExpectedDiagnostic[];
  readonly remove?: readonly string[];
  readonly strict?: boolean;
  /** Large counts made after the overlay, so a quota fixture stays a few lines long. */
  readonly generate?: FixtureGenerator;
}

export interface FixtureGenerator {
  /**
   * Add copies of the first declared application (its flags file and ops folder too)
   * until workload.json declares this many applications.
   */
  readonly applications?: number;
  /**
   * Add `copies` environments cloned from `from`, named `<from>-<n>`, deployed right after
   * it (in its stage list or wave); with `ownStrategy` each clone gets its own copy of the
   * strategy, named `<strategy>-<n>`.
   */
  readonly cloneEnvironment?: { readonly from: string; readonly copies: number; readonly ownStrategy?: boolean };
}

export function tempDir(prefix = 'dynconf-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copy the minimal workspace, lay the fixture's files over it, remove what it removes. */
export function materialize(fixtureDir: string): { dir: string; manifest: FixtureManifest } {
  const manifest = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'fixture.json'), 'utf8')) as FixtureManifest;
  const dir = tempDir();
  fs.cpSync(MINIMAL, dir, { recursive: true });
  for (const rel of manifest.remove ?? []) fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
  fs.cpSync(fixtureDir, dir, { recursive: true, filter: (src) => path.basename(src) !== 'fixture.json' });
  if (manifest.generate) generateInto(dir, manifest.generate);
  return { dir, manifest };
}

interface GeneratedWorkload {
  applications: Record<string, unknown>;
  strategies: Record<string, unknown>;
  environments: Record<string, { strategy: string }>;
  pipeline: { stages: string[]; waves: { environments: string[] }[] };
}

/** Apply a fixture's `generate` to the workspace in `dir` (see FixtureGenerator). */
export function generateInto(dir: string, g: FixtureGenerator): void {
  const file = path.join(dir, 'config/workload.json');
  const w = JSON.parse(fs.readFileSync(file, 'utf8')) as GeneratedWorkload;
  if (g.applications !== undefined) {
    const template = Object.keys(w.applications)[0]!;
    for (let i = 1; Object.keys(w.applications).length < g.applications; i++) {
      const name = `${template}-${String(i).padStart(3, '0')}`;
      w.applications[name] = w.applications[template];
      fs.copyFileSync(path.join(dir, 'flags', `${template}.json`), path.join(dir, 'flags', `${name}.json`));
      fs.cpSync(path.join(dir, 'config/ops', template), path.join(dir, 'config/ops', name), { recursive: true });
    }
  }
  if (g.cloneEnvironment) {
    const { from, copies, ownStrategy } = g.cloneEnvironment;
    const source = w.environments[from]!;
    const clones: string[] = [];
    for (let i = 2; i < copies + 2; i++) {
      const name = `${from}-${i}`;
      const strategy = ownStrategy ? `${source.strategy}-${i}` : source.strategy;
      if (ownStrategy) w.strategies[strategy] = w.strategies[source.strategy];
      w.environments[name] = { ...source, strategy };
      clones.push(name);
    }
    const insertAfter = (list: string[]) => list.splice(list.indexOf(from) + 1, 0, ...clones);
    if (w.pipeline.stages.includes(from)) insertAfter(w.pipeline.stages);
    else insertAfter(w.pipeline.waves.find((wave) => wave.environments.includes(from))!.environments);
  }
  fs.writeFileSync(file, `${JSON.stringify(w, null, 2)}\n`);
}

/** Copy the repo's own sample workload (config/ and flags/) into a temporary folder. */
export function copySample(): string {
  const dir = tempDir();
  for (const d of ['config', 'flags']) fs.cpSync(path.join(REPO_ROOT, d), path.join(dir, d), { recursive: true });
  return dir;
}

/** 1-based line of a fixture marker (see ExpectedDiagnostic.at) in a file. */
export function lineOf(file: string, marker: string | null): number {
  if (marker === null) return 1;
  const content = fs.readFileSync(file).toString('latin1');
  if (marker === '<end of file>') return content.split('\n').length;
  let idx = 0;
  for (const part of marker.split(' >> ')) {
    idx = content.indexOf(Buffer.from(part, 'utf8').toString('latin1'), idx);
    if (idx < 0) throw new Error(`fixture marker ${JSON.stringify(marker)} not found in ${file}`);
  }
  return content.slice(0, idx).split('\n').length;
}

export function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Capture what a CLI command writes. */
export function captureIO(cwd: string): { io: CommandIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    ({
      write(chunk: string | Uint8Array) {
        append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  return {
    io: { cwd, stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: {}, signal: new AbortController().signal },
    out: () => out,
    err: () => err,
  };
}

/**
 * The feature flags cdk.json gives `cdk synth` (minimizePolicies among them): without them a
 * test would read templates other than those the pipeline deploys.
 */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
}
