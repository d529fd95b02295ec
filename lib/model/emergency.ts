/**
 * What may take the emergency lane: a change that only makes things safer. Between two
 * compiled models (what is deployed, and the change), every difference is listed with
 * whether it qualifies and why:
 *
 * - flags (and the `browser` profile, which carries the same flags): a flag switched off in
 *   an environment (enabled true -> false, nothing else changing), or a flag with variants
 *   whose every variant becomes disabled, nothing else changing;
 * - ops: a key whose property the app's schema.json marks `x-dynconf-emergency`, changing
 *   in the marked direction (`any`, `decrease`, `increase`), with schema.json unchanged;
 * - nothing else: additions and removals (applications, environments, flags, keys),
 *   switching on, rules, variants, attributes, definitions, exposure, unmarked keys, the
 *   schema, workload.json and config/layout.json.
 *
 * Differences are what AppConfig would see (compiled documents, the validator schema) and
 * what the pipeline is built from (workload, layout). A source edit that changes none of
 * these (formatting, key order, a flag's owner) deploys nothing and is not a difference.
 */
import { diffLeaves } from './diff';
import type { ConfigDocument, Model, ProfileName } from './model';
import { emergencyMarkAt, type EmergencyMark } from './ops';
import { parseJson, type JsonFile, type SourceTree } from './source';
import { Diagnostics } from './diagnostics';

export type EmergencySubject = ProfileName | 'workload' | 'layout';

export interface EmergencyChange {
  /** `*` for a change that is not about one application (workload, layout). */
  readonly application: string;
  /** `*` for a change that is not about one environment (schema, workload, layout). */
  readonly environment: string;
  readonly profile: EmergencySubject;
  /** The flag key, the ops path (`throttling.burst`), or the path in the file. */
  readonly key: string;
  /** Where the change is written: the head's file, or the base's for a removal. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly qualifies: boolean;
  /** Why it does or does not qualify, in words for the person in the incident. */
  readonly why: string;
}

/** A document whose compiled bytes differ from the base's (or that the base lacks): what the lane deploys. */
export interface ChangedDocument {
  readonly environment: string;
  readonly application: string;
  readonly profile: ProfileName;
  /** The head's bytes, exactly as build writes them. */
  readonly content: string;
}

export interface EmergencyReport {
  /** Every difference, qualifying or not, in pipeline order of environments. */
  readonly changes: readonly EmergencyChange[];
  readonly changedDocuments: readonly ChangedDocument[];
  /** Every change qualifies (true, vacuously, when there is none: nothing to deploy). */
  readonly qualifies: boolean;
}

/** The trees the two models were loaded from, to give each change its file:line. */
export interface EmergencySources {
  readonly base: SourceTree;
  readonly head: SourceTree;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

export function emergencyChanges(base: Model, head: Model, sources?: EmergencySources): EmergencyReport {
  const where = { base: new Locator(sources?.base), head: new Locator(sources?.head) };
  const changes: EmergencyChange[] = [];

  const baseApps = new Map(base.applications.map((a) => [a.name, a]));
  const baseEnvs = new Set(base.environments);
  // Applications and environments that come or go are workload changes, reported there once.
  const apps = head.applications.filter((a) => baseApps.has(a.name));
  const envs = orderedEnvironments(head).filter((e) => baseEnvs.has(e));

  for (const app of apps) {
    const schemaFile = `config/ops/${app.name}/schema.json`;
    const baseSchema = JSON.parse(baseApps.get(app.name)!.opsSchema) as Json;
    const headSchema = JSON.parse(app.opsSchema) as Json;
    if (baseApps.get(app.name)!.opsSchema !== app.opsSchema) {
      for (const c of diffPaths(baseSchema, headSchema)) {
        const side = c.kind === 'removed' ? where.base : where.head;
        changes.push({
          application: app.name,
          environment: '*',
          profile: 'ops',
          key: `schema.json ${formatKey(c.path)}`,
          ...side.at(schemaFile, [c.path]),
          qualifies: false,
          why: `schema.json changed (${c.detail}): an emergency change runs under the validator and marks already deployed; change the schema through the pipeline`,
        });
      }
    }
    for (const env of envs) {
      for (const profile of ['flags', 'browser'] as const) {
        changes.push(...flagChanges(base, head, app.name, env, profile, where));
      }
      changes.push(...opsChanges(base, head, app.name, env, { base: baseSchema, head: headSchema }, where));
    }
  }

  changes.push(...workloadChanges(base, head, where));
  changes.push(...layoutChanges(base, head, where));

  return { changes, changedDocuments: changedDocuments(base, head), qualifies: changes.every((c) => c.qualifies) };
}

/** Head documents whose bytes differ from the base's, or that the base does not have. */
function changedDocuments(base: Model, head: Model): ChangedDocument[] {
  const baseDocs = new Map(base.documents.map((d) => [docKey(d), d]));
  const out: ChangedDocument[] = [];
  for (const env of orderedEnvironments(head)) {
    for (const d of head.documents) {
      if (d.environment !== env) continue;
      const b = baseDocs.get(docKey(d));
      if (b && b.content === d.content) continue;
      out.push({ environment: d.environment, application: d.application, profile: d.profile, content: d.content });
    }
  }
  return out;
}

function docKey(d: Pick<ConfigDocument, 'environment' | 'application' | 'profile'>): string {
  return `${d.environment}\0${d.application}\0${d.profile}`;
}

/** The model's environments in pipeline order (stages, then waves), as `diff` lists them. */
function orderedEnvironments(model: Model): string[] {
  const ordered = model.pipeline.flatMap((s) => s.environments);
  return [...ordered, ...model.environments.filter((e) => !ordered.includes(e))];
}

function documentJson(model: Model, env: string, app: string, profile: ProfileName): Json | undefined {
  const doc = model.documents.find((d) => d.environment === env && d.application === app && d.profile === profile);
  return doc ? (JSON.parse(doc.content) as Json) : undefined;
}

// ---- flags and browser ----

function flagChanges(base: Model, head: Model, app: string, env: string, profile: 'flags' | 'browser', where: { base: Locator; head: Locator }): EmergencyChange[] {
  const b = obj(documentJson(base, env, app, profile) ?? null);
  const h = obj(documentJson(head, env, app, profile) ?? null);
  const bDefs = obj(b.flags);
  const hDefs = obj(h.flags);
  const bValues = obj(b.values);
  const hValues = obj(h.values);
  // For the browser profile, whether a flag that appears or disappears exists on the server side.
  const bAll = obj(obj(documentJson(base, env, app, 'flags') ?? null).flags);
  const hAll = obj(obj(documentJson(head, env, app, 'flags') ?? null).flags);
  const file = `flags/${app}.json`;
  const out: EmergencyChange[] = [];
  const add = (key: string, side: Locator, paths: Path[], qualifies: boolean, why: string) =>
    out.push({ application: app, environment: env, profile, key, ...side.at(file, paths), qualifies, why });

  for (const key of union(Object.keys(bDefs), Object.keys(hDefs))) {
    const flagPath: Path = ['flags', key];
    if (!Object.hasOwn(bDefs, key)) {
      const exposed = profile === 'browser' && Object.hasOwn(bAll, key);
      add(key, where.head, [[...flagPath, 'exposure'], flagPath], false, exposed ? 'exposure changed to browser: the flag would reach web pages, which is an ordinary change' : 'flag added: a new flag is an ordinary change; the emergency lane only switches existing flags off');
      continue;
    }
    if (!Object.hasOwn(hDefs, key)) {
      const hidden = profile === 'browser' && Object.hasOwn(hAll, key);
      if (hidden) add(key, where.head, [[...flagPath, 'exposure'], flagPath], false, 'exposure changed to server: an ordinary change (switch the flag off instead, and it is off for browsers too)');
      else add(key, where.base, [flagPath], false, 'flag removed: removing a flag is an ordinary change; switch it off instead');
      continue;
    }
    const definition = diffLeaves(bDefs[key] ?? null, hDefs[key] ?? null, '');
    if (definition.length > 0) {
      const subjects = definition.map((c) => `${c.subject.replace('_deprecation.date', 'expires')} ${c.detail}`).join('; ');
      add(key, where.head, [flagPath], false, `definition changed (${subjects}): only values may change in an emergency`);
    }
    const verdict = judgeFlagValue(bValues[key] ?? null, hValues[key] ?? null);
    if (verdict) add(key, where.head, valuePaths(key, env), verdict.qualifies, verdict.why);
  }
  return out;
}

/** Where a flag's value in an environment is written: its environment entry, else the default. */
function valuePaths(key: string, env: string): Path[] {
  const flag: Path = ['flags', key];
  return [
    [...flag, 'environments', env, 'enabled'],
    [...flag, 'environments', env, 'variants'],
    [...flag, 'environments', env],
    [...flag, 'default', 'enabled'],
    [...flag, 'default', 'variants'],
    [...flag, 'default'],
    flag,
  ];
}

/** Whether one flag's value change in one environment is a switch-off; undefined when it does not change. */
function judgeFlagValue(base: Json, head: Json): { qualifies: boolean; why: string } | undefined {
  if (JSON.stringify(base) === JSON.stringify(head)) return undefined;
  const b = obj(base);
  const h = obj(head);
  const bVariants = Array.isArray(b._variants) ? b._variants.map(obj) : undefined;
  const hVariants = Array.isArray(h._variants) ? h._variants.map(obj) : undefined;
  if (!bVariants && !hVariants) {
    const others = diffLeaves(withoutEnabled(b), withoutEnabled(h), '').map((c) => `${c.subject} ${c.detail}`);
    if (b.enabled === true && h.enabled === false && others.length === 0) return { qualifies: true, why: 'switched off (enabled true -> false)' };
    if (b.enabled === false && h.enabled === true) return { qualifies: false, why: 'switched on (enabled false -> true): only switching off may take the emergency lane' };
    const off = b.enabled === true && h.enabled === false ? 'switched off, but ' : '';
    return { qualifies: false, why: `${off}attribute values change (${others.join('; ')}): attribute changes are ordinary changes` };
  }
  if (!bVariants || !hVariants) {
    return {
      qualifies: false,
      why: bVariants
        ? 'the variants are replaced by a single value: keep the variants and set each one\'s "enabled" to false'
        : 'variants are introduced: an ordinary change',
    };
  }
  const names = (list: { [k: string]: Json }[]) => list.map((v) => String(v.name)).join(', ');
  if (names(bVariants) !== names(hVariants)) {
    return { qualifies: false, why: `variants change (${names(bVariants)} -> ${names(hVariants)}): adding, removing or reordering variants is an ordinary change` };
  }
  const others = bVariants.flatMap((v, i) => diffLeaves(withoutEnabled(v), withoutEnabled(hVariants[i]!), '').map((c) => `variant '${String(v.name)}' ${c.subject} ${c.detail}`));
  if (others.length > 0) return { qualifies: false, why: `${others.join('; ')}: rules and attribute values are ordinary changes` };
  const switchedOn = hVariants.filter((v, i) => v.enabled === true && bVariants[i]!.enabled !== true).map((v) => String(v.name));
  if (switchedOn.length > 0) return { qualifies: false, why: `variant ${switchedOn.map((n) => `'${n}'`).join(', ')} switched on: only switching off may take the emergency lane` };
  const stillOn = hVariants.filter((v) => v.enabled === true).map((v) => String(v.name));
  if (stillOn.length > 0) {
    return { qualifies: false, why: `only some variants are switched off (${stillOn.map((n) => `'${n}'`).join(', ')} stay on): the lane takes a flag with variants only when every variant is off` };
  }
  const off = bVariants.filter((v) => v.enabled === true).map((v) => String(v.name));
  return { qualifies: true, why: `every variant switched off (${off.map((n) => `'${n}'`).join(', ')} enabled true -> false)` };
}

function withoutEnabled(v: { [k: string]: Json }): Json {
  const { enabled: _enabled, ...rest } = v;
  return rest;
}

// ---- ops ----

function opsChanges(base: Model, head: Model, app: string, env: string, schemas: { base: Json; head: Json }, where: { base: Locator; head: Locator }): EmergencyChange[] {
  const b = documentJson(base, env, app, 'ops') ?? null;
  const h = documentJson(head, env, app, 'ops') ?? null;
  const out: EmergencyChange[] = [];
  const dir = `config/ops/${app}`;
  for (const c of diffPaths(b, h)) {
    const side = c.kind === 'removed' ? where.base : where.head;
    // The environment's override when it writes the path, else default.json.
    const file = side.has(`${dir}/${env}.json`, c.path) ? `${dir}/${env}.json` : `${dir}/default.json`;
    const at = side.at(file, [c.path]);
    const key = formatKey(c.path);
    const verdict = c.kind === 'changed' ? judgeOpsValue(c.before, c.after, emergencyMarkAt(schemas.base, c.path), emergencyMarkAt(schemas.head, c.path)) : undefined;
    out.push({
      application: app,
      environment: env,
      profile: 'ops',
      key,
      ...at,
      qualifies: verdict?.qualifies ?? false,
      why: verdict?.why ?? `key ${c.kind} (${c.detail}): adding or removing keys is an ordinary change`,
    });
  }
  return out;
}

function judgeOpsValue(before: Json, after: Json, baseMark: EmergencyMark | undefined, headMark: EmergencyMark | undefined): { qualifies: boolean; why: string } {
  const change = `${show(before)} -> ${show(after)}`;
  if (!headMark || !baseMark) {
    return { qualifies: false, why: `${change}: not marked x-dynconf-emergency in schema.json${headMark ? ' as deployed (the mark is new)' : ''}` };
  }
  if (baseMark !== headMark) return { qualifies: false, why: `${change}: the mark changes (${baseMark} -> ${headMark}) with the schema` };
  if (headMark === 'any') return { qualifies: true, why: `${change}: marked x-dynconf-emergency "any"` };
  if (typeof before !== 'number' || typeof after !== 'number') return { qualifies: false, why: `${change}: marked "${headMark}", which needs a number on both sides` };
  const ok = headMark === 'decrease' ? after < before : after > before;
  return ok
    ? { qualifies: true, why: `${change}: marked x-dynconf-emergency "${headMark}", and it goes ${headMark === 'decrease' ? 'down' : 'up'}` }
    : { qualifies: false, why: `${change}: goes ${after > before ? 'up' : 'down'}, but schema.json allows only "${headMark}" in an emergency` };
}

// ---- workload and layout ----

function workloadChanges(base: Model, head: Model, where: { base: Locator; head: Locator }): EmergencyChange[] {
  const file = 'config/workload.json';
  const strip = (w: unknown): Json => {
    const { $schema: _ignored, ...rest } = w as Record<string, Json>;
    return rest;
  };
  return diffPaths(strip(base.workload), strip(head.workload)).map((c) => ({
    application: '*',
    environment: '*',
    profile: 'workload' as const,
    key: formatKey(c.path),
    ...(c.kind === 'removed' ? where.base : where.head).at(file, [c.path]),
    qualifies: false,
    why: `${describeWorkloadPath(c.path, c.kind)} (${c.detail}): workload.json changes go through the pipeline`,
  }));
}

function describeWorkloadPath(p: Path, kind: DiffKind): string {
  if (p.length === 2 && p[0] === 'applications') return `application '${p[1]}' ${kind}`;
  if (p.length === 2 && p[0] === 'environments') return `environment '${p[1]}' ${kind}`;
  return `workload ${kind}`;
}

function layoutChanges(base: Model, head: Model, where: { base: Locator; head: Locator }): EmergencyChange[] {
  return diffPaths(base.layout.parts as Json, head.layout.parts as Json).map((c) => ({
    application: String(c.path[0] ?? '*'),
    environment: '*',
    profile: 'layout' as const,
    key: formatKey(['parts', ...c.path]),
    ...(c.kind === 'removed' ? where.base : where.head).at('config/layout.json', [['parts', ...c.path]]),
    qualifies: false,
    why: `stack part ${c.kind} (${c.detail}): moving an application between stacks goes through the pipeline`,
  }));
}

// ---- helpers ----

type DiffKind = 'added' | 'removed' | 'changed';

interface PathChange {
  readonly path: Path;
  readonly kind: DiffKind;
  readonly before: Json;
  readonly after: Json;
  readonly detail: string;
}

/** Leaf-by-leaf differences with paths as arrays (keys may contain dots); arrays compare whole. */
function diffPaths(base: Json, head: Json, at: Path = []): PathChange[] {
  const isObj = (v: Json): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(base) && isObj(head)) {
    const out: PathChange[] = [];
    for (const k of union(Object.keys(base), Object.keys(head))) {
      const p = [...at, k];
      if (!Object.hasOwn(base, k)) out.push({ path: p, kind: 'added', before: null, after: head[k]!, detail: `added: ${show(head[k]!)}` });
      else if (!Object.hasOwn(head, k)) out.push({ path: p, kind: 'removed', before: base[k]!, after: null, detail: `removed, was ${show(base[k]!)}` });
      else out.push(...diffPaths(base[k]!, head[k]!, p));
    }
    return out;
  }
  if (JSON.stringify(base) === JSON.stringify(head)) return [];
  return [{ path: at, kind: 'changed', before: base, after: head, detail: `${show(base)} -> ${show(head)}` }];
}

function formatKey(p: Path): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(root)';
}

function show(v: Json): string {
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function obj(v: Json | undefined): { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a);
  return [...a, ...b.filter((x) => !seen.has(x))];
}

/** Reads files of one side lazily, to locate changes; line 1 of the file when there is no tree or the file cannot be read. */
class Locator {
  private readonly files = new Map<string, JsonFile | undefined>();
  constructor(private readonly tree: SourceTree | undefined) {}

  private file(name: string): JsonFile | undefined {
    if (!this.tree) return undefined;
    if (!this.files.has(name)) {
      let json: JsonFile | undefined;
      try {
        json = this.tree.kind(name) === 'file' ? parseJson(name, this.tree.read(name), new Diagnostics()) : undefined;
      } catch {
        json = undefined;
      }
      this.files.set(name, json);
    }
    return this.files.get(name);
  }

  has(name: string, p: Path): boolean {
    let cur = this.file(name)?.value;
    for (const seg of p) {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return false;
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur !== undefined;
  }

  /** The first of `candidates` the file writes, else the nearest written ancestor of the last one. */
  at(name: string, candidates: Path[]): { file: string; line: number; column: number } {
    const json = this.file(name);
    if (!json) return { file: name, line: 1, column: 1 };
    const found = candidates.find((p) => this.has(name, p)) ?? candidates[candidates.length - 1]!;
    const loc = json.locate(found, found.length > 0 ? 'key' : 'value');
    return { file: name, line: loc.line, column: loc.column };
  }
}
