/**
 * The checks the loader fuzz suite runs on every mutated workspace (see loader.fuzz.test.ts),
 * in a module of their own so that a longer exploration can reuse them outside jest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { captureIO } from '../support/workspace';
import { isFileFollowingLinks, stackTraceIn, treeSnapshot, type FuzzWorkspace } from './support';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

interface JsonDiagnostic {
  readonly file: unknown;
  readonly line: unknown;
  readonly column: unknown;
  readonly severity: unknown;
  readonly rule: unknown;
  readonly message: unknown;
  readonly fix?: unknown;
}

export async function run(args: string[], cwd: string): Promise<Run> {
  const cap = captureIO(cwd);
  const code = await main(args, cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

function fail(message: string): never {
  throw new Error(message);
}

const excerpt = (s: string): string => (s.length > 600 ? `${s.slice(0, 600)}...` : s);

/** JSON for messages that shows what JSON.stringify would hide (Infinity, -0). */
const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `<${x}>` : x));

/** Run the three commands on a mutated workspace and check every promise. */
export async function checkWorkspace(ws: FuzzWorkspace): Promise<void> {
  const workspaceBefore = treeSnapshot(ws.root);
  const out = path.join(ws.base, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'previous-build.txt'), 'a previous build\n');
  const outBefore = treeSnapshot(out);
  const baseBefore = fs.readdirSync(ws.base).sort();

  const text = await run(['validate', '--root', ws.root], ws.base);
  const json = await run(['validate', '--root', ws.root, '--format', 'json'], ws.base);
  const build = await run(['build', '--root', ws.root, '--out', out], ws.base);

  for (const [name, r] of [['validate', text], ['validate --format json', json], ['build', build]] as const) {
    if (r.code !== 0 && r.code !== 1) fail(`${name} exited ${r.code}; stderr: ${excerpt(r.err)}`);
    const all = `${r.out}\n${r.err}`;
    if (/unexpected error/i.test(all)) fail(`${name} printed an unexpected error: ${excerpt(r.err || r.out)}`);
    const frame = stackTraceIn(all);
    if (frame) fail(`${name} printed a stack trace (${frame}): ${excerpt(all)}`);
  }
  if (text.code !== json.code || json.code !== build.code) fail(`exit codes disagree: validate ${text.code}, validate --format json ${json.code}, build ${build.code}`);

  // --format json: always one JSON document, whose diagnostics are all located.
  let report: { ok?: unknown; errors?: unknown; diagnostics?: unknown };
  try {
    report = JSON.parse(json.out) as typeof report;
  } catch {
    fail(`validate --format json printed no JSON: stdout ${excerpt(json.out)} stderr ${excerpt(json.err)}`);
  }
  if (report.ok !== (json.code === 0)) fail(`--format json says ok: ${String(report.ok)} but exited ${json.code}`);
  if (!Array.isArray(report.diagnostics)) fail('--format json has no diagnostics array');
  if (json.code === 1 && !(typeof report.errors === 'number' && report.errors >= 1)) fail(`exit 1 with errors: ${String(report.errors)}`);
  for (const d of report.diagnostics as JsonDiagnostic[]) checkLocated(d, ws.root);

  // Text: one located line per problem, then the summary.
  for (const line of text.out.trimEnd().split('\n')) {
    if (line.startsWith('dynconf validate: ')) continue;
    if (!/^[^\s:][^:\n]*:[1-9]\d*:[1-9]\d* (error|warning) /.test(line)) fail(`validate printed a line that is not a located diagnostic: ${JSON.stringify(line)}`);
  }

  if (build.code === 1) {
    if (!same(treeSnapshot(out), outBefore)) fail(`build failed but changed its output folder: ${treeSnapshot(out).join(', ')}`);
    const base = fs.readdirSync(ws.base).sort();
    if (!same(base, baseBefore)) fail(`build failed and left files next to its output: ${base.join(', ')}`);
  } else {
    checkBuildOutput(ws, out);
  }
  const workspaceAfter = treeSnapshot(ws.root);
  if (!same(workspaceAfter, workspaceBefore)) fail(`validate or build changed the workspace: ${workspaceAfter.filter((x) => !workspaceBefore.includes(x)).join(', ')}`);
}

function checkLocated(d: JsonDiagnostic, root: string): void {
  const where = show(d);
  if (typeof d.file !== 'string' || d.file === '' || path.isAbsolute(d.file) || d.file.split('/').includes('..')) fail(`diagnostic without a workspace-relative file: ${where}`);
  if (!Number.isInteger(d.line) || (d.line as number) < 1 || !Number.isInteger(d.column) || (d.column as number) < 1) fail(`diagnostic without a line and column >= 1: ${where}`);
  if (typeof d.rule !== 'string' || d.rule === '') fail(`diagnostic without a rule: ${where}`);
  if (typeof d.message !== 'string' || d.message === '') fail(`diagnostic without a message: ${where}`);
  if (d.severity === 'error' && (typeof d.fix !== 'string' || d.fix === '')) fail(`error without a fix: ${where}`);
  const file = path.join(root, d.file);
  if (isFileFollowingLinks(file)) {
    const lines = fs.readFileSync(file).toString('latin1').split('\n').length;
    if ((d.line as number) > lines) fail(`diagnostic points past the end of ${d.file} (${lines} lines): ${where}`);
  }
}

/** The sources as the test reads them, independently of lib/model. */
function readSource(root: string, rel: string): unknown {
  let text = fs.readFileSync(path.join(root, rel), 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`validate approved ${rel}, which JSON.parse rejects: ${(e as Error).message}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Configuration overlay as DESIGN.md states it: objects merge, arrays and scalars replace. */
function overlay(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out = Object.fromEntries(Object.entries(base));
  for (const [k, v] of Object.entries(over)) out[k] = Object.prototype.hasOwnProperty.call(out, k) ? overlay(out[k]!, v) : v;
  return Object.fromEntries(Object.entries(out));
}

const withoutSchema = (v: Json): Json => (isObject(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== '$schema')) : v);

/** -0 is written as 0; that is not a change of value. */
function normalizeZero(v: Json): Json {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (Array.isArray(v)) return v.map(normalizeZero);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeZero(x)]));
  return v;
}

/**
 * Deep equality of JSON-like values that works across realms (jest runs tests in a vm
 * context, so util.isDeepStrictEqual sees two Array prototypes) and tells Infinity from null.
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function leaves(v: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => leaves(x, out));
  else out.push(v);
  return out;
}

export function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

function checkBuildOutput(ws: FuzzWorkspace, out: string): void {
  const model = loadWorkspaceFromDisk(ws.root).model ?? fail('build exited 0 but the workspace does not load');
  const expectedFiles = model.documents.map((d) => `${d.environment}/${d.application}/${d.profile}.json`).sort();
  const written = listFiles(out);
  if (!same(written, expectedFiles)) fail(`build wrote ${written.join(', ')}; the model has ${expectedFiles.join(', ')}`);
  for (const d of model.documents) {
    if (fs.readFileSync(path.join(out, d.environment, d.application, `${d.profile}.json`), 'utf8') !== d.content) fail(`build output of ${d.environment}/${d.application}/${d.profile} differs from the model's document`);
  }

  // Now against the sources themselves: every value compiled is a value written there.
  const workload = readSource(ws.root, 'config/workload.json') as { environments: JsonObject; applications: JsonObject };
  const read = (rel: string): Json => JSON.parse(fs.readFileSync(path.join(out, rel), 'utf8')) as Json;
  for (const app of Object.keys(workload.applications)) {
    const defaults = readSource(ws.root, `config/ops/${app}/default.json`) as Json;
    const flags = (readSource(ws.root, `flags/${app}.json`) as { flags: Record<string, JsonObject> }).flags;
    const browserKeys = Object.keys(flags).filter((k) => flags[k]!.exposure === 'browser').sort();
    // The schema AppConfig's validator receives is the schema written (1e400 is not null there either).
    const schema = normalizeZero(readSource(ws.root, `config/ops/${app}/schema.json`) as Json);
    const compiledSchema = JSON.parse(model.applications.find((a) => a.name === app)?.opsSchema ?? 'null') as Json;
    if (!same(compiledSchema, schema)) fail(`the ops schema of ${app} compiled to ${show(compiledSchema)}; the source is ${show(schema)}`);
    for (const env of Object.keys(workload.environments)) {
      const overrideFile = `config/ops/${app}/${env}.json`;
      const override = isFileFollowingLinks(path.join(ws.root, overrideFile)) ? (readSource(ws.root, overrideFile) as Json) : undefined;
      const expectedOps = normalizeZero(overlay(withoutSchema(defaults), override === undefined ? {} : withoutSchema(override)));
      const ops = read(`${env}/${app}/ops.json`);
      if (!same(ops, expectedOps)) fail(`ops of ${app} in ${env}: build wrote ${show(ops)}, the sources say ${show(expectedOps)}`);

      const doc = read(`${env}/${app}/flags.json`) as { flags: Record<string, Json>; values: Record<string, Json> };
      const keys = Object.keys(doc.values).sort();
      if (!same(keys, Object.keys(flags).sort())) fail(`flags of ${app} in ${env}: build wrote ${keys.join(', ')}, the sources have ${Object.keys(flags).join(', ')}`);
      for (const key of keys) {
        const source = leaves(flags[key]);
        for (const [part, compiled] of [['value', doc.values[key]], ['definition', doc.flags[key]]] as const) {
          for (const leaf of leaves(compiled)) {
            if (!source.some((s) => s === leaf) && !(part === 'definition' && leaf === 'planned')) {
              fail(`flag ${key} of ${app} in ${env}: its compiled ${part} holds ${show(leaf)}, which the source does not (${show(compiled)} from ${show(flags[key])})`);
            }
          }
        }
      }
      const browserFile = `${env}/${app}/browser.json`;
      if (browserKeys.length === 0) {
        if (fs.existsSync(path.join(out, browserFile))) fail(`${browserFile} written for an app without browser flags`);
        continue;
      }
      const browser = read(browserFile) as { values: Record<string, Json> };
      if (!same(Object.keys(browser.values).sort(), browserKeys)) fail(`${browserFile} holds ${Object.keys(browser.values).join(', ')}; the browser flags are ${browserKeys.join(', ')}`);
      for (const key of browserKeys) if (!same(browser.values[key], doc.values[key])) fail(`${browserFile}: ${key} differs from the flags profile`);
    }
  }
}
