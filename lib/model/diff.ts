/**
 * Semantic difference between two compiled models: what each environment will see
 * change, in words a reviewer checks ("new-checkout enabled false -> true"), and the
 * pipeline step that a change reaches first.
 */
import type { Model, ProfileName } from './model';

/** The part of a subject a change is about; with `kind`, `path` and `variant` it says what changed without parsing `detail`. */
export type ChangeTarget =
  /** A whole application (subject: the application). */
  | 'application'
  /** A whole flag, added or removed in this environment (subject: the flag key). */
  | 'flag'
  /** A leaf of the flag's definition: name, description, attribute constraints, `expires`. */
  | 'definition'
  /** A leaf of the flag's value in this environment (`enabled`, an attribute), or the whole value when it gains or loses variants. */
  | 'value'
  /** A variant added or removed, or a leaf of one (`variant` names it). */
  | 'variant'
  /** The order variants are tried in (before/after: the names). */
  | 'variant-order'
  /** The flag's exposure: whether the browser profile carries it. */
  | 'exposure'
  /** A leaf of the ops document (subject and path: the dotted key). */
  | 'ops'
  /** The ops profile's JSON Schema validator. */
  | 'ops-schema'
  /** A leaf of workload.json (subject and path: the dotted key). */
  | 'workload';

export interface Change {
  readonly environment: string;
  readonly application: string;
  readonly profile: ProfileName | 'workload';
  /** The flag key, ops path, or workload path. */
  readonly subject: string;
  /** What happened at `path`: a leaf added, removed or changed. */
  readonly kind: 'added' | 'removed' | 'changed';
  readonly target: ChangeTarget;
  /**
   * Dotted path of what changed: inside the flag's value, definition or variant for flag
   * changes (`enabled`, `rolloutPercent`, `expires`, `rule`); from the document's root for
   * ops and workload changes (then equal to `subject`); '' for the whole subject.
   */
  readonly path: string;
  /** The variant's name, for `target: 'variant'`. */
  readonly variant?: string;
  /** The JSON value before, absent when `kind` is 'added' (and for a schema change). */
  readonly before?: Json;
  /** The JSON value after, absent when `kind` is 'removed' (and for a schema change). */
  readonly after?: Json;
  /** The words the text and markdown output print ("enabled false -> true"), written from the fields above by describeChange. */
  readonly detail: string;
}

/** A pipeline step as the diff reports it: 1-based, with the count, as the text says "step 3 of 4". */
export interface DiffStep {
  /** 1-based position in the pipeline. */
  readonly number: number;
  /** How many steps the pipeline has. */
  readonly of: number;
  readonly kind: 'stage' | 'wave';
  readonly name: string;
  readonly manualApproval: boolean;
}

export interface EnvironmentChanges {
  readonly environment: string;
  readonly step: DiffStep;
  readonly changes: readonly Change[];
}

export interface ModelDiff {
  /** Environments with changes, in pipeline order. */
  readonly environments: readonly EnvironmentChanges[];
  /** Changes to the workload itself (pipeline, strategies, monitors, clusters). */
  readonly workload: readonly Change[];
  readonly stepCount: number;
}

/** A JSON value, as the compiled documents and workload.json hold them. */
export type DiffValue = Json;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A change without its words: describeChange writes `detail` from the rest. */
type Fields = Omit<Change, 'environment' | 'application' | 'detail'>;

/**
 * The words for a change, from its structured fields only: the text output, the markdown
 * and the JSON's `detail` are one rendering of the same facts.
 */
export function describeChange(c: Fields): string {
  // `prefix` names where the leaf is when the line does not already (ops and workload lines print the path as their subject).
  const leaf = (prefix: string, withPath = true) => {
    const at = withPath && c.path ? `${prefix}${c.path} ` : prefix;
    if (c.kind === 'added') return `${at}added: ${show(c.after ?? null)}`;
    if (c.kind === 'removed') return `${at}removed (was ${show(c.before ?? null)})`;
    return `${at}${show(c.before ?? null)} -> ${show(c.after ?? null)}`;
  };
  switch (c.target) {
    case 'application':
      return c.kind === 'added' ? `application added with ${Array.isArray(c.after) ? c.after.length : 0} flags` : 'application removed';
    case 'flag':
      return c.kind === 'added' ? `added: ${describeValue(c.after ?? null)}` : 'removed';
    case 'definition':
      return leaf('definition ');
    case 'value':
      if (c.path === '') return `${describeValue(c.before ?? null)} -> ${describeValue(c.after ?? null)}`;
      return leaf('');
    case 'variant':
      if (c.path === '') return c.kind === 'added' ? `variant '${c.variant}' added: ${describeVariant(obj(c.after))}` : `variant '${c.variant}' removed`;
      return leaf(`variant '${c.variant}' `);
    case 'variant-order':
      return `variant order ${names(c.before)} -> ${names(c.after)}`;
    case 'exposure':
      return c.after === 'browser' ? 'exposure server -> browser (now sent to web pages)' : 'exposure browser -> server';
    case 'ops-schema':
      return 'validator schema changed';
    case 'ops':
    case 'workload':
      return leaf('', false);
  }
}

function names(v: Json | undefined): string {
  return (Array.isArray(v) ? v : []).map(String).join(', ');
}

export function diffModels(base: Model, head: Model): ModelDiff {
  const environments: EnvironmentChanges[] = [];
  const stepCount = head.pipeline.length;
  for (const step of head.pipeline) {
    for (const env of step.environments) {
      const changes: Change[] = [];
      const apps = new Set([...base.applications.map((a) => a.name), ...head.applications.map((a) => a.name)]);
      for (const app of [...apps].sort()) {
        const inBase = base.applications.find((a) => a.name === app);
        const inHead = head.applications.find((a) => a.name === app);
        const add = (c: Fields) => changes.push({ environment: env, application: app, ...c, detail: describeChange(c) });
        if (!inBase) {
          add({ profile: 'flags', subject: app, kind: 'added', target: 'application', path: '', after: [...inHead!.flagKeys] });
          continue;
        }
        if (!inHead) {
          add({ profile: 'flags', subject: app, kind: 'removed', target: 'application', path: '', before: [...inBase.flagKeys] });
          continue;
        }
        const baseFlags = documentJson(base, env, app, 'flags');
        const headFlags = documentJson(head, env, app, 'flags');
        diffFlagDocuments(baseFlags, headFlags).forEach(add);
        for (const key of inHead.browserFlagKeys) {
          if (inHead.flagKeys.includes(key) && inBase.flagKeys.includes(key) && !inBase.browserFlagKeys.includes(key)) {
            add({ profile: 'browser', subject: key, kind: 'changed', target: 'exposure', path: 'exposure', before: 'server', after: 'browser' });
          }
        }
        for (const key of inBase.browserFlagKeys) {
          if (inHead.flagKeys.includes(key) && !inHead.browserFlagKeys.includes(key)) {
            add({ profile: 'browser', subject: key, kind: 'changed', target: 'exposure', path: 'exposure', before: 'browser', after: 'server' });
          }
        }
        for (const c of diffValues(documentJson(base, env, app, 'ops'), documentJson(head, env, app, 'ops'), '')) {
          add({ profile: 'ops', subject: c.subject, kind: c.kind, target: 'ops', path: c.subject, ...values(c) });
        }
        if (inBase.opsSchema !== inHead.opsSchema) add({ profile: 'ops', subject: 'schema.json', kind: 'changed', target: 'ops-schema', path: '' });
      }
      if (changes.length) {
        environments.push({ environment: env, step: { number: step.order + 1, of: stepCount, kind: step.kind, name: step.name, manualApproval: step.manualApproval }, changes });
      }
    }
  }
  const workload = diffValues(base.workload as unknown as Json, head.workload as unknown as Json, '').map((c): Change => {
    const fields: Fields = { profile: 'workload', subject: c.subject, kind: c.kind, target: 'workload', path: c.subject, ...values(c) };
    return { environment: '*', application: '*', ...fields, detail: describeChange(fields) };
  });
  return { environments, workload, stepCount };
}

/** The before/after of a leaf, without keys for the side that does not exist. */
function values(c: Leaf): { before?: Json; after?: Json } {
  return { ...(c.kind !== 'added' ? { before: c.before! } : {}), ...(c.kind !== 'removed' ? { after: c.after! } : {}) };
}

function documentJson(model: Model, env: string, app: string, profile: ProfileName): Json {
  const doc = model.documents.find((d) => d.environment === env && d.application === app && d.profile === profile);
  return doc ? (JSON.parse(doc.content) as Json) : null;
}

type Partial = Omit<Fields, 'profile'> & { profile: 'flags' };

function diffFlagDocuments(base: Json, head: Json): Partial[] {
  const out: Partial[] = [];
  const bf = obj(obj(base).flags);
  const hf = obj(obj(head).flags);
  const bv = obj(obj(base).values);
  const hv = obj(obj(head).values);
  for (const key of union(Object.keys(bf), Object.keys(hf))) {
    if (!Object.hasOwn(bf, key)) {
      out.push({ profile: 'flags', subject: key, kind: 'added', target: 'flag', path: '', after: hv[key] ?? null });
      continue;
    }
    if (!Object.hasOwn(hf, key)) {
      out.push({ profile: 'flags', subject: key, kind: 'removed', target: 'flag', path: '', before: bv[key] ?? null });
      continue;
    }
    for (const c of diffValues(asWritten(bf[key] ?? null), asWritten(hf[key] ?? null), '')) {
      out.push({ profile: 'flags', subject: key, kind: c.kind, target: 'definition', path: c.subject, ...values(c) });
    }
    out.push(...diffFlagValue(key, bv[key] ?? null, hv[key] ?? null));
  }
  return out;
}

/**
 * A compiled flag definition with AppConfig's `_deprecation` ({date, status}) as the source's
 * `expires` date: the diff names what the author wrote. The status follows from the date and
 * the day both sides are compiled on, so it says nothing the date does not.
 */
function asWritten(definition: Json): Json {
  const { _deprecation, ...rest } = obj(definition);
  const date = obj(_deprecation).date;
  return date === undefined ? rest : { ...rest, expires: date };
}

function diffFlagValue(key: string, base: Json, head: Json): Partial[] {
  const b = obj(base);
  const h = obj(head);
  const bVariants = Array.isArray(b._variants) ? (b._variants as Json[]) : undefined;
  const hVariants = Array.isArray(h._variants) ? (h._variants as Json[]) : undefined;
  const flag = { profile: 'flags', subject: key } as const;
  if (!bVariants && !hVariants) {
    return diffValues(base, head, '').map((c) => ({ ...flag, kind: c.kind, target: 'value', path: c.subject, ...values(c) }));
  }
  if (!bVariants || !hVariants) {
    return [{ ...flag, kind: 'changed', target: 'value', path: '', before: base, after: head }];
  }
  const out: Partial[] = [];
  const byName = (list: Json[]) => new Map(list.map((v) => [String(obj(v).name), obj(v)]));
  const bm = byName(bVariants);
  const hm = byName(hVariants);
  for (const name of union([...bm.keys()], [...hm.keys()])) {
    const variant = { ...flag, target: 'variant', variant: name } as const;
    if (!bm.has(name)) out.push({ ...variant, kind: 'added', path: '', after: hm.get(name)! });
    else if (!hm.has(name)) out.push({ ...variant, kind: 'removed', path: '', before: bm.get(name)! });
    else for (const c of diffValues(bm.get(name)!, hm.get(name)!, '')) out.push({ ...variant, kind: c.kind, path: c.subject, ...values(c) });
  }
  const bOrder = [...bm.keys()].filter((n) => hm.has(n));
  const hOrder = [...hm.keys()].filter((n) => bm.has(n));
  if (bOrder.join('\n') !== hOrder.join('\n')) out.push({ ...flag, kind: 'changed', target: 'variant-order', path: '', before: bOrder, after: hOrder });
  return out;
}

/** One leaf of diffValues: `detail` for readers that print it, before/after for the structured diff. */
interface Leaf {
  readonly subject: string;
  readonly kind: Change['kind'];
  readonly detail: string;
  /** Absent when kind is 'added'. */
  readonly before?: Json;
  /** Absent when kind is 'removed'. */
  readonly after?: Json;
}

/** Leaf-by-leaf difference of two JSON values, in words; arrays compare whole. */
export function diffLeaves(base: Json, head: Json, at: string): { subject: string; kind: Change['kind']; detail: string }[] {
  return diffValues(base, head, at).map(({ subject, kind, detail }) => ({ subject, kind, detail }));
}

/** As diffLeaves, with each leaf's values. */
function diffValues(base: Json, head: Json, at: string): Leaf[] {
  const isObj = (v: Json): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(base) && isObj(head)) {
    const out: Leaf[] = [];
    for (const k of union(Object.keys(base), Object.keys(head))) {
      const p = at ? `${at}.${k}` : k;
      // Own keys only: a key named like a built-in (toString) must not find Object.prototype's.
      if (!Object.hasOwn(base, k)) out.push({ subject: p, kind: 'added', detail: `added: ${show(head[k]!)}`, after: head[k]! });
      else if (!Object.hasOwn(head, k)) out.push({ subject: p, kind: 'removed', detail: `removed (was ${show(base[k]!)})`, before: base[k]! });
      else out.push(...diffValues(base[k]!, head[k]!, p));
    }
    return out;
  }
  if (JSON.stringify(base) === JSON.stringify(head)) return [];
  return [{ subject: at || '(value)', kind: 'changed', detail: `${show(base)} -> ${show(head)}`, before: base, after: head }];
}

function describeValue(v: Json): string {
  const o = obj(v);
  if (Array.isArray(o._variants)) return `variants ${(o._variants as Json[]).map((x) => String(obj(x).name)).join(', ')}`;
  const attrs = Object.entries(o).filter(([k]) => k !== 'enabled');
  return `enabled ${show(o.enabled ?? null)}${attrs.length ? `, ${attrs.map(([k, x]) => `${k} ${show(x)}`).join(', ')}` : ''}`;
}

function describeVariant(v: { [k: string]: Json }): string {
  return `${v.rule !== undefined ? `rule ${show(v.rule)}, ` : ''}enabled ${show(v.enabled ?? null)}`;
}

function show(v: Json): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function obj(v: Json | undefined): { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a);
  return [...a, ...b.filter((x) => !seen.has(x))];
}
