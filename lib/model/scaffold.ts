/**
 * `dynconf new app` and `dynconf new flag`, as edits: which files change and to what. This
 * module writes nothing; the CLI writes the edits all together or not at all. Before it
 * returns an edit, the whole workspace as it would be afterwards goes through the loader,
 * so a plan that succeeds is one `dynconf validate` passes (and a plan that would not is
 * refused with the diagnostics validate would print).
 */
import { applyEdits, findNodeAtLocation, parseTree, type Edit, type Node } from 'jsonc-parser';
import { assignParts } from './capacity';
import { Diagnostics, didYouMean, type Diagnostic } from './diagnostics';
import { FLAGS_DIR, loadWorkspace, OPS_DIR, WORKLOAD_FILE } from './load';
import { LAYOUT_FILE, layoutFileContent, readExistingLayout } from './layout';
import type { DirEntry, EntryKind, EntryProblem, SourceTree } from './source';
import { applicationNamePattern, FLAGS_SCHEMA_REF, flagKeyPattern, starterFlagsFile, starterOpsDefault, starterOpsSchema } from './starter';

/** One file to write: its workspace-relative path, its text before (undefined: a new file) and after. */
export interface FileEdit {
  readonly file: string;
  readonly previous: string | undefined;
  readonly content: string;
  /** What the edit adds, for the CLI to print. */
  readonly summary: string;
}

export interface ScaffoldPlan {
  readonly edits: readonly FileEdit[];
  /** Pieces that already existed and are left as they are. */
  readonly kept: readonly string[];
  /** What to do next, one line each. */
  readonly next: readonly string[];
  /** Warnings validate will print about what was added (a flag expiring soon). */
  readonly warnings: readonly Diagnostic[];
}

export type ScaffoldResult =
  | { readonly ok: true; readonly plan: ScaffoldPlan }
  | {
      readonly ok: false;
      /** A mistake in the command line (a bad name, a missing --owner): the CLI prints its usage. */
      readonly usage: boolean;
      readonly message: string;
      /** What validate would report after the edits, when that is why the plan was refused. */
      readonly diagnostics: readonly Diagnostic[];
    };

function refuse(message: string, options: { usage?: boolean; diagnostics?: readonly Diagnostic[] } = {}): ScaffoldResult {
  return { ok: false, usage: options.usage ?? false, message, diagnostics: options.diagnostics ?? [] };
}

export interface NewAppRequest {
  readonly name: string;
  /** Required when workload.json does not declare the application yet. */
  readonly owner?: string;
  readonly description?: string;
}

export interface NewFlagRequest {
  readonly app: string;
  readonly flag: string;
  readonly exposure?: 'server' | 'browser';
  /** YYYY-MM-DD, `none` for a flag meant to stay (a kill switch), or undefined for the default lifetime. */
  readonly expires?: string;
}

export interface ScaffoldOptions {
  /** Today's date (UTC, YYYY-MM-DD), for the default `expires` and validate's expiry checks. */
  readonly today?: string;
}

/**
 * The default lifetime of a new flag. A release flag should be gone once its change has
 * reached every wave and proved itself; 90 days leaves a quarter for that, and is well
 * beyond the two weeks before `expires` in which validate starts warning, so a new flag
 * is quiet at first and announces its own clean-up.
 */
export const NEW_FLAG_LIFETIME_DAYS = 90;

const today = (options: ScaffoldOptions) => options.today ?? new Date().toISOString().slice(0, 10);

/**
 * Everything `dynconf new app <name>` writes: the workload entry, the flags file, the ops
 * schema and defaults, and the application's stack part. A piece that already exists is
 * kept as it is (an application started by hand is completed, never overwritten); an
 * application with every piece is refused.
 */
export function planNewApp(tree: SourceTree, request: NewAppRequest, options: ScaffoldOptions = {}): ScaffoldResult {
  const { name } = request;
  const pattern = applicationNamePattern();
  if (!pattern.test(name)) {
    return refuse(`'${name}' is not a valid application name: it must match ${pattern.source} (config/schemas/workload.schema.json), because it becomes an AppConfig and stack name`, { usage: true });
  }
  const workload = readWorkload(tree);
  if (typeof workload === 'string') return refuse(workload);
  const entry = own(workload.value.applications, name) as { owner?: string } | undefined;
  const staged = new Map<string, FileEdit>();
  const kept: string[] = [];

  if (entry) {
    if (request.owner !== undefined || request.description !== undefined) {
      return refuse(`${WORKLOAD_FILE} already declares '${name}' (owner '${entry.owner}'): change its owner or description there`, { usage: true });
    }
    kept.push(`${WORKLOAD_FILE} (applications.${name})`);
  } else {
    if (request.owner === undefined || request.owner.trim() === '') {
      return refuse(`--owner is required for a new application: the team that owns its flags and ops configuration (${WORKLOAD_FILE} requires it)`, { usage: true });
    }
    const value = { owner: request.owner, description: request.description ?? '' };
    const content = insertProperty(workload.text, ['applications'], name, value);
    staged.set(WORKLOAD_FILE, { file: WORKLOAD_FILE, previous: workload.text, content, summary: `applications.${name} (owner ${request.owner}${request.description ? '' : ', no description'})` });
  }

  const flagsFile = `${FLAGS_DIR}/${name}.json`;
  const flagsKind = tree.kind(flagsFile);
  if (flagsKind === 'file') kept.push(flagsFile);
  else if (flagsKind !== undefined) return refuse(`${flagsFile} exists but is not a file: run \`npx dynconf validate\` to see why, and fix it first`);
  else staged.set(flagsFile, { file: flagsFile, previous: undefined, content: renderFile(starterFlagsFile(siblingFlagsSchemaRef(tree) ?? FLAGS_SCHEMA_REF), workload.text), summary: 'no flags yet' });

  const opsDir = `${OPS_DIR}/${name}`;
  const opsKind = tree.kind(opsDir);
  if (opsKind !== undefined && opsKind !== 'directory') return refuse(`${opsDir} exists but is not a folder: run \`npx dynconf validate\` to see why, and fix it first`);
  const starters = { 'schema.json': starterOpsSchema(name), 'default.json': starterOpsDefault() };
  for (const f of ['schema.json', 'default.json'] as const) {
    const file = `${opsDir}/${f}`;
    const kind = tree.kind(file);
    if (kind === 'file') kept.push(file);
    else if (kind !== undefined) return refuse(`${file} exists but is not a file: run \`npx dynconf validate\` to see why, and fix it first`);
    else staged.set(file, { file, previous: undefined, content: renderFile(starters[f], workload.text), summary: f === 'schema.json' ? 'draft-04, an object with no keys yet' : 'no values yet' });
  }

  // The stack part last: placing the application needs the size of its compiled documents.
  const layoutKind = tree.kind(LAYOUT_FILE);
  const layoutText = layoutKind === 'file' ? decode(tree.read(LAYOUT_FILE)) : undefined;
  const hasPart = layoutText !== undefined && Object.hasOwn((safeParse(layoutText) as { parts?: object } | undefined)?.parts ?? {}, name);
  if (hasPart) kept.push(`${LAYOUT_FILE} (parts.${name})`);
  if (staged.size === 0 && hasPart) {
    return refuse(`application '${name}' already exists: ${WORKLOAD_FILE} declares it, and ${flagsFile}, ${opsDir}/schema.json, ${opsDir}/default.json and its part in ${LAYOUT_FILE} are all there`);
  }
  if (!hasPart) {
    const before = new OverlayTree(tree, contents(staged));
    const compiled = loadWorkspace(before, { withoutLayout: true, today: today(options) });
    if (!compiled.model) return refuse(wouldFail(staged), { diagnostics: errorsOf(compiled.diagnostics) });
    const diags = new Diagnostics();
    const existing = readExistingLayout(before, diags);
    if (!existing) return refuse(`${LAYOUT_FILE} does not parse or conform: fix it first`, { diagnostics: diags.all });
    // Only this application's part changes: any other problem of the layout stays for validate to report.
    const part = assignParts(compiled.model, existing.parts).parts[name]!;
    const content = layoutFileContent({ ...existing.parts, [name]: part }, existing);
    staged.set(LAYOUT_FILE, { file: LAYOUT_FILE, previous: existing.exists ? existing.text : undefined, content, summary: `${name} in part ${part}` });
  }

  const after = loadWorkspace(new OverlayTree(tree, contents(staged)), { today: today(options) });
  if (!after.model) return refuse(wouldFail(staged), { diagnostics: errorsOf(after.diagnostics) });
  return {
    ok: true,
    plan: {
      edits: [...staged.values()],
      kept,
      next: [
        `add flags: npx dynconf new flag ${name} <flag>`,
        `add ops settings: their schema to ${opsDir}/schema.json, their values to ${opsDir}/default.json (and ${opsDir}/<env>.json to override one environment)`,
        `to serve it to pods, list '${name}' under clusters.<cluster>.namespaces.<namespace>.applications in ${WORKLOAD_FILE}`,
        'then: npx dynconf validate, and commit every file above together',
      ],
      warnings: [],
    },
  };
}

/**
 * `dynconf new flag <app> <flag>`: the flag, disabled, with an entry for every environment
 * of workload.json (so turning it on in one environment is a one-word change in review)
 * and a disabled default (so an environment added later resolves too).
 */
export function planNewFlag(tree: SourceTree, request: NewFlagRequest, options: ScaffoldOptions = {}): ScaffoldResult {
  const { app, flag } = request;
  const pattern = flagKeyPattern();
  if (!pattern.test(flag)) {
    return refuse(`'${flag}' is not a valid flag key: it must match ${pattern.source} (AppConfig's pattern, config/schemas/flags.schema.json)`, { usage: true });
  }
  const day = today(options);
  let expires: string | undefined;
  if (request.expires === undefined) expires = addDays(day, NEW_FLAG_LIFETIME_DAYS);
  else if (request.expires !== 'none') {
    if (!isDate(request.expires)) return refuse(`--expires must be a date written YYYY-MM-DD, or 'none' for a flag meant to stay (got '${request.expires}')`, { usage: true });
    if (request.expires <= day) return refuse(`--expires ${request.expires} is not after today (${day}): the flag would be reported as expired at once`, { usage: true });
    expires = request.expires;
  }
  const workload = readWorkload(tree);
  if (typeof workload === 'string') return refuse(workload);
  const apps = Object.keys(workload.value.applications ?? {});
  const entry = own(workload.value.applications, app) as { owner?: string } | undefined;
  if (!entry) {
    const guess = didYouMean(app, apps);
    return refuse(`${WORKLOAD_FILE} declares no application '${app}'${guess ? `: did you mean '${guess}'?` : ''} (known: ${apps.join(', ') || 'none'}); to start one, run npx dynconf new app ${app} --owner <team>`, { usage: true });
  }
  const file = `${FLAGS_DIR}/${app}.json`;
  const kind = tree.kind(file);
  if (kind === undefined) return refuse(`${file} does not exist: run npx dynconf new app ${app}, which writes every missing piece of '${app}'`);
  if (kind !== 'file') return refuse(`${file} is not a file: run \`npx dynconf validate\` to see why, and fix it first`);
  const text = decode(tree.read(file));
  const value = safeParse(text) as { flags?: Record<string, unknown> } | undefined;
  if (value === undefined || typeof value.flags !== 'object' || value.flags === null) return refuse(`${file} does not parse as a flags file: run \`npx dynconf validate\` to see why, and fix it first`);
  if (Object.hasOwn(value.flags, flag)) {
    return refuse(`flag '${flag}' already exists in ${file} (line ${lineOfKey(text, ['flags', flag])}): pick another key, or edit that one`);
  }
  const environments = Object.keys(workload.value.environments ?? {});
  const definition: Record<string, unknown> = { name: flagName(flag), owner: entry.owner };
  if (expires) definition.expires = expires;
  definition.exposure = request.exposure ?? 'server';
  definition.default = { enabled: false };
  definition.environments = Object.fromEntries(environments.map((env) => [env, { enabled: false }]));
  const content = insertProperty(text, ['flags'], flag, definition);
  const staged = new Map<string, FileEdit>([
    [file, { file, previous: text, content, summary: `flags.${flag}: disabled in ${environments.join(', ')}; exposure ${definition.exposure}; ${expires ? `expires ${expires}` : 'no expiry'}` }],
  ]);
  const after = loadWorkspace(new OverlayTree(tree, contents(staged)), { today: day });
  if (!after.model) return refuse(wouldFail(staged), { diagnostics: errorsOf(after.diagnostics) });
  return {
    ok: true,
    plan: {
      edits: [...staged.values()],
      kept: [],
      next: [
        `turn it on where you want it: set "enabled": true under flags.${flag}.environments.<env> in ${file} (add attributes or variants there too)`,
        `then: npx dynconf validate, and npx dynconf diff --base <main branch> to see what each environment gets`,
      ],
      warnings: after.diagnostics.filter((d) => d.severity === 'warning' && d.file === file && d.field === flag),
    },
  };
}

function wouldFail(staged: ReadonlyMap<string, FileEdit>): string {
  return `nothing was written: with ${[...staged.keys()].join(', ')} written, validate would report the errors above; fix them and run the command again`;
}

function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

function contents(staged: ReadonlyMap<string, FileEdit>): Map<string, string> {
  return new Map([...staged].map(([file, e]) => [file, e.content]));
}

interface WorkloadText {
  readonly text: string;
  readonly value: { applications?: Record<string, unknown>; environments?: Record<string, unknown> };
}

/** workload.json's text and value, or why the command cannot start from it. */
function readWorkload(tree: SourceTree): WorkloadText | string {
  if (tree.kind(WORKLOAD_FILE) !== 'file') return `${WORKLOAD_FILE} is missing or not a file: run \`npx dynconf validate\` to see why`;
  const text = decode(tree.read(WORKLOAD_FILE));
  const value = safeParse(text);
  if (value === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${WORKLOAD_FILE} does not parse: run \`npx dynconf validate\` to see where, and fix it first`;
  }
  const applications = (value as { applications?: unknown }).applications;
  if (applications !== undefined && (typeof applications !== 'object' || applications === null || Array.isArray(applications))) {
    return `"applications" in ${WORKLOAD_FILE} is not an object: run \`npx dynconf validate\` to see where, and fix it first`;
  }
  return { text, value: value as WorkloadText['value'] };
}

function own(record: Record<string, unknown> | undefined, key: string): unknown {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

/** YYYY-MM-DD `days` after a YYYY-MM-DD date, in UTC (so no day is 23 hours long). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** `new-checkout` and `newCheckout` -> `New checkout`; the key itself when that would exceed the 64 characters of a flag name. */
export function flagName(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .trim()
    .toLowerCase();
  const name = words.charAt(0).toUpperCase() + words.slice(1);
  return name.length >= 1 && name.length <= 64 ? name : key;
}

/** The `$schema` the workspace's flags files use (its own path to the schema), from the first that has one. */
function siblingFlagsSchemaRef(tree: SourceTree): string | undefined {
  for (const entry of tree.list(FLAGS_DIR) ?? []) {
    if (entry.kind !== 'file' || !entry.name.endsWith('.json')) continue;
    const ref = (safeParse(decode(tree.read(`${FLAGS_DIR}/${entry.name}`))) as { $schema?: unknown } | undefined)?.$schema;
    if (typeof ref === 'string') return ref;
  }
  return undefined;
}

function lineOfKey(text: string, jsonPath: string[]): number {
  const node = findNodeAtLocation(parseTree(text)!, jsonPath);
  const offset = node?.parent?.offset ?? 0;
  return text.slice(0, offset).split('\n').length;
}

// ---------------------------------------------------------------------------------------
// Text edits that keep a file's own formatting: its indentation unit, its line ends, whether
// it writes small objects on one line, and any comment at the end of the last entry's line.
// jsonc-parser's own formatter is not used: it reformats the sibling before the insertion.

interface TextStyle {
  readonly eol: string;
  readonly unit: string;
  /** The file writes an object of plain values on one line: `{ "enabled": false }`. */
  readonly inlineLeaves: boolean;
}

export function detectStyle(text: string): TextStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /^([ \t]+)\S/m.exec(text)?.[1];
  const unit = indented === undefined ? '  ' : indented.startsWith('\t') ? '\t' : indented;
  // Small objects on one line when the file writes one that way, or when it shows no
  // object of plain values written over several lines either.
  const inlineLeaf = /\{[ \t]*"[^"\r\n]*"[ \t]*:[^\r\n{}[\]]*\}/.test(text);
  const plain = String.raw`"[^"\r\n]*"[ \t]*:[ \t]*("[^"\r\n]*"|[-+.\deE]+|true|false|null)[ \t]*`;
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant `plain` above, no input
  const expandedLeaf = new RegExp(String.raw`\{[ \t]*\r?\n[ \t]*${plain}(,[ \t]*\r?\n[ \t]*${plain})*\r?\n[ \t]*\}`).test(text);
  return { eol, unit, inlineLeaves: inlineLeaf || !expandedLeaf };
}

/** A new file in the style of an existing one (workload.json), ending with a line end. */
function renderFile(value: unknown, styleOf: string): string {
  const style = detectStyle(styleOf);
  return `${renderValue(value, '', style, true)}${style.eol}`;
}

function isPlain(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

export function renderValue(value: unknown, indent: string, style: TextStyle, expand = false): string {
  if (isPlain(value)) return JSON.stringify(value);
  const inner = indent + style.unit;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isPlain)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[${style.eol}${value.map((v) => inner + renderValue(v, inner, style)).join(`,${style.eol}`)}${style.eol}${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  if (style.inlineLeaves && !expand && entries.every(([, v]) => isPlain(v))) return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
  return `{${style.eol}${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${renderValue(v, inner, style)}`).join(`,${style.eol}`)}${style.eol}${indent}}`;
}

function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/**
 * Add `key: value` as the last property of the object at `parentPath`, creating the
 * parent objects that are missing, and leave every other byte as it was.
 */
export function insertProperty(text: string, parentPath: readonly string[], key: string, value: unknown): string {
  const root = parseTree(text);
  if (!root || root.type !== 'object') throw new Error('insertProperty: the text is not a JSON object');
  const parent = findNodeAtLocation(root, [...parentPath]);
  if (!parent) return insertProperty(text, parentPath.slice(0, -1), parentPath.at(-1)!, { [key]: value });
  if (parent.type !== 'object') throw new Error(`insertProperty: ${parentPath.join('.')} is not an object`);
  const style = detectStyle(text);
  if (!text.slice(root.offset, root.offset + root.length).includes('\n')) {
    // A document on one line has no layout to keep, and a flag on that line would be unreadable: lay it out.
    const whole = JSON.parse(text) as Record<string, unknown>;
    let target = whole;
    for (const k of parentPath) target = target[k] as Record<string, unknown>;
    target[key] = value;
    return `${text.slice(0, root.offset)}${renderValue(whole, '', style, true)}${text.slice(root.offset + root.length)}`;
  }
  const parentIndent = lineIndent(text, (parent.parent as Node | undefined)?.offset ?? parent.offset);
  const props = parent.children ?? [];
  const open = parent.offset;
  const close = parent.offset + parent.length - 1;
  const edits: Edit[] = [];
  if (props.length === 0) {
    const childIndent = parentIndent + style.unit;
    const property = `${JSON.stringify(key)}: ${renderValue(value, childIndent, style)}`;
    const inside = text.slice(open + 1, close);
    if (/^\s*$/.test(inside)) edits.push({ offset: open + 1, length: inside.length, content: `${style.eol}${childIndent}${property}${style.eol}${parentIndent}` });
    else edits.push({ offset: open + 1, length: 0, content: `${style.eol}${childIndent}${property}` });
  } else {
    const last = props.at(-1)!;
    const end = last.offset + last.length;
    if (!text.slice(open, close).includes('\n')) {
      // `{ "a": 1 }` stays on one line.
      edits.push({ offset: end, length: 0, content: `, ${JSON.stringify(key)}: ${renderValue(value, parentIndent, { ...style, inlineLeaves: true })}` });
    } else {
      const childIndent = lineIndent(text, props[0]!.offset);
      const property = `${JSON.stringify(key)}: ${renderValue(value, childIndent, style)}`;
      // A comment after the last property stays on its line, after the new comma.
      // eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
      const rest = /^[ \t]*(\/\/[^\r\n]*|\/\*[^\r\n]*?\*\/[ \t]*)?/.exec(text.slice(end))!;
      const insertAt = rest[1] ? end + rest[0].length : end;
      edits.push({ offset: end, length: 0, content: ',' });
      edits.push({ offset: insertAt, length: 0, content: `${style.eol}${childIndent}${property}` });
    }
  }
  return applyEdits(text, edits);
}

// ---------------------------------------------------------------------------------------

/** The workspace as it would be with `files` written: what the loader checks before anything is. */
export class OverlayTree implements SourceTree {
  constructor(
    private readonly base: SourceTree,
    private readonly files: ReadonlyMap<string, string>,
  ) {}

  get label(): string {
    return this.base.label;
  }

  private hasStagedUnder(dir: string): boolean {
    for (const f of this.files.keys()) if (f.startsWith(`${dir}/`)) return true;
    return false;
  }

  kind(relPath: string): EntryKind | undefined {
    if (this.files.has(relPath)) return 'file';
    const kind = this.base.kind(relPath);
    return kind ?? (this.hasStagedUnder(relPath) ? 'directory' : undefined);
  }

  problem(relPath: string): EntryProblem | undefined {
    return this.files.has(relPath) ? undefined : this.base.problem(relPath);
  }

  list(relDir: string): DirEntry[] | undefined {
    const listed = this.base.list(relDir);
    if (!listed && !this.hasStagedUnder(relDir)) return undefined;
    const byName = new Map((listed ?? []).map((e) => [e.name, e]));
    for (const f of this.files.keys()) {
      if (!f.startsWith(`${relDir}/`)) continue;
      const rest = f.slice(relDir.length + 1);
      const name = rest.split('/')[0]!;
      byName.set(name, { name, kind: rest.includes('/') ? 'directory' : 'file' });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  read(relPath: string): Uint8Array {
    const staged = this.files.get(relPath);
    return staged === undefined ? this.base.read(relPath) : Buffer.from(staged, 'utf8');
  }
}
