/**
 * Shared by the fuzz suites: the seed and run counts, workspaces mutated from the minimal
 * fixture, raw HTTP over a socket, and the checks every output must pass.
 *
 * The suites are bounded so that `npm test` stays fast: FUZZ_SEED replays a run (fast-check
 * prints the seed and the counterexample path of a failure), FUZZ_RUNS multiplies the
 * number of runs and the time limits for a longer local session (e.g. FUZZ_RUNS=20), and
 * FUZZ_STATS=1 prints how many runs each property made.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { MINIMAL, rmrf, tempDir } from '../support/workspace';

export const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || 20_251_010;
const RUN_FACTOR = Math.max(1, Number(process.env.FUZZ_RUNS ?? '1') || 1);

/**
 * fast-check parameters for one property. interruptAfterTimeLimit bounds a slow machine:
 * the property then stops early (with the runs done so far) rather than stretching the
 * suite; a failure found before that is still reported, shrunk, with its seed.
 */
export function fuzzParams<T>(numRuns: number, timeLimitMs: number): fc.Parameters<T> {
  return {
    seed: SEED,
    numRuns: numRuns * RUN_FACTOR,
    interruptAfterTimeLimit: timeLimitMs * RUN_FACTOR,
    endOnFailure: false,
    verbose: fc.VerbosityLevel.Verbose,
    // FUZZ_STATS=1 prints how many runs each property made within its time limit.
    ...(process.env.FUZZ_STATS
      ? {
          reporter: (d: fc.RunDetails<T>) => {
            console.log(`fuzz: ${d.numRuns} runs${d.interrupted ? ' (time limit reached)' : ''}, seed ${d.seed}`);
            if (d.failed) throw new Error(fc.defaultReportMessage(d));
          },
        }
      : {}),
  };
}

/** Jest timeout for a property bounded by `timeLimitMs`: room for shrinking a failure. */
export function jestTimeout(timeLimitMs: number): number {
  return timeLimitMs * RUN_FACTOR * 4 + 30_000;
}

// ---------------------------------------------------------------------------------------
// What no output may contain.

/** A stack frame as Node prints it ("    at fn (file.ts:1:2)"), or a bare source position. */
const STACK_FRAME = /^\s+at .*(\(|\s)[^\s()]*:\d+:\d+\)?\s*$|\bnode:internal\/|\.(?:ts|js):\d+:\d+/m;

export function stackTraceIn(text: string): string | undefined {
  return STACK_FRAME.exec(text)?.[0];
}

// ---------------------------------------------------------------------------------------
// Workspaces: the minimal fixture, then a few mutations.

/** The files of the minimal fixture, relative to its root. */
export const SOURCE_FILES = [
  'config/workload.json',
  'config/layout.json',
  'flags/demo-app.json',
  'config/ops/demo-app/schema.json',
  'config/ops/demo-app/default.json',
  'config/ops/demo-app/prod-01.json',
] as const;

/** Files a mutation may add (an override, a stray file, an undeclared app). */
const EXTRA_FILES = ['config/ops/demo-app/beta.json', 'config/ops/demo-app/gamma.json', 'flags/other-app.json', 'flags/notes.md', 'config/ops/other-app/default.json', 'config/ops/demo-app/notes.txt'] as const;
const DIRECTORIES = ['flags', 'config', 'config/ops', 'config/ops/demo-app'] as const;

/** Every key the fixture uses: inserting one next to itself makes a duplicate. */
const FIXTURE_KEYS = [
  'logLevel', 'timeoutMs', 'name', 'owner', 'new-checkout', 'dark-mode', 'rolloutPercent', 'applications', 'parts', 'flags', 'default',
  'environments', 'enabled', 'variants', 'rule', 'exposure', 'attributes', 'constraints', 'type', 'minimum', 'maximum', 'beta', 'gamma',
  'prod-01', 'demo-app', '$schema', 'properties', 'required', 'enum', 'additionalProperties', 'strategies', 'pipeline', 'stages', 'waves',
  'monitors', 'clusters', 'account', 'region', 'tier', 'strategy', 'workload', 'description', 'expires', 'attributeValues',
];

/** Names of built-in object members, and key texts a lenient reader chokes on (raw JSON string bodies). */
const HOSTILE_KEY_TEXTS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable',
  'toLocaleString', '__defineGetter__', '__lookupSetter__', '__proto\\u005f_', 'constr\\u0075ctor',
  'log\\qLevel', 'x\\', '\\uZZZZ', '\\u12', '\\ud800', '\\udc00\\ud800', '\\u0000', '', ' ', 'é', '日本', '\u2028', 'a\tb', 'a\nb', '😀',
  'logLevel ', 'LOGLEVEL', 'a"b', '\\"', '\\\\',
];

/** Members every object inherits: a lookup by such a name finds something where nothing was declared. */
const BUILT_IN_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__', 'prototype', 'length'];

/** Raw JSON texts for numbers JSON.parse turns into something else (Infinity, 0, a rounded value). */
const NUMBER_TEXTS = ['1e400', '-1e400', '1e-400', '1E309', '-0', '123456789012345678901234567890', '9007199254740993', '0.1', '1.0', '1e2', '100', '60001', '99', '-1', '0'];

/** String literals JSON.parse rejects: escapes that do not exist or are cut short. */
const INVALID_ESCAPES = ['"log\\qLevel"', '"\\uZZZZ"', '"\\u12"', '"a\\x41"', '"\\\'"', '"\\ "', '"\\0"'];

/** Raw JSON string literals (quotes included): invalid escapes, surrogates, secrets, a ReDoS rule. */
const STRING_TEXTS = [
  '"\\ud800"', '"\\u0000"', '""', '"é"', '"\u2028"', '"a\tb"', '"__proto__"', '"constructor"', '"toString"',
  '"hasOwnProperty"', '"valueOf"', `"${'x'.repeat(70)}"`, `"${'y'.repeat(5000)}"`, '"beta"', '"prod-01"', '"demo-app"', '"browser"', '"server"',
  '"2000-01-01"', '"2999-12-31"', '"DEBUG"', '"AKIAIOSFODNN7EXAMPLE"', '"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
  '"(matches in::$userAgent pattern::\\"^(a+)+$\\")"', '"(eq $tier \\"pro\\")"', '"(split pct::150 by::$userId)"', '"("',
];

const INVALID_UTF8 = [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0x00], [0x80]];

export type Mutation =
  | { readonly kind: 'replace-value'; readonly file: string; readonly at: number; readonly value: unknown }
  | { readonly kind: 'insert-key'; readonly file: string; readonly at: number; readonly key: string; readonly value: string }
  | { readonly kind: 'replace-string'; readonly file: string; readonly at: number; readonly text: string }
  | { readonly kind: 'replace-number'; readonly file: string; readonly at: number; readonly text: string }
  | { readonly kind: 'built-in-name'; readonly file: string; readonly at: number; readonly name: string }
  | { readonly kind: 'deep'; readonly file: string; readonly at: number; readonly depth: number; readonly open: '[' | '{"a":' }
  | { readonly kind: 'truncate'; readonly file: string; readonly at: number }
  | { readonly kind: 'flip'; readonly file: string; readonly at: number; readonly xor: number }
  | { readonly kind: 'bom'; readonly file: string }
  | { readonly kind: 'insert-bytes'; readonly file: string; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'crlf'; readonly file: string }
  | { readonly kind: 'delete'; readonly file: string }
  | { readonly kind: 'dir-for-file'; readonly file: string }
  | { readonly kind: 'symlink'; readonly file: string; readonly to: 'inside' | 'outside' | 'dangling' | 'loop' }
  | { readonly kind: 'symlink-dir'; readonly dir: string; readonly to: 'inside' | 'outside' }
  | { readonly kind: 'add-file'; readonly file: string; readonly text: string };

const fileArb = fc.constantFrom(...SOURCE_FILES);
const anyFileArb = fc.constantFrom(...SOURCE_FILES, ...EXTRA_FILES);
const at = fc.nat({ max: 10_000 });

/** Values biased towards what the model cares about: names it knows, limits, wrong types. */
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(0, -1, 100, 101, 1.5, 2 ** 53, '', 'x', true, false, null, [], {}, 'beta', 'gamma', 'prod-01', 'demo-app', 'browser', 'server', 'INFO', '2000-01-01', '(eq $tier "pro")', { enabled: true }, { enabled: 'yes' }, [{ name: 'v', enabled: true }], { variants: [] }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIXTURE_KEYS, 'toString', 'constructor', 'valueOf', 'hasOwnProperty'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
);

const valueTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS, ...STRING_TEXTS, '{}', '[]', 'null', 'true', '{"enabled":true}', '[[[[[[[[[[1]]]]]]]]]]'),
  valueArb.map((v) => JSON.stringify(v)),
);

const keyTextArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_KEY_TEXTS) },
  { weight: 2, arbitrary: fc.constantFrom(...FIXTURE_KEYS) },
  // Unescaped random text: quotes and backslashes in it make the key itself malformed.
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** Mutations that keep bytes valid UTF-8 and mostly valid JSON: values, keys, numbers, nesting. */
export const jsonMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace-value' as const), file: fileArb, at, value: valueArb }),
  fc.record({ kind: fc.constant('insert-key' as const), file: anyFileArb, at, key: keyTextArb, value: valueTextArb }),
  fc.record({
    kind: fc.constant('replace-string' as const),
    file: fileArb,
    at,
    text: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...STRING_TEXTS) }, { weight: 2, arbitrary: fc.constantFrom(...INVALID_ESCAPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => `"${s}"`) }),
  }),
  fc.record({ kind: fc.constant('replace-number' as const), file: fileArb, at, text: fc.constantFrom(...NUMBER_TEXTS) }),
  // A key or a reference (a stage, a strategy, an app) renamed to a member every object inherits.
  fc.record({ kind: fc.constant('built-in-name' as const), file: fileArb, at, name: fc.constantFrom(...BUILT_IN_NAMES) }),
  fc.record({ kind: fc.constant('deep' as const), file: fileArb, at, depth: fc.integer({ min: 1, max: 200 }), open: fc.constantFrom('[' as const, '{"a":' as const) }),
);

/** Mutations of the bytes: truncation, flipped bytes, BOM, invalid UTF-8, CRLF. */
export const byteMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), file: fileArb, at }),
  fc.record({ kind: fc.constant('flip' as const), file: fileArb, at, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('bom' as const), file: fileArb }),
  fc.record({ kind: fc.constant('insert-bytes' as const), file: fileArb, at, bytes: fc.oneof(fc.constantFrom(...INVALID_UTF8), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 })) }),
  fc.record({ kind: fc.constant('crlf' as const), file: fileArb }),
);

/** Mutations of the file system: deletions, directories, symlinks, extra files. */
export const fsMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), file: fileArb }),
  fc.record({ kind: fc.constant('dir-for-file' as const), file: fileArb }),
  fc.record({ kind: fc.constant('symlink' as const), file: anyFileArb, to: fc.constantFrom('inside' as const, 'outside' as const, 'dangling' as const, 'loop' as const) }),
  fc.record({ kind: fc.constant('symlink-dir' as const), dir: fc.constantFrom(...DIRECTORIES), to: fc.constantFrom('inside' as const, 'outside' as const) }),
  fc.record({ kind: fc.constant('add-file' as const), file: fc.constantFrom(...EXTRA_FILES), text: fc.oneof(fc.constantFrom('{"logLevel":"DEBUG"}', '{"$schema":"./schema.json","timeoutMs":500}', '{"flags":{}}', '{}', ''), valueTextArb) }),
);

/** A workspace on disk: `root` is the workspace; `outside` is a sibling that is not in it. */
export interface FuzzWorkspace {
  readonly base: string;
  readonly root: string;
  readonly outside: string;
  dispose(): void;
}

/** The minimal fixture's files, read once: hundreds of workspaces are written from it. */
let minimalFiles: ReadonlyMap<string, Buffer> | undefined;

function writeMinimal(root: string): void {
  minimalFiles ??= new Map(SOURCE_FILES.map((f) => [f, fs.readFileSync(path.join(MINIMAL, f))]));
  for (const [rel, bytes] of minimalFiles) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  }
}

export function minimalWorkspace(): FuzzWorkspace {
  const base = tempDir('dynconf-fuzz-');
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  writeMinimal(root);
  fs.mkdirSync(outside);
  return { base, root, outside, dispose: () => rmrf(base) };
}

/** Put `root` back to the minimal fixture (for a long-lived server's workspace). */
export function resetWorkspace(ws: FuzzWorkspace): void {
  for (const d of ['config', 'flags', '.store']) fs.rmSync(path.join(ws.root, d), { recursive: true, force: true });
  fs.rmSync(ws.outside, { recursive: true, force: true });
  fs.mkdirSync(ws.outside);
  writeMinimal(ws.root);
}

export function applyMutations(ws: FuzzWorkspace, mutations: readonly Mutation[]): void {
  mutations.forEach((m, i) => applyMutation(ws, m, i));
}

function applyMutation(ws: FuzzWorkspace, m: Mutation, n: number): void {
  if (m.kind === 'symlink-dir') {
    const dir = path.join(ws.root, m.dir);
    if (!isRealDirectory(dir)) return;
    const target = m.to === 'inside' ? path.join(ws.root, '.store', `${n}-${path.basename(m.dir)}`) : path.join(ws.outside, `${n}-${path.basename(m.dir)}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(dir, target);
    fs.symlinkSync(m.to === 'inside' ? path.relative(path.dirname(dir), target) : target, dir);
    return;
  }
  const file = path.join(ws.root, m.file);
  if (m.kind === 'add-file') {
    if (exists(file) || !isRealDirectory(path.dirname(file)) && exists(path.dirname(file))) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, m.text);
    return;
  }
  if (m.kind === 'delete') return void fs.rmSync(file, { force: true, recursive: true });
  if (m.kind === 'dir-for-file') {
    fs.rmSync(file, { force: true, recursive: true });
    fs.mkdirSync(path.join(file, 'inner.json'), { recursive: true });
    return;
  }
  if (m.kind === 'symlink') {
    if (!isRealDirectory(path.dirname(file))) return;
    if (!isRealFile(file)) {
      // An extra file that does not exist yet: give the link something to point at.
      if (exists(file)) return;
      fs.writeFileSync(file, '{"logLevel":"DEBUG"}');
    }
    if (m.to === 'loop') {
      fs.rmSync(file, { force: true, recursive: true });
      fs.symlinkSync(path.basename(file), file);
    } else if (m.to === 'dangling') {
      fs.rmSync(file, { force: true, recursive: true });
      fs.symlinkSync(path.join(ws.outside, 'does-not-exist.json'), file);
    } else {
      const target = m.to === 'inside' ? path.join(ws.root, '.store', `${n}-${path.basename(file)}`) : path.join(ws.outside, `${n}-${path.basename(file)}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(file, target);
      fs.symlinkSync(m.to === 'inside' ? path.relative(path.dirname(file), target) : target, file);
    }
    return;
  }
  // Content mutations: only of a file that exists (through links too).
  if (!isFileFollowingLinks(file)) return;
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, mutateBytes(bytes, m));
}

function mutateBytes(bytes: Buffer, m: Mutation): Buffer {
  const text = bytes.toString('utf8');
  const tokens = scanTokens(text);
  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);
  const splice = (start: number, end: number, insert: string): Buffer => Buffer.from(text.slice(0, start) + insert + text.slice(end), 'utf8');
  switch (m.kind) {
    case 'replace-value': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return bytes;
      }
      const paths = allPaths(value);
      const target = pick(paths, m.at)!;
      return Buffer.from(JSON.stringify(setAt(value, target, m.value), null, 2), 'utf8');
    }
    case 'insert-key': {
      const open = pick(tokens.objects, m.at);
      if (open === undefined) return Buffer.from(`{"${m.key}": ${m.value}}`, 'utf8');
      const empty = /^\s*}/.test(text.slice(open + 1));
      return splice(open + 1, open + 1, `"${m.key}": ${m.value}${empty ? '' : ','}`);
    }
    case 'replace-string': {
      const s = pick(tokens.strings, m.at);
      return s ? splice(s[0], s[1], m.text) : bytes;
    }
    case 'built-in-name': {
      const s = pick(tokens.strings, m.at);
      return s ? splice(s[0], s[1], JSON.stringify(m.name)) : bytes;
    }
    case 'replace-number': {
      const s = pick(tokens.numbers, m.at);
      return s ? splice(s[0], s[1], m.text) : bytes;
    }
    case 'deep': {
      const s = pick([...tokens.numbers, ...tokens.strings.filter((t) => !tokens.keys.has(t[0]))], m.at);
      if (!s) return bytes;
      const close = m.open === '[' ? ']' : '}';
      return splice(s[0], s[1], `${m.open.repeat(m.depth)}${text.slice(s[0], s[1])}${close.repeat(m.depth)}`);
    }
    case 'truncate':
      return bytes.subarray(0, m.at % (bytes.length + 1));
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length) out[m.at % out.length]! ^= m.xor;
      return out;
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'insert-bytes': {
      const i = m.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(m.bytes), bytes.subarray(i)]);
    }
    case 'crlf':
      return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
    default:
      return bytes;
  }
}

/** Offsets of string literals, number literals and object openings in (mostly) JSON text. */
function scanTokens(text: string): { strings: [number, number][]; numbers: [number, number][]; objects: number[]; keys: Set<number> } {
  const strings: [number, number][] = [];
  const numbers: [number, number][] = [];
  const objects: number[] = [];
  const keys = new Set<number>();
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      strings.push([i, Math.min(j + 1, text.length)]);
      if (/^\s*:/.test(text.slice(j + 1, j + 8))) keys.add(i);
      i = j + 1;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?[0-9][0-9.eE+-]*/.exec(text.slice(i, i + 64));
      const len = m ? m[0].length : 1;
      if (m) numbers.push([i, i + len]);
      i += len;
    } else {
      if (c === '{') objects.push(i);
      i++;
    }
  }
  return { strings, numbers, objects, keys };
}

type JsonPath = (string | number)[];

function allPaths(value: unknown, prefix: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => allPaths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) allPaths(v, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, p: JsonPath, value: unknown): unknown {
  if (p.length === 0) return value;
  const [head, ...rest] = p;
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? setAt(v, rest, value) : v));
  const obj = root as Record<string, unknown>;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, k === head ? setAt(v, rest, value) : v]));
}

function isRealFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isRealDirectory(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFileFollowingLinks(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Every entry under `dir` (links not followed) with its type, size, mtime and link target. */
export function treeSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out.push(`${rel} -> ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) {
        out.push(`${rel}/`);
        walk(p);
      } else out.push(`${rel} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

// ---------------------------------------------------------------------------------------
// Raw HTTP: bytes in, every response's status and the whole reply out.

export interface RawReply {
  /** Every status code of every response on the connection, in order. */
  readonly statuses: number[];
  readonly text: string;
  /** The server did not close the connection within the bound (then we did). */
  readonly timedOut: boolean;
}

/**
 * Write `bytes` to 127.0.0.1:port, half-close, and collect what comes back until the server
 * closes. The bound is generous and only ends a connection the server keeps open; nothing
 * asserts on how long a reply took.
 */
export function rawRequest(port: number, bytes: Buffer, boundMs = 10_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    const socket = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, boundMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((x) => Number(x[1]));
      resolve({ statuses, text, timedOut });
    });
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
  });
}

/** Parse a single HTTP/1.1 response (Content-Length framed, as Node's server writes with it). */
export function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!m) return undefined;
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const headers: Record<string, string> = {};
  for (const line of text.slice(m[0].length, end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(end + 4);
  const length = headers['content-length'];
  if (length !== undefined) body = body.slice(0, Number(length));
  // The raw reply is latin1 text; the body is UTF-8.
  return { status: Number(m[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') };
}

// Pieces of hostile requests.

export const PERCENT_GARBAGE = ['%', '%Z', '%ZZ', '%C3%28', '%E0%A4%A', '%ED%A0%80', '%FF', '%00', '%2e%2e', '%2F', '%25', '%u0041', '%%', '%0d%0a'];
export const HOSTILE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '', '..', '.', 'é', '\u0000'];

export const headerValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'tier=pro', 'tier=free', 'tier', '=', '=x', 'tier=', ',', ',,,', 'a=b,c=d', 'tier=pro, tier=free', '__proto__=1', 'constructor=x', 'toString=1', 'hasOwnProperty=1', 'tier=%ZZ', 'tier=%C3%28', 'tier=%70ro', 'userId=%', 'userAgent=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'),
  fc.constantFrom(...PERCENT_GARBAGE).map((p) => `tier=${p}`),
  fc.integer({ min: 1, max: 40_000 }).map((n) => `tier=${'a'.repeat(n)}`),
);

/** A query string built from ?flag= and other parameters, with broken percent-encoding. */
export const queryArb: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom('flag', 'flag', 'context', 'Flag', 'flag[]', '', '%66lag', '__proto__', 'x'),
      fc.oneof(fc.constantFrom('new-checkout', 'dark-mode', 'nope', ...HOSTILE_NAMES, ...PERCENT_GARBAGE, 'tier=pro', 'tier%3Dpro'), fc.string({ maxLength: 10 }).map(encodeURIComponent), fc.string({ maxLength: 10 })),
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((params) => params.map(([k, v, withEq]) => (withEq ? `${k}=${v}` : k)).join('&'));
