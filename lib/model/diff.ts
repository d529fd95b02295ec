/**
 * Semantic difference between two compiled models: what each environment will see
 * change, in words a reviewer checks ("new-checkout enabled false -> true"), and the
 * pipeline step that a change reaches first.
 */
import type { Model, ProfileName } from './model';
import type { PipelineStep } from './workload';

export interface Change {
  readonly environment: string;
  readonly application: string;
  readonly profile: ProfileName | 'workload';
  /** The flag key, ops path, or workload section. */
  readonly subject: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** e.g. "enabled false -> true". */
  readonly detail: string;
}

export interface EnvironmentChanges {
  readonly environment: string;
  readonly step: PipelineStep;
  readonly changes: readonly Change[];
}

export interface ModelDiff {
  /** Environments with changes, in pipeline order. */
  readonly environments: readonly EnvironmentChanges[];
  /** Changes to the workload itself (pipeline, strategies, monitors, clusters). */
  readonly workload: readonly Change[];
  readonly stepCount: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function diffModels(base: Model, head: Model): ModelDiff {
  const environments: EnvironmentChanges[] = [];
  for (const step of head.pipeline) {
    for (const env of step.environments) {
      const changes: Change[] = [];
      const apps = new Set([...base.applications.map((a) => a.name), ...head.applications.map((a) => a.name)]);
      for (const app of [...apps].sort()) {
        const inBase = base.applications.find((a) => a.name === app);
        const inHead = head.applications.find((a) => a.name === app);
        const add = (c: Omit<Change, 'environment' | 'application'>) => changes.push({ environment: env, application: app, ...c });
        if (!inBase) {
          add({ profile: 'flags', subject: app, kind: 'added', detail: `application added with ${inHead!.flagKeys.length} flags` });
          continue;
        }
        if (!inHead) {
          add({ profile: 'flags', subject: app, kind: 'removed', detail: 'application removed' });
          continue;
        }
        const baseFlags = documentJson(base, env, app, 'flags');
        const headFlags = documentJson(head, env, app, 'flags');
        diffFlagDocuments(baseFlags, headFlags).forEach(add);
        for (const key of inHead.browserFlagKeys) {
          if (inHead.flagKeys.includes(key) && inBase.flagKeys.includes(key) && !inBase.browserFlagKeys.includes(key)) {
            add({ profile: 'browser', subject: key, kind: 'changed', detail: 'exposure server -> browser (now sent to web pages)' });
          }
        }
        for (const key of inBase.browserFlagKeys) {
          if (inHead.flagKeys.includes(key) && !inHead.browserFlagKeys.includes(key)) {
            add({ profile: 'browser', subject: key, kind: 'changed', detail: 'exposure browser -> server' });
          }
        }
        diffLeaves(documentJson(base, env, app, 'ops'), documentJson(head, env, app, 'ops'), '').forEach((c) => add({ profile: 'ops', ...c }));
        if (inBase.opsSchema !== inHead.opsSchema) add({ profile: 'ops', subject: 'schema.json', kind: 'changed', detail: 'validator schema changed' });
      }
      if (changes.length) environments.push({ environment: env, step, changes });
    }
  }
  const workload = diffLeaves(base.workload as unknown as Json, head.workload as unknown as Json, '').map(
    (c): Change => ({ environment: '*', application: '*', profile: 'workload', ...c }),
  );
  return { environments, workload, stepCount: head.pipeline.length };
}

function documentJson(model: Model, env: string, app: string, profile: ProfileName): Json {
  const doc = model.documents.find((d) => d.environment === env && d.application === app && d.profile === profile);
  return doc ? (JSON.parse(doc.content) as Json) : null;
}

type Partial = Omit<Change, 'environment' | 'application'>;

function diffFlagDocuments(base: Json, head: Json): Partial[] {
  const out: Partial[] = [];
  const bf = obj(obj(base).flags);
  const hf = obj(obj(head).flags);
  const bv = obj(obj(base).values);
  const hv = obj(obj(head).values);
  for (const key of union(Object.keys(bf), Object.keys(hf))) {
    if (!Object.hasOwn(bf, key)) {
      out.push({ profile: 'flags', subject: key, kind: 'added', detail: `added: ${describeValue(hv[key] ?? null)}` });
      continue;
    }
    if (!Object.hasOwn(hf, key)) {
      out.push({ profile: 'flags', subject: key, kind: 'removed', detail: 'removed' });
      continue;
    }
    for (const c of diffLeaves(bf[key] ?? null, hf[key] ?? null, '')) {
      out.push({ profile: 'flags', subject: key, kind: 'changed', detail: `definition ${c.subject.replace('_deprecation.date', 'expires')} ${c.detail}` });
    }
    out.push(...diffFlagValue(key, bv[key] ?? null, hv[key] ?? null));
  }
  return out;
}

function diffFlagValue(key: string, base: Json, head: Json): Partial[] {
  const b = obj(base);
  const h = obj(head);
  const bVariants = Array.isArray(b._variants) ? (b._variants as Json[]) : undefined;
  const hVariants = Array.isArray(h._variants) ? (h._variants as Json[]) : undefined;
  const change = (detail: string): Partial => ({ profile: 'flags', subject: key, kind: 'changed', detail });
  if (!bVariants && !hVariants) {
    return diffLeaves(base, head, '').map((c) => change(`${c.subject} ${c.detail}`));
  }
  if (!bVariants || !hVariants) {
    return [change(`${describeValue(base)} -> ${describeValue(head)}`)];
  }
  const out: Partial[] = [];
  const byName = (list: Json[]) => new Map(list.map((v) => [String(obj(v).name), obj(v)]));
  const bm = byName(bVariants);
  const hm = byName(hVariants);
  for (const name of union([...bm.keys()], [...hm.keys()])) {
    if (!bm.has(name)) out.push(change(`variant '${name}' added: ${describeVariant(hm.get(name)!)}`));
    else if (!hm.has(name)) out.push(change(`variant '${name}' removed`));
    else for (const c of diffLeaves(bm.get(name)!, hm.get(name)!, '')) out.push(change(`variant '${name}' ${c.subject} ${c.detail}`));
  }
  const bOrder = [...bm.keys()].filter((n) => hm.has(n));
  const hOrder = [...hm.keys()].filter((n) => bm.has(n));
  if (bOrder.join('\n') !== hOrder.join('\n')) out.push(change(`variant order ${bOrder.join(', ')} -> ${hOrder.join(', ')}`));
  return out;
}

/** Leaf-by-leaf difference of two JSON values; arrays compare whole. */
export function diffLeaves(base: Json, head: Json, at: string): { subject: string; kind: Change['kind']; detail: string }[] {
  const isObj = (v: Json): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(base) && isObj(head)) {
    const out: { subject: string; kind: Change['kind']; detail: string }[] = [];
    for (const k of union(Object.keys(base), Object.keys(head))) {
      const p = at ? `${at}.${k}` : k;
      // Own keys only: a key named like a built-in (toString) must not find Object.prototype's.
      if (!Object.hasOwn(base, k)) out.push({ subject: p, kind: 'added', detail: `added: ${show(head[k]!)}` });
      else if (!Object.hasOwn(head, k)) out.push({ subject: p, kind: 'removed', detail: `removed (was ${show(base[k]!)})` });
      else out.push(...diffLeaves(base[k]!, head[k]!, p));
    }
    return out;
  }
  if (JSON.stringify(base) === JSON.stringify(head)) return [];
  return [{ subject: at || '(value)', kind: 'changed', detail: `${show(base)} -> ${show(head)}` }];
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
