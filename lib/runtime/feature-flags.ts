/**
 * AWS.AppConfig.FeatureFlags documents as the agent serves them: the stored document
 * (`{version, flags, values}`, variants with rules) becomes the retrieval format
 * `{ "<flag>": { "enabled": bool, ...attributes, "_variant"?: "<name>" } }` for one caller.
 */
import { parseRule } from '../model';
import { compileRule, type CompiledRule, type EvaluationContext, type RuleTrace } from './rule-evaluator';

/** One flag as a service sees it. */
export interface EvaluatedFlag {
  readonly enabled: boolean;
  /** The variant that was chosen, for a multi-variant flag. */
  readonly _variant?: string;
  readonly [attribute: string]: unknown;
}

export type EvaluatedFlags = Readonly<Record<string, EvaluatedFlag>>;

interface CompiledVariant {
  readonly name: string;
  /** The rule's text, for explanations. */
  readonly rule?: string;
  readonly test?: CompiledRule;
  /** The evaluated flag this variant yields, built once. */
  readonly result: EvaluatedFlag;
}

type CompiledValue = { readonly kind: 'simple'; readonly result: EvaluatedFlag } | { readonly kind: 'variants'; readonly variants: readonly CompiledVariant[] };

export class FeatureFlagsDocumentError extends Error {}

/** How one variant fared for one context, in the order the variants are tried. */
export interface VariantStep {
  readonly name: string;
  readonly rule?: string;
  readonly enabled: boolean;
  /**
   * matched: its rule is TRUE and it is served; no-match: FALSE; unknown: UNKNOWN (a key
   * missing or unreadable), which is not a match; default: it has no rule and is served
   * because nothing before it matched; not-evaluated: an earlier variant was served.
   */
  readonly outcome: 'matched' | 'no-match' | 'unknown' | 'default' | 'not-evaluated';
  /** How its rule evaluated, when it was evaluated. */
  readonly trace?: RuleTrace;
}

/** What a flag evaluates to for one context, and why. */
export interface FlagExplanation {
  /** Exactly what evaluate() gives for this flag and context. */
  readonly result: EvaluatedFlag;
  /** Every variant in order, for a flag with variants; absent for a flag without. */
  readonly variants?: readonly VariantStep[];
}

/** A feature-flags document ready to evaluate many times. */
export class CompiledFeatureFlags {
  /** Parse and compile a document's bytes; throws FeatureFlagsDocumentError naming the flag at fault. */
  static fromContent(content: string): CompiledFeatureFlags {
    let doc: unknown;
    try {
      doc = JSON.parse(content);
    } catch (e) {
      throw new FeatureFlagsDocumentError(`the feature flags document is not JSON: ${(e as Error).message}`);
    }
    if (!isObject(doc) || !isObject(doc.values)) throw new FeatureFlagsDocumentError('the feature flags document has no "values" object');
    const values = new Map<string, CompiledValue>();
    for (const [key, value] of Object.entries(doc.values)) values.set(key, compileValue(key, value));
    return new CompiledFeatureFlags(values);
  }

  readonly keys: readonly string[];
  /** True when some flag has variants, so the result depends on the context. */
  readonly hasVariants: boolean;

  private constructor(private readonly values: ReadonlyMap<string, CompiledValue>) {
    this.keys = [...values.keys()];
    this.hasVariants = [...values.values()].some((v) => v.kind === 'variants');
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /**
   * Evaluate one flag (which must exist: check with has()) with the same compiled rules and
   * the same variant choice as evaluate(), recording how each variant's rule evaluated.
   */
  explain(key: string, context: EvaluationContext): FlagExplanation {
    const value = this.values.get(key);
    if (!value) throw new Error(`internal: no flag '${key}'`);
    if (value.kind === 'simple') return { result: value.result };
    const steps: VariantStep[] = [];
    const result = chooseVariant(value.variants, context, steps);
    for (const v of value.variants.slice(steps.length)) steps.push({ name: v.name, ...(v.rule !== undefined ? { rule: v.rule } : {}), enabled: v.result.enabled, outcome: 'not-evaluated' });
    return { result, variants: steps };
  }

  /** Evaluate every flag, or only `keys` (which must exist: check with has()). */
  evaluate(context: EvaluationContext, keys?: readonly string[]): EvaluatedFlags {
    const out: Record<string, EvaluatedFlag> = {};
    for (const key of keys ?? this.keys) {
      const value = this.values.get(key);
      if (!value) continue;
      out[key] = value.kind === 'simple' ? value.result : chooseVariant(value.variants, context);
    }
    return out;
  }
}

/** The one place a variant is chosen; with `steps`, each variant tried is recorded there. */
function chooseVariant(variants: readonly CompiledVariant[], context: EvaluationContext, steps?: VariantStep[]): EvaluatedFlag {
  for (const v of variants) {
    if (!steps) {
      if (!v.test || v.test(context) === true) return v.result;
      continue;
    }
    const rule = v.rule !== undefined ? { rule: v.rule } : {};
    if (!v.test) {
      steps.push({ name: v.name, ...rule, enabled: v.result.enabled, outcome: 'default' });
      return v.result;
    }
    const trace: RuleTrace[] = [];
    const matched = v.test(context, trace);
    steps.push({ name: v.name, ...rule, enabled: v.result.enabled, outcome: matched === true ? 'matched' : matched === false ? 'no-match' : 'unknown', trace: trace[0]! });
    if (matched === true) return v.result;
  }
  // The model requires a last variant without a rule; a document without one serves the last.
  return variants[variants.length - 1]!.result;
}

function compileValue(key: string, value: unknown): CompiledValue {
  if (!isObject(value)) throw new FeatureFlagsDocumentError(`flag '${key}': its value is not an object`);
  if (value._variants === undefined) {
    if (typeof value.enabled !== 'boolean') throw new FeatureFlagsDocumentError(`flag '${key}': "enabled" is not a boolean`);
    return { kind: 'simple', result: Object.freeze({ ...value, enabled: value.enabled }) };
  }
  if (!Array.isArray(value._variants) || value._variants.length === 0) throw new FeatureFlagsDocumentError(`flag '${key}': "_variants" is not a non-empty list`);
  const variants = value._variants.map((v: unknown, i: number): CompiledVariant => {
    if (!isObject(v) || typeof v.name !== 'string' || typeof v.enabled !== 'boolean') {
      throw new FeatureFlagsDocumentError(`flag '${key}': variant ${i} needs a string "name" and a boolean "enabled"`);
    }
    let test: CompiledRule | undefined;
    if (v.rule !== undefined) {
      const parsed = typeof v.rule === 'string' ? parseRule(v.rule) : { ok: false as const, message: 'rule is not a string', offset: 0 };
      if (!parsed.ok) throw new FeatureFlagsDocumentError(`flag '${key}', variant '${v.name}': ${parsed.message}`);
      test = compileRule(parsed.expr);
    }
    const attributes = isObject(v.attributeValues) ? v.attributeValues : {};
    return { name: v.name, ...(test ? { test, rule: v.rule as string } : {}), result: Object.freeze({ enabled: v.enabled, ...attributes, _variant: v.name }) };
  });
  return { kind: 'variants', variants };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse `Context` header values: one `key=value` per header, or several comma-separated in
 * one (as the AppConfig Agent accepts; Node joins repeated headers with ", " too). Keys and
 * values are taken as sent: no percent-decoding (a header is not a URL). Returns an error
 * message for a pair without '=', with an empty key, or for a key given twice with different
 * values (AWS does not say which would win; an ambiguous caller is told, not guessed at).
 */
export function parseContextHeaders(values: readonly string[] | undefined): { context: Record<string, string> } | { error: string } {
  const context: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const header of values ?? []) {
    for (const raw of header.split(',')) {
      const pair = raw.trim();
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return { error: `Context header entry '${pair}' is not key=value` };
      const key = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (key === '') return { error: `Context header entry '${pair}' has an empty key` };
      if (key in context && context[key] !== value) return { error: `Context key '${key}' is given twice, as '${context[key]}' and as '${value}'; send it once` };
      context[key] = value;
    }
  }
  return { context };
}

/** A context entry that the agent's header format cannot carry. */
export class ContextHeaderError extends Error {}

/** The `Context` header values for a context: one header per key, values stringified. */
export function contextHeaderValues(context: EvaluationContext | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(context ?? {})) {
    const value = String(v);
    // A comma would split the value into two entries on the agent's side; '=' in a key would
    // move the boundary. Neither can be escaped in the agent's header format.
    if (value.includes(',') || k.includes('=') || k.includes(',')) throw new ContextHeaderError(`context entry '${k}' cannot be sent in a Context header: keys may not contain '=' or ',' and values may not contain ','`);
    out.push(`${k}=${value}`);
  }
  return out;
}
