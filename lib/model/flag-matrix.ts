/**
 * Every flag of every application in every environment, as one table: what `dynconf flags`
 * shows. It is read from the compiled `flags` documents, the bytes AppConfig hosts and the
 * local agent serves, so the table cannot disagree with what is deployed.
 */
import type { Model } from './model';

/** One flag in one environment: either on/off with attribute values, or variants. */
export type FlagState = SimpleFlagState | VariantsFlagState;

export interface SimpleFlagState {
  readonly enabled: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface VariantsFlagState {
  /** In the order they are tried; the last has no rule and is served when nothing matches. */
  readonly variants: readonly VariantState[];
}

export interface VariantState {
  readonly name: string;
  readonly rule?: string;
  readonly enabled: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface FlagRow {
  readonly key: string;
  readonly name: string;
  readonly description?: string;
  /** YYYY-MM-DD, from the definition's `_deprecation`. */
  readonly expires?: string;
  readonly exposure: 'server' | 'browser';
  /** Declared attribute names, in the order the definition lists them. */
  readonly attributes: readonly string[];
  /** Environment name -> state, for every selected environment. */
  readonly environments: Readonly<Record<string, FlagState>>;
}

export interface ApplicationFlags {
  readonly name: string;
  readonly owner: string;
  /** In the order flags/<app>.json lists them. */
  readonly flags: readonly FlagRow[];
}

export interface FlagMatrix {
  /** Selected environments, in workload.json order. */
  readonly environments: readonly string[];
  /** Selected applications, in workload.json order. */
  readonly applications: readonly ApplicationFlags[];
}

export interface MatrixSelection {
  /** @default every environment */
  readonly environments?: readonly string[];
  /** @default every application */
  readonly applications?: readonly string[];
}

export function isVariants(state: FlagState): state is VariantsFlagState {
  return 'variants' in state;
}

/**
 * The matrix of the selected applications and environments. A name that the model does not
 * have is a caller's bug (the CLI checks names first and says which exist): it throws.
 */
export function flagMatrix(model: Model, selection: MatrixSelection = {}): FlagMatrix {
  const environments = pick('environment', model.environments, selection.environments);
  const applications = pick(
    'application',
    model.applications.map((a) => a.name),
    selection.applications,
  ).map((name): ApplicationFlags => {
    const app = model.applications.find((a) => a.name === name)!;
    const docs = new Map(environments.map((env) => [env, parseDocument(model, env, name)]));
    // Definitions are the same in every environment: read them from the first the model has,
    // whichever environments are selected.
    const definitions = docs.get(model.environments[0]!) ?? parseDocument(model, model.environments[0]!, name);
    const flags = app.flagKeys.map((key): FlagRow => {
      const definition = definitions.flags[key];
      const states: Record<string, FlagState> = {};
      for (const [env, doc] of docs) states[env] = toState(doc.values[key], `${env}/${name}/flags: ${key}`);
      return {
        key,
        name: definition?.name ?? key,
        ...(definition?.description ? { description: definition.description } : {}),
        ...(definition?._deprecation?.date ? { expires: definition._deprecation.date } : {}),
        exposure: app.browserFlagKeys.includes(key) ? 'browser' : 'server',
        attributes: Object.keys(definition?.attributes ?? {}),
        environments: states,
      };
    });
    return { name, owner: app.owner, flags };
  });
  return { environments, applications };
}

function pick(kind: string, all: readonly string[], wanted: readonly string[] | undefined): string[] {
  if (!wanted) return [...all];
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) throw new Error(`internal: unknown ${kind} '${unknown[0]}'`);
  // Keep the workload's order whatever order they were asked in.
  return all.filter((a) => wanted.includes(a));
}

interface Definition {
  readonly name?: string;
  readonly description?: string;
  readonly _deprecation?: { readonly date?: string };
  readonly attributes?: Readonly<Record<string, unknown>>;
}

interface ParsedDocument {
  readonly flags: Readonly<Record<string, Definition>>;
  readonly values: Readonly<Record<string, unknown>>;
}

function parseDocument(model: Model, env: string, app: string): ParsedDocument {
  const doc = model.documents.find((d) => d.environment === env && d.application === app && d.profile === 'flags');
  if (!doc) throw new Error(`internal: the model has no flags document for ${app} in ${env}`);
  return JSON.parse(doc.content) as ParsedDocument;
}

function toState(value: unknown, where: string): FlagState {
  if (typeof value !== 'object' || value === null) throw new Error(`internal: ${where} has no value`);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v._variants)) {
    return {
      variants: (v._variants as Record<string, unknown>[]).map((variant) => ({
        name: variant.name as string,
        ...(typeof variant.rule === 'string' ? { rule: variant.rule } : {}),
        enabled: variant.enabled as boolean,
        attributes: (variant.attributeValues as Record<string, unknown> | undefined) ?? {},
      })),
    };
  }
  const { enabled, ...attributes } = v;
  return { enabled: enabled as boolean, attributes };
}
