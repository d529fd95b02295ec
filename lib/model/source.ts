/**
 * Reading the workspace: a SourceTree abstracts where files come from (the working tree,
 * or a git ref for `diff`), and parseJson turns bytes into values that remember their
 * file, line and column. JSON.parse is not enough: it drops duplicate keys silently,
 * gives no positions, and lets `__proto__` through.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getLocation, parseTree, printParseErrorCode, visit, type Node, type ParseError } from 'jsonc-parser';
import type { Diagnostics, Location } from './diagnostics';

/**
 * `other` is an entry that exists but cannot be read as a file or a folder: a symbolic
 * link that dangles or leads out of the workspace, a FIFO, a socket, a device, a git
 * submodule. The loader reports it (see SourceTree.problem) instead of skipping it, so
 * nothing in a config folder is ever dropped silently.
 */
export type EntryKind = 'file' | 'directory' | 'other';

/** Why an entry of kind `other` cannot be read, for a located diagnostic. */
export interface EntryProblem {
  readonly rule: string;
  readonly message: string;
  readonly fix: string;
}

export interface DirEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

/**
 * A read-only view of a workspace. Paths are relative, with forward slashes. Symbolic
 * links are followed when their target stays inside the workspace, and are entries of
 * kind `other` otherwise. `read` and `list` may throw on an I/O failure (permissions, a
 * file removed meanwhile); the loader turns that into a diagnostic at the path.
 */
export interface SourceTree {
  /** A short label for messages, e.g. the root folder or `git:main`. */
  readonly label: string;
  kind(relPath: string): EntryKind | undefined;
  /** For an entry of kind `other`: what is wrong with it; undefined otherwise. */
  problem(relPath: string): EntryProblem | undefined;
  /** Entries of a directory, sorted by name; undefined when it does not exist. */
  list(relDir: string): DirEntry[] | undefined;
  read(relPath: string): Uint8Array;
}

const SYMLINK_FIX = 'replace the link with a copy of the file, or point it at a file inside the workspace: dynconf reads only what the workspace (and so its git history) holds';

type Resolved = { readonly kind: 'file' | 'directory'; readonly problem?: undefined } | { readonly kind: 'other'; readonly problem: EntryProblem };

export class DiskTree implements SourceTree {
  readonly label: string;
  private rootRealCache: string | undefined;
  constructor(readonly root: string) {
    this.label = root;
  }

  /** The root with its own links resolved (on macOS /tmp is itself a link), for containment checks. */
  private get rootReal(): string {
    return (this.rootRealCache ??= fs.realpathSync.native(this.root));
  }

  /**
   * What a path is once links are followed, or undefined when nothing is there. A link
   * anywhere on the path must end inside the workspace: a link out would make validate
   * read a file that the diff, the pipeline and a reviewer never see.
   */
  private resolve(relPath: string): Resolved | undefined {
    const abs = path.join(this.root, relPath);
    let lst: fs.Stats;
    try {
      lst = fs.lstatSync(abs);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    let real: string;
    try {
      real = fs.realpathSync.native(abs);
    } catch (e) {
      const target = lst.isSymbolicLink() ? safeReadlink(abs) : undefined;
      const code = (e as NodeJS.ErrnoException).code;
      return {
        kind: 'other',
        problem: {
          rule: 'file/symlink-dangling',
          message: code === 'ELOOP' ? `is a symbolic link that loops${target ? ` (to '${target}')` : ''}` : `is a symbolic link to '${target ?? '?'}', which does not exist`,
          fix: SYMLINK_FIX,
        },
      };
    }
    const rootReal = this.rootReal;
    if (real !== rootReal && !real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep)) {
      return {
        kind: 'other',
        problem: { rule: 'file/symlink-outside', message: `leads out of the workspace, to ${real}`, fix: SYMLINK_FIX },
      };
    }
    const st = lst.isSymbolicLink() ? fs.statSync(real) : lst;
    if (st.isFile()) return { kind: 'file' };
    if (st.isDirectory()) return { kind: 'directory' };
    const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    return { kind: 'other', problem: { rule: 'file/not-regular', message: `is ${what}, not a regular file`, fix: 'replace it with a regular file, or move it out of config/ and flags/' } };
  }

  kind(relPath: string): EntryKind | undefined {
    try {
      return this.resolve(relPath)?.kind;
    } catch {
      // Unreadable (permissions): say it is there, and let read() report the reason.
      return 'file';
    }
  }

  problem(relPath: string): EntryProblem | undefined {
    try {
      return this.resolve(relPath)?.problem;
    } catch {
      return undefined;
    }
  }

  list(relDir: string): DirEntry[] | undefined {
    const resolved = this.resolve(relDir);
    if (resolved?.kind !== 'directory') return undefined;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(this.root, relDir), { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    return entries
      .map((e): DirEntry => {
        // Plain files and folders need no syscall; links and special files are resolved.
        if (e.isFile()) return { name: e.name, kind: 'file' };
        if (e.isDirectory()) return { name: e.name, kind: 'directory' };
        return { name: e.name, kind: this.kind(relDir ? `${relDir}/${e.name}` : e.name) ?? 'other' };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  read(relPath: string): Uint8Array {
    return fs.readFileSync(path.join(this.root, relPath));
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function safeReadlink(abs: string): string | undefined {
  try {
    return fs.readlinkSync(abs);
  } catch {
    return undefined;
  }
}

/** Read and parse a file the tree listed; a link that cannot be followed or a failed read is a located error. */
export function parseFile(tree: SourceTree, file: string, diags: Diagnostics): JsonFile | undefined {
  if (reportOther(tree, file, diags)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = tree.read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    diags.error({ file, line: 1, column: 1 }, 'file/unreadable', `cannot be read: ${code ?? (e as Error).message}`, {
      fix: code === 'EACCES' || code === 'EPERM' ? 'make the file readable by the user running dynconf' : 'check that the file exists and is a regular file',
    });
    return undefined;
  }
  return parseJson(file, bytes, diags);
}

/** An entry of kind `other` (a link out of the workspace, a FIFO...): report why; true when it was one. */
export function reportOther(tree: SourceTree, file: string, diags: Diagnostics): boolean {
  const problem = tree.problem(file);
  if (!problem) return false;
  diags.error({ file, line: 1, column: 1 }, problem.rule, problem.message, { fix: problem.fix });
  return true;
}

/**
 * A map's own entry, never an inherited one: names in the workspace are user input, and
 * `record['toString']` on a plain object is Object.prototype's function, not undefined.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Shorter strings are not collected by stringValues: the secret scan's shapes are all longer
 * (the shortest, `pwd=abc123`, has 10 characters; see ./secrets).
 */
export const SCANNED_STRING_MIN_LENGTH = 8;

/**
 * A file's long string values (see JsonFile.stringValues), each with the key that holds it:
 * `fields[i]` is the property name of `values[i]`, undefined for an array item or a file
 * that is one string.
 */
export interface StringValues {
  readonly values: readonly string[];
  readonly fields: readonly (string | undefined)[];
}

/**
 * Every string of a value, depth-first, keys in Object.keys order, with the path to it. The
 * path is one array, changed as the walk goes: a visitor that keeps it copies it.
 */
export function walkStrings(v: unknown, visit: (s: string, path: readonly (string | number)[]) => void, path: (string | number)[] = []): void {
  if (typeof v === 'string') visit(v, path);
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walkStrings(v[i], visit, path);
      path.pop();
    }
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      path.push(k);
      walkStrings((v as Record<string, unknown>)[k], visit, path);
      path.pop();
    }
  }
}

/** stringValues for a file the structure pass did not cover (same order as walkStrings). */
function collectStrings(value: unknown): StringValues {
  const values: string[] = [];
  const fields: (string | undefined)[] = [];
  walkStrings(value, (s, path) => {
    if (s.length < SCANNED_STRING_MIN_LENGTH) return;
    const last = path[path.length - 1];
    values.push(s);
    fields.push(typeof last === 'string' ? last : undefined);
  });
  return { values, fields };
}

/** Deeper than this is a mistake or an attack; AppConfig documents are flat in practice. */
export const MAX_JSON_DEPTH = 64;
/** valueStats spells the same three out (test/model/json-structure.test.ts checks each). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A parsed JSON file that can say where any of its values came from. Values come from the
 * native JSON.parse; the position tree is built only when a location is first asked for,
 * which is when something is wrong: valid files never pay for it.
 */
export class JsonFile {
  private lineStartsCache: number[] | undefined;
  private rootCache: Node | undefined;
  private stringsCache: StringValues | undefined;
  private pathsCache: (string | number)[][] | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
    /** The plain value. */
    readonly value: unknown,
    /** The value's long strings, when the parse already collected them (see stringValues). */
    strings?: StringValues,
  ) {
    this.stringsCache = strings;
  }

  /**
   * The string values (not keys) of at least SCANNED_STRING_MIN_LENGTH characters, in
   * document order. parseJson collects them in the structure pass it makes over every clean
   * file anyway, so the secret scan needs no walk of its own; otherwise they are collected
   * here, on first use.
   */
  stringValues(): StringValues {
    return (this.stringsCache ??= collectStrings(this.value));
  }

  /**
   * The JSON path of stringValues().values[index]. Paths are not kept while parsing: only a
   * file with a finding needs them, and then all of them are found in one walk (not one walk
   * per finding, which a file of many findings would pay quadratically).
   */
  stringValuePath(index: number): (string | number)[] {
    if (!this.pathsCache) {
      const paths: (string | number)[][] = [];
      walkStrings(this.value, (s, path) => {
        if (s.length >= SCANNED_STRING_MIN_LENGTH) paths.push([...path]);
      });
      this.pathsCache = paths;
    }
    const path = this.pathsCache[index];
    if (!path) throw new Error(`${this.file} has no string value number ${index}`);
    return [...path];
  }

  private get lineStarts(): number[] {
    return (this.lineStartsCache ??= computeLineStarts(this.text));
  }

  private get root(): Node {
    return (this.rootCache ??= parseTree(this.text, [], { disallowComments: true })!);
  }

  /** Location of an offset in the text. */
  at(offset: number): Location {
    return offsetToLocation(this.file, this.lineStarts, offset);
  }

  /** Location of the value at a JSON path, or of its nearest existing ancestor. */
  locate(jsonPath: readonly (string | number)[], which: 'value' | 'key' = 'value'): Location {
    let node: Node = this.root;
    for (const segment of jsonPath) {
      const child = childAt(node, segment);
      if (!child) break;
      node = child;
    }
    if (which === 'key' && node.parent?.type === 'property' && node.parent.children?.[0]) {
      return this.at(node.parent.children[0].offset);
    }
    return this.at(node.offset);
  }

  /** Location of an object's key (the property name), falling back to the value. */
  locateKey(jsonPath: readonly (string | number)[]): Location {
    return this.locate(jsonPath, 'key');
  }

  /**
   * Location of the character at `index` of the string value at a JSON path (an index into
   * the decoded string, as a parser of that string reports it). Escapes make the decoded and
   * the written string differ in length: `\"` is two characters in the file and one in the
   * value, so the index is walked through the written text. Falls back to `locate` when the
   * path does not lead to a string.
   */
  locateInString(jsonPath: readonly (string | number)[], index: number): Location {
    let node: Node = this.root;
    for (const segment of jsonPath) {
      const child = childAt(node, segment);
      if (!child) return this.locate(jsonPath);
      node = child;
    }
    if (node.type !== 'string') return this.at(node.offset);
    const end = node.offset + node.length - 1; // the closing quote
    let raw = node.offset + 1;
    for (let decoded = 0; decoded < index && raw < end; decoded++) {
      raw += this.text[raw] !== '\\' ? 1 : this.text[raw + 1] === 'u' ? 6 : 2;
    }
    return this.at(Math.min(raw, end));
  }
}

function childAt(node: Node, segment: string | number): Node | undefined {
  if (node.type === 'object' && typeof segment === 'string') {
    const prop = node.children?.find((p) => p.children?.[0]?.value === segment);
    return prop?.children?.[1];
  }
  if (node.type === 'array' && typeof segment === 'number') return node.children?.[segment];
  return undefined;
}

/**
 * Parse one JSON file. Returns undefined (with diagnostics) when the file is not JSON; a
 * file with duplicate or forbidden keys still parses so that later checks can report
 * more, but the errors make validation fail.
 */
export function parseJson(file: string, bytes: Uint8Array, diags: Diagnostics): JsonFile | undefined {
  const start: Location = { file, line: 1, column: 1 };
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const badByte = firstInvalidUtf8(bytes) ?? 0;
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, badByte));
    const loc = offsetToLocation(file, computeLineStarts(prefix), prefix.length);
    diags.error(loc, 'json/encoding', `byte 0x${(bytes[badByte] ?? 0).toString(16).padStart(2, '0')} at offset ${badByte} is not valid UTF-8`, {
      fix: 'save the file as UTF-8 (JSON must be UTF-8)',
    });
    return undefined;
  }
  // A BOM is an editor artefact, not content; JSON.parse would reject it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!/\S/.test(text)) {
    diags.error(start, 'json/empty', 'file is empty', { fix: 'write a JSON object, for example {}' });
    return undefined;
  }
  let lineStartsCache: number[] | undefined;
  const locationOf = (offset: number) => offsetToLocation(file, (lineStartsCache ??= computeLineStarts(text)), offset);

  let value: unknown;
  let parsed = true;
  try {
    value = JSON.parse(text);
  } catch {
    parsed = false;
  }
  // The structure scan finds what JSON.parse hides (nesting too deep, duplicate and
  // forbidden keys) with their offsets. A file that the value itself shows to be clean of
  // them (cleanStructure) skips it: most files, at a fraction of its cost.
  const strings = parsed ? cleanStructure(text, value) : undefined;
  const scan = strings ? CLEAN : scanStructure(text, MAX_JSON_DEPTH);
  if (scan.tooDeepAt !== undefined) {
    diags.error(locationOf(scan.tooDeepAt), 'json/too-deep', `nesting is deeper than ${MAX_JSON_DEPTH} levels`, {
      fix: 'flatten the structure; configuration this deep cannot be reviewed',
    });
    return undefined;
  }
  if (!parsed) {
    reportSyntaxError(text, locationOf, diags);
    return undefined;
  }
  for (const k of scan.keyProblems) {
    if (k.firstOffset === undefined) {
      diags.error(locationOf(k.offset), 'json/forbidden-key', `key '${k.key}' is not allowed`, { fix: `rename it: '${k.key}' can change the prototype of objects built from this file` });
    } else {
      diags.error(locationOf(k.offset), 'json/duplicate-key', `duplicate key '${k.key}' (first defined at line ${locationOf(k.firstOffset).line}); JSON parsers keep only the last one`, {
        fix: 'remove one of the two entries',
      });
    }
  }
  checkNumbers(text, locationOf, diags);
  return new JsonFile(file, text, value, strings);
}

/**
 * Numbers JSON.parse would change without a word: beyond ~1.8e308 a number becomes
 * Infinity, which JSON.stringify writes as null; below ~5e-324 it becomes 0; an integer
 * beyond 2^53 or a fraction with more than 17 significant digits is rounded. What validate
 * approves must be what is deployed, so these are reported where they are written.
 *
 * A literal can only be affected if it has 8 or more digits in a row (at least 16
 * significant digits, or a 300-digit integer) or an exponent of three digits; one native
 * regex test keeps every other file on the fast path.
 */
const SUSPICIOUS_NUMBER = /\d{8}|[eE][+-]?\d{3}/;
// eslint-disable-next-line security/detect-unsafe-regex -- recheck finds it quadratic only on an unterminated string; it runs only on text JSON.parse accepted, where the /g scan takes each string once
const NUMBER_OR_STRING = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

function checkNumbers(text: string, locationOf: (offset: number) => Location, diags: Diagnostics): void {
  if (!SUSPICIOUS_NUMBER.test(text)) return;
  NUMBER_OR_STRING.lastIndex = 0;
  for (let m = NUMBER_OR_STRING.exec(text); m; m = NUMBER_OR_STRING.exec(text)) {
    const literal = m[0];
    if (literal.charCodeAt(0) === 34 /* " */) continue;
    const value = Number(literal);
    // The path costs a parse up to the offset: only for a literal that is reported.
    const field = () => formatJsonPath(getLocation(text, m!.index).path);
    if (!Number.isFinite(value)) {
      diags.error(locationOf(m.index), 'json/non-finite-number', `${literal} is too large for a JSON number: it would be read as ${value} and written as null`, {
        field: field(),
        fix: 'write a finite number; JSON numbers above ~1.8e308 become Infinity and are serialized as null',
      });
      continue;
    }
    if (decimalValue(literal) === decimalValue(String(value))) continue;
    const served = JSON.stringify(value);
    if (/^-?\d+$/.test(literal)) {
      diags.error(locationOf(m.index), 'json/imprecise-integer', `${literal} is beyond 2^53: it would be deployed as ${served}`, {
        field: field(),
        fix: 'write it as a string (an ID), or as an integer of at most 15 digits (a count)',
      });
    } else {
      diags.warning(locationOf(m.index), 'json/imprecise-number', `${literal} has more precision than a JSON number keeps: it would be deployed as ${served}`, {
        field: field(),
        fix: `write ${served}, or a string if the digits matter`,
      });
    }
  }
}

/**
 * A number literal's exact decimal value, normalized: `1.50e2`, `150` and `150.0` give
 * the same string. -0 and 0 compare equal (JSON has one zero in every parser we serve).
 */
function decimalValue(literal: string): string {
  // eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return literal;
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let exponent = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${m[1]}${digits}e${exponent}`;
}

function formatJsonPath(p: readonly (string | number)[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(root)';
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface KeyProblem {
  readonly key: string;
  readonly offset: number;
  /** Set for a duplicate: where the key first appeared. */
  readonly firstOffset?: number;
}

const CLEAN: { tooDeepAt?: number; keyProblems: KeyProblem[] } = { keyProblems: [] };

/**
 * The file's long string values (see JsonFile.stringValues) when the parsed value proves
 * that scanStructure would find nothing: nesting within MAX_JSON_DEPTH, no forbidden key,
 * and no duplicate key; undefined otherwise. Duplicates are what JSON.parse drops, so they
 * are counted rather than looked for. Every `:` outside a string separates a key from its
 * value, so, with K keys written in the text,
 *   colons in the text = K + colons inside the strings as written.
 * The value holds P properties and, in its strings (keys and values), D colons. Without a
 * `\u` escape (which could write a colon that the text does not show), each string's
 * colons are the same written and decoded; a duplicate drops a key (P < K) and its value's
 * strings (D can only fall). So colons in the text - D >= K > P when there is a duplicate,
 * and it equals P exactly when there is none. Any doubt (an escape, a forbidden key, deep
 * nesting, an enumerable property on Object.prototype) returns undefined, and the exact
 * scan decides.
 *
 * The same pass collects the long strings for the secret scan: one walk of the value per
 * file, not two.
 */
function cleanStructure(text: string, value: unknown): StringValues | undefined {
  if (text.includes('\\u') || !objectPrototypeIsPlain()) return undefined;
  const stats: Stats = { properties: 0, colons: 0, values: [], fields: [] };
  if (!valueStats(value, undefined, 1, stats)) return undefined;
  let colons = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) colons++;
  return colons - stats.colons === stats.properties ? { values: stats.values, fields: stats.fields } : undefined;
}

/**
 * valueStats walks objects with for-in, which reuses V8's per-shape key cache instead of
 * allocating a key array per object (Object.keys): on a cold process that halves the walk.
 * for-in also lists enumerable properties inherited from Object.prototype, which JSON.parse's
 * objects inherit from; there are none unless code in the process added one, and then the
 * fast path is not taken at all.
 */
function objectPrototypeIsPlain(): boolean {
  // The loop only asks whether there is anything to list.
  for (const _inherited in {}) return false;
  return true;
}

interface Stats {
  properties: number;
  colons: number;
  readonly values: string[];
  readonly fields: (string | undefined)[];
}

/**
 * Count properties and the colons in strings, and collect the long string values; false on
 * a forbidden key or nesting past MAX_JSON_DEPTH. The order is Object.keys order (for-in
 * lists own keys in the same order), as collectStrings and JsonFile.stringValuePath walk.
 */
function valueStats(v: unknown, field: string | undefined, depth: number, stats: Stats): boolean {
  if (typeof v === 'string') {
    for (let i = v.indexOf(':'); i >= 0; i = v.indexOf(':', i + 1)) stats.colons++;
    if (v.length >= SCANNED_STRING_MIN_LENGTH) {
      stats.values.push(v);
      stats.fields.push(field);
    }
    return true;
  }
  if (v === null || typeof v !== 'object') return true;
  if (depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!valueStats(v[i], undefined, depth + 1, stats)) return false;
    return true;
  }
  // objectPrototypeIsPlain() holds (cleanStructure checked it): every key listed is the object's own.
  for (const k in v) {
    stats.properties++;
    // Three comparisons of interned strings, not a Set lookup: this runs for every key of every clean file.
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return false;
    for (let j = k.indexOf(':'); j >= 0; j = k.indexOf(':', j + 1)) stats.colons++;
    if (!valueStats((v as Record<string, unknown>)[k], k, depth + 1, stats)) return false;
  }
  return true;
}

/**
 * One flat pass over the text (no recursion, no tree) for what JSON.parse hides: nesting
 * depth, duplicate keys and keys that reach an object's prototype. String bodies are
 * skipped with indexOf, so the cost is close to a plain copy. Only meaningful for text
 * that JSON.parse accepts; parse errors are reported by reportSyntaxError.
 */
function scanStructure(text: string, maxDepth: number): { tooDeepAt?: number; keyProblems: KeyProblem[] } {
  const keyProblems: KeyProblem[] = [];
  // One key map per open container; arrays get null.
  const stack: (Map<string, number> | null)[] = [];
  const n = text.length;
  // A native regex jumps over whitespace and literals far faster than a character loop.
  const structural = /["{}[\]]/g;
  let i = 0;
  while (i < n) {
    structural.lastIndex = i;
    // test(), not exec(): no match array to allocate per structural character.
    if (!structural.test(text)) break;
    i = structural.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) break;
      const top = stack[stack.length - 1];
      if (top) {
        let j = end + 1;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 58 /* : */) {
          const raw = text.slice(i + 1, end);
          const key = raw.includes('\\') ? decodeKey(raw) : raw;
          // A key JSON.parse cannot read (a bad escape such as \q): stop here and let the
          // parse of the whole file report it, located. Never throw from the scan.
          if (key === undefined) return { keyProblems };
          if (FORBIDDEN_KEYS.has(key)) keyProblems.push({ key, offset: i });
          else {
            const first = top.get(key);
            if (first !== undefined) keyProblems.push({ key, offset: i, firstOffset: first });
            else top.set(key, i);
          }
        }
      }
      i = end + 1;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      stack.push(c === 123 ? new Map() : null);
      if (stack.length > maxDepth) return { tooDeepAt: i, keyProblems };
    } else if (c === 125 /* } */ || c === 93 /* ] */) stack.pop();
    i++;
  }
  return { keyProblems };
}

function decodeKey(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let k = quote - 1; text.charCodeAt(k) === 92; k--) backslashes++;
  return backslashes % 2 === 1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** JSON.parse said no; jsonc-parser says where and why, in words a person can act on. */
function reportSyntaxError(text: string, locationOf: (offset: number) => Location, diags: Diagnostics): void {
  let first: ParseError | undefined;
  visit(text, { onError: (error, offset, length) => void (first ??= { error, offset, length }) }, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const { message, fix, offset } = describeParseError(text, first, locationOf);
  diags.error(locationOf(offset), 'json/syntax', message, { fix });
}

interface SyntaxExplanation {
  readonly message: string;
  readonly fix: string;
  /** Where to point: the mistake itself, or where the missing character goes. */
  readonly offset: number;
}

/** A bracket that is open at some offset. */
interface OpenBracket {
  readonly char: '{' | '[';
  readonly offset: number;
}

/**
 * The brackets open at `offset`, outermost first, skipping strings. Called only on a file
 * JSON.parse rejected, once, so a plain character loop is fine.
 */
function openBracketsAt(text: string, offset: number): OpenBracket[] {
  const stack: OpenBracket[] = [];
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < offset && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[') stack.push({ char: c, offset: i });
    else if (c === '}' || c === ']') stack.pop();
  }
  return stack;
}

/** The last non-space character before `offset`, and where it is; -1 when there is none. */
function previousSignificant(text: string, offset: number): number {
  let i = offset - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  return i;
}

/** The token that starts at `offset`, shortened for a message. */
function tokenAt(text: string, offset: number): string {
  const m = /^(?:"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[A-Za-z0-9_$.+-]+|[^\s])/.exec(text.slice(offset, offset + 200));
  const token = m ? m[0] : text.charAt(offset);
  return token.length > 30 ? `${token.slice(0, 27)}...` : token;
}

/** The key whose string ends at `end` (the offset of its closing quote), if it is one. */
function keyEndingAt(text: string, end: number): string | undefined {
  if (text[end] !== '"') return undefined;
  let start = end - 1;
  while (start >= 0 && !(text[start] === '"' && !isEscaped(text, start))) start--;
  return start >= 0 ? text.slice(start, end + 1) : undefined;
}

const WORD_VALUES: Readonly<Record<string, string>> = {
  True: 'true',
  TRUE: 'true',
  False: 'false',
  FALSE: 'false',
  None: 'null',
  Null: 'null',
  NULL: 'null',
  nil: 'null',
};

function describeParseError(text: string, e: ParseError | undefined, locationOf: (offset: number) => Location): SyntaxExplanation {
  if (!e) return { message: 'not valid JSON', fix: 'check the file with a JSON linter', offset: 0 };
  // jsonc-parser's codes are a const enum; compare by name so isolated modules can use them.
  const code = printParseErrorCode(e.error);
  const at = e.offset;
  const ch = text.charAt(at);
  const prevAt = previousSignificant(text, at);
  const prev = prevAt >= 0 ? text.charAt(prevAt) : '';
  const lineCol = (offset: number) => {
    const l = locationOf(offset);
    return `line ${l.line}, column ${l.column}`;
  };
  const opened = (b: OpenBracket) => `the ${b.char === '{' ? 'object' : 'array'} opened at ${lineCol(b.offset)}`;
  const closer = (b: OpenBracket) => (b.char === '{' ? '}' : ']');
  const token = tokenAt(text, at);

  if (code === 'UnexpectedEndOfString') {
    return { message: 'string is not terminated', fix: 'close the string with a double quote on the same line', offset: at };
  }
  if (code === 'InvalidCommentToken' || /^\s*\/[/*]/.test(text.slice(at))) {
    return { message: 'comments are not allowed in JSON', fix: 'move the comment into a "description" field', offset: at };
  }
  if (at >= text.trimEnd().length && code !== 'InvalidSymbol') {
    const open = openBracketsAt(text, at);
    const innermost = open[open.length - 1];
    const closers = open.map(closer).reverse().join('');
    return {
      message: 'file ends before the JSON value is complete (truncated?)',
      fix: innermost ? `restore the rest of the file, or close ${opened(innermost)}${open.length > 1 ? ` and the ${open.length - 1} around it (${closers})` : ` with '${closers}'`}` : 'restore the rest of the file',
      offset: at,
    };
  }
  if (code === 'PropertyNameExpected' || code === 'ValueExpected') {
    if (ch === ',' && prev === ',') {
      return { message: 'two commas in a row', fix: 'remove one of them: JSON puts exactly one comma between two entries', offset: at };
    }
    if ((ch === '}' || ch === ']') && prev === ',') {
      return { message: 'trailing comma', fix: `remove the comma before the closing '${ch}' (JSON allows no trailing commas)`, offset: prevAt };
    }
    if (ch === ',' && (prev === '{' || prev === '[')) {
      return { message: `comma before the first ${prev === '{' ? 'entry' : 'item'}`, fix: `remove the comma after '${prev}'`, offset: at };
    }
    if (prev === ':') {
      const key = keyEndingAt(text, previousSignificant(text, prevAt));
      if (ch === ':') return { message: `two colons after ${key ?? 'the key'}`, fix: 'remove one of them', offset: at };
      if (ch === ',' || ch === '}' || ch === ']') {
        return { message: `${key ?? 'the key'} has no value`, fix: `write a value after the colon (null, if there is none), or remove ${key ?? 'the key'}`, offset: at };
      }
    }
  }
  if (code === 'ColonExpected' || (code === 'InvalidSymbol' && ch === '=')) {
    const key = keyEndingAt(text, prevAt);
    if (ch === '=') return { message: `'=' after ${key ?? 'a key'}: JSON separates a key from its value with ':'`, fix: `write ${key ?? '"key"'}: <value>`, offset: at };
    return { message: `missing ':' after the key ${key ?? ''}`.trimEnd(), fix: `write ${key ?? '"key"'}: <value>; in an object every entry is a key, a colon and a value`, offset: prevAt + 1 };
  }
  if (code === 'CommaExpected') {
    const open = openBracketsAt(text, at);
    const innermost = open[open.length - 1];
    if ((ch === '}' || ch === ']') && innermost && closer(innermost) !== ch) {
      return {
        message: `'${ch}' where ${opened(innermost)} needs its '${closer(innermost)}'`,
        fix: `close the ${innermost.char === '{' ? 'object' : 'array'} with '${closer(innermost)}' before this '${ch}', or remove the '${ch}' if it is one too many`,
        offset: at,
      };
    }
    if (/\d/.test(ch) && /(?:^|[^\d.eE])-?0$/.test(text.slice(Math.max(0, prevAt - 2), prevAt + 1))) {
      return { message: 'a JSON number cannot start with 0', fix: `write ${text.slice(prevAt, at + tokenAt(text, at).length).replace(/^(-?)0+(?=\d)/, '$1')}, or a string if the zeros matter ("${text.slice(prevAt, at + tokenAt(text, at).length)}")`, offset: prevAt };
    }
    if (ch === ':') {
      return { message: "unexpected ':' after a value", fix: innermost?.char === '[' ? 'an array holds values only; use an object for "key": value pairs' : 'one colon per entry: "key": value, then a comma', offset: at };
    }
    const where = locationOf(prevAt).line === locationOf(at).line ? `after '${tokenAt(text, previousTokenStart(text, prevAt))}'` : `at the end of line ${locationOf(prevAt).line}`;
    return {
      message: `missing comma before ${token}`,
      fix: `add ',' ${where}; in JSON every two ${innermost?.char === '[' ? 'items' : 'entries'} are separated by a comma`,
      offset: prevAt + 1,
    };
  }
  if (code === 'InvalidSymbol') {
    const open = openBracketsAt(text, at);
    const innermost = open[open.length - 1];
    const keyExpected = innermost?.char === '{' && (prev === '{' || prev === ',');
    if (ch === "'") {
      const body = /^'([^'\n]*)'/.exec(text.slice(at))?.[1];
      return { message: `single quotes: JSON ${keyExpected ? 'keys' : 'strings'} are written in double quotes`, fix: `write ${JSON.stringify(body ?? 'text')}`, offset: at };
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(text.slice(at))?.[0];
    if (word && keyExpected) return { message: `key ${word} is not quoted`, fix: `write "${word}": JSON keys are strings in double quotes`, offset: at };
    if (word && Object.hasOwn(WORD_VALUES, word)) return { message: `${word} is not a JSON value`, fix: `write ${WORD_VALUES[word]} (lower case)`, offset: at };
    if (word === 'NaN' || word === 'Infinity' || word === 'undefined') return { message: `JSON has no ${word}`, fix: 'write null, or leave the key out', offset: at };
    if (word) return { message: `${word} is not a JSON value`, fix: `write "${word}" if it is a string: JSON strings are in double quotes`, offset: at };
    if (ch === ';') return { message: "';' between entries", fix: "JSON separates entries with ','", offset: at };
    if (ch === '.' && /^\.\d/.test(text.slice(at))) return { message: 'a JSON number needs a digit before the decimal point', fix: `write 0${tokenAt(text, at)}`, offset: at };
    if (ch === '+' && /^\+\d/.test(text.slice(at))) return { message: "a JSON number has no '+' sign", fix: `write ${tokenAt(text, at).slice(1)}`, offset: at };
  }
  if (code === 'EndOfFileExpected') {
    const root = openBracketsAt(text, at).length === 0 && (prev === '}' || prev === ']') ? prevAt : undefined;
    return {
      message: root !== undefined ? `text after the end of the file's value: the '${prev}' at ${lineCol(root)} already closes the top-level ${prev === '}' ? 'object' : 'array'}` : 'text after the end of the JSON value',
      fix:
        root !== undefined
          ? `if that '${prev}' is one too many (it closes the file early), remove it; otherwise remove what follows: a JSON file holds one value`
          : 'a JSON file holds one value: remove what follows it',
      offset: at,
    };
  }
  if (code === 'InvalidEscapeCharacter' || code === 'InvalidUnicode') {
    // jsonc-parser points at the string; point at the escape itself.
    const bad = invalidEscapeIn(text, at);
    return {
      message: `invalid escape ${bad !== undefined ? `'${text.slice(bad, bad + 2)}' ` : ''}in a string`,
      fix: 'JSON knows \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX; write a backslash itself as \\\\',
      offset: bad ?? at,
    };
  }
  if (code === 'InvalidCharacter') {
    let control = at + 1;
    while (control < text.length && text.charCodeAt(control) >= 0x20) control++;
    return { message: 'a control character (a tab or line break) inside a string', fix: 'write it escaped: \\t for a tab, \\n for a line break', offset: control < text.length ? control : at };
  }
  return { message: `invalid JSON: ${humanParseError(code)}`, fix: 'check brackets, commas and quotes near this position', offset: at };
}

/** The offset of the first invalid escape in the string that opens at `quote`. */
function invalidEscapeIn(text: string, quote: number): number | undefined {
  for (let i = quote + 1; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) {
    if (text[i] !== '\\') continue;
    const next = text.charAt(i + 1);
    if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(next)) return i;
    i++;
  }
  return undefined;
}

/** Where the token that ends at `end` starts: a string's opening quote, or a run of word characters. */
function previousTokenStart(text: string, end: number): number {
  if (text[end] === '"') {
    let start = end - 1;
    while (start >= 0 && !(text[start] === '"' && !isEscaped(text, start))) start--;
    return Math.max(start, 0);
  }
  let start = end;
  while (start > 0 && /[A-Za-z0-9_.+-]/.test(text.charAt(start - 1))) start--;
  return start;
}

function humanParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offsetToLocation(file: string, lineStarts: readonly number[], offset: number): Location {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, column: offset - lineStarts[lo]! + 1 };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cont = bytes[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return undefined;
}
