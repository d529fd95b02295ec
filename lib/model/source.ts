/**
 * Reading the workspace: a SourceTree abstracts where files come from (the working tree,
 * or a git ref for `diff`), and parseJson turns bytes into values that remember their
 * file, line and column. JSON.parse is not enough: it drops duplicate keys silently,
 * gives no positions, and lets `__proto__` through.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Diagnostics, Location } from './diagnostics';

export type EntryKind = 'file' | 'directory';

export interface DirEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

/** A read-only view of a workspace. Paths are relative, with forward slashes. */
export interface SourceTree {
  /** A short label for messages, e.g. the root folder or `git:main`. */
  readonly label: string;
  kind(relPath: string): EntryKind | undefined;
  /** Entries of a directory, sorted by name; undefined when it does not exist. */
  list(relDir: string): DirEntry[] | undefined;
  read(relPath: string): Uint8Array;
}

export class DiskTree implements SourceTree {
  readonly label: string;
  constructor(readonly root: string) {
    this.label = root;
  }

  kind(relPath: string): EntryKind | undefined {
    try {
      const st = fs.statSync(path.join(this.root, relPath));
      return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : undefined;
    } catch {
      return undefined;
    }
  }

  list(relDir: string): DirEntry[] | undefined {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(this.root, relDir), { withFileTypes: true });
    } catch {
      return undefined;
    }
    return entries
      .filter((e) => e.isFile() || e.isDirectory())
      .map((e): DirEntry => ({ name: e.name, kind: e.isDirectory() ? 'directory' : 'file' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  read(relPath: string): Uint8Array {
    return fs.readFileSync(path.join(this.root, relPath));
  }
}

/** Deeper than this is a mistake or an attack; AppConfig documents are flat in practice. */
export const MAX_JSON_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A parsed JSON file that can say where any of its values came from. */
export class JsonFile {
  private readonly lineStarts: number[];

  /** The plain value, without duplicate or forbidden keys. */
  readonly value: unknown;

  constructor(
    readonly file: string,
    readonly text: string,
    readonly root: Node,
    diags: Diagnostics,
  ) {
    this.lineStarts = computeLineStarts(text);
    this.value = toValue(root, this, diags);
  }

  /** Location of a byte offset in the text. */
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
 * Parse one JSON file. Returns undefined (with diagnostics) when the file cannot be
 * trusted at all; a file with duplicate or forbidden keys still parses so that later
 * checks can report more, but the errors make validation fail.
 */
export function parseJson(file: string, bytes: Uint8Array, diags: Diagnostics): JsonFile | undefined {
  const start: Location = { file, line: 1, column: 1 };
  const badByte = firstInvalidUtf8(bytes);
  if (badByte !== undefined) {
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, badByte));
    const loc = offsetToLocation(file, computeLineStarts(prefix), prefix.length);
    diags.error(loc, 'json/encoding', `byte 0x${bytes[badByte]!.toString(16).padStart(2, '0')} at offset ${badByte} is not valid UTF-8`, {
      fix: 'save the file as UTF-8 (JSON must be UTF-8)',
    });
    return undefined;
  }
  let text = new TextDecoder('utf-8').decode(bytes);
  // A BOM is an editor artefact, not content; JSON.parse would reject it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    diags.error(start, 'json/empty', 'file is empty', { fix: 'write a JSON object, for example {}' });
    return undefined;
  }
  const lineStarts = computeLineStarts(text);
  const tooDeep = firstOffsetDeeperThan(text, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    diags.error(offsetToLocation(file, lineStarts, tooDeep), 'json/too-deep', `nesting is deeper than ${MAX_JSON_DEPTH} levels`, {
      fix: 'flatten the structure; configuration this deep cannot be reviewed',
    });
    return undefined;
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !root) {
    const e = errors[0];
    const { message, fix } = describeParseError(text, e);
    // Point at the offending comma itself, not at the bracket after it.
    const offset = e ? (message === 'trailing comma' ? text.lastIndexOf(',', e.offset) : e.offset) : 0;
    diags.error(offsetToLocation(file, lineStarts, offset), 'json/syntax', message, { fix });
    return undefined;
  }
  return new JsonFile(file, text, root, diags);
}

function describeParseError(text: string, e: ParseError | undefined): { message: string; fix: string } {
  if (!e) return { message: 'not valid JSON', fix: 'check the file with a JSON linter' };
  // jsonc-parser's codes are a const enum; compare by name so isolated modules can use them.
  const code = printParseErrorCode(e.error);
  const before = text.slice(0, e.offset).trimEnd();
  if (code === 'UnexpectedEndOfString') {
    return { message: 'string is not terminated', fix: 'close the string with a double quote on the same line' };
  }
  if (code === 'InvalidCommentToken' || /^\s*\/[/*]/.test(text.slice(e.offset))) {
    return { message: 'comments are not allowed in JSON', fix: 'move the comment into a "description" field' };
  }
  if (e.offset >= text.trimEnd().length && code !== 'InvalidSymbol') {
    return { message: 'file ends before the JSON value is complete (truncated?)', fix: 'restore the missing closing brackets or the rest of the file' };
  }
  if (before.endsWith(',') && (code === 'PropertyNameExpected' || code === 'ValueExpected')) {
    return { message: 'trailing comma', fix: 'remove the comma before the closing bracket (JSON allows no trailing commas)' };
  }
  return { message: `invalid JSON: ${humanParseError(code)}`, fix: 'check brackets, commas and quotes near this position' };
}

function humanParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function toValue(node: Node, json: JsonFile, diags: Diagnostics): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const seen = new Map<string, Node>();
      for (const prop of node.children ?? []) {
        const keyNode = prop.children?.[0];
        const valueNode = prop.children?.[1];
        if (!keyNode || !valueNode) continue;
        const key = keyNode.value as string;
        if (FORBIDDEN_KEYS.has(key)) {
          diags.error(json.at(keyNode.offset), 'json/forbidden-key', `key '${key}' is not allowed`, {
            fix: `rename it: '${key}' can change the prototype of objects built from this file`,
          });
          continue;
        }
        const first = seen.get(key);
        if (first) {
          const firstAt = json.at(first.offset);
          diags.error(json.at(keyNode.offset), 'json/duplicate-key', `duplicate key '${key}' (first defined at line ${firstAt.line}); JSON parsers keep only the last one`, {
            fix: 'remove one of the two entries',
          });
          continue;
        }
        seen.set(key, keyNode);
        out[key] = toValue(valueNode, json, diags);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map((c) => toValue(c, json, diags));
    default:
      return node.value;
  }
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

/** The parser recurses per level, so depth is checked by a flat scan first. */
function firstOffsetDeeperThan(text: string, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
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
