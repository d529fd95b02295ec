/**
 * flags/<app>.json: resolve each flag in every environment (default overlaid with the
 * environment's entry), check values against their attribute constraints and rules
 * against AppConfig's rule language, and build the AWS.AppConfig.FeatureFlags document.
 */
import { unknownNameFix, didYouMean, type Diagnostics, type Location } from './diagnostics';
import { canonicalJson } from './canonical';
import { parseRule, type ParseResult } from './rules';
import { own as ownValue, type JsonFile } from './source';
import type { AttributeConfig, AttributeConstraints, FlagConfig, FlagValueConfig, FlagsFileConfig, VariantConfig } from './types';

export const MAX_ATTRIBUTES = 25;
export const MAX_STRING_LENGTH = 1024;
/**
 * validate warns this many days before a flag's `expires`: two weeks is a sprint, time for
 * its owner to remove the flag before it turns into a warning (or, with --strict, an error)
 * on every run.
 */
export const EXPIRY_WARNING_DAYS = 14;

/**
 * One flag's value in one environment, ready for the document. `bytes` is
 * Buffer.byteLength(JSON.stringify(flagValue(value))), counted as the value is built:
 * validate sizes every document of every environment against AppConfig's limit, and
 * counting while the attributes are overlaid costs far less than walking them again.
 */
export type ResolvedValue =
  | { readonly mode: 'simple'; readonly enabled: boolean; readonly attributes: Readonly<Record<string, unknown>>; readonly bytes: number }
  | { readonly mode: 'variants'; readonly variants: readonly VariantConfig[]; readonly bytes: number };

export interface ResolvedFlag {
  readonly key: string;
  readonly config: FlagConfig;
  readonly exposure: 'server' | 'browser';
  /** Environment name -> value. */
  readonly values: ReadonlyMap<string, ResolvedValue>;
}

export interface FlagsCheckOptions {
  readonly environments: readonly string[];
  /** YYYY-MM-DD of today, for expiry. */
  readonly today: string;
  readonly strict: boolean;
}

export function resolveFlags(json: JsonFile, file: FlagsFileConfig, diags: Diagnostics, opts: FlagsCheckOptions): ResolvedFlag[] {
  const out: ResolvedFlag[] = [];
  const warnUntil = expiryHorizon(opts.today);
  // Every flag's values are indexed by this one array (see EnvValues): a copy, so the caller
  // cannot change what they say. Names are keys of workload.json's "environments", so distinct;
  // a duplicate would be a caller's bug (a Map would have kept one entry), not a user's.
  const environments = opts.environments.slice();
  if (new Set(environments).size !== environments.length) throw new Error(`resolveFlags: environment names must be distinct, got ${environments.join(', ')}`);
  for (const [key, flag] of Object.entries(file.flags)) {
    const at = (...p: (string | number)[]) => json.locate(['flags', key, ...p]);
    const atKey = (...p: (string | number)[]) => json.locateKey(['flags', key, ...p]);
    const atInString = (index: number, ...p: (string | number)[]) => json.locateInString(['flags', key, ...p], index);
    checkAttributeDefinitions(key, flag, at, diags);

    for (const envName in flag.environments) {
      if (!Object.hasOwn(flag.environments, envName)) continue;
      if (!opts.environments.includes(envName)) {
        diags.error(atKey('environments', envName), 'flags/unknown-environment', `unknown environment '${envName}'`, {
          field: `${key}.environments`,
          fix: unknownNameFix('environment', envName, opts.environments),
        });
      }
    }

    if (flag.expires && flag.expires < opts.today) {
      const report = opts.strict ? diags.error.bind(diags) : diags.warning.bind(diags);
      report(at('expires'), 'flags/expired', `flag expired on ${flag.expires}${flag.owner ? ` (owner: ${flag.owner})` : ''}`, {
        field: key,
        fix: 'remove the flag and the code paths behind it, or move "expires" out with a reason in the description',
      });
    } else if (flag.expires && flag.expires <= warnUntil) {
      const days = daysBetween(opts.today, flag.expires);
      diags.warning(at('expires'), 'flags/expires-soon', `flag expires on ${flag.expires}, ${days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`}${flag.owner ? ` (owner: ${flag.owner})` : ''}`, {
        field: key,
        fix: 'remove the flag and the code paths behind it before then, or move "expires" out with a reason in the description',
      });
    }

    // Environments without an entry of their own all get the default: resolve (and
    // check) it once, and share the result, so its errors are reported once too.
    let fromDefault: ResolvedValue | undefined | null = null;
    const list: (ResolvedValue | undefined)[] = [];
    let size = 0;
    for (const env of environments) {
      const own = flag.environments ? ownValue(flag.environments, env) : undefined;
      let v: ResolvedValue | undefined;
      if (!own && flag.default) v = fromDefault === null ? (fromDefault = resolveValue(key, env, undefined, 'default', flag, at, atKey, atInString, diags)) : fromDefault;
      else v = resolveValue(key, env, own, env, flag, at, atKey, atInString, diags);
      list.push(v);
      if (v) size++;
    }
    out.push({ key, config: flag, exposure: flag.exposure ?? 'server', values: new EnvValues(environments, list, size) });
  }
  return out;
}

/**
 * addDays(today, EXPIRY_WARNING_DAYS), computed once per `today`: resolveFlags runs once per
 * application, and a cold Date.parse and toISOString cost more than resolving a flag.
 */
function expiryHorizon(today: string): string {
  if (horizon?.today !== today) horizon = { today, until: addDays(today, EXPIRY_WARNING_DAYS) };
  return horizon.until;
}

let horizon: { readonly today: string; readonly until: string } | undefined;

/**
 * One flag's values, environment name -> value, in the order of the environments: what a
 * Map of them would hold, over an array of the environments that every flag of a file
 * shares. A Map per flag (built, grown and rehashed for every flag of every application)
 * was a fifth of resolveFlags' time in a cold profile of validate at scale; a lookup here is
 * a scan of a few names, as cheap as hashing one.
 */
class EnvValues implements ReadonlyMap<string, ResolvedValue> {
  constructor(
    /** Without duplicates; shared by the flags of one resolveFlags call. */
    readonly environments: readonly string[],
    /** The value of environments[i], undefined when it did not resolve. */
    readonly list: readonly (ResolvedValue | undefined)[],
    readonly size: number,
  ) {}

  get(env: string): ResolvedValue | undefined {
    const i = this.environments.indexOf(env);
    return i < 0 ? undefined : this.list[i];
  }

  has(env: string): boolean {
    return this.get(env) !== undefined;
  }

  forEach(callback: (value: ResolvedValue, key: string, map: ReadonlyMap<string, ResolvedValue>) => void, thisArg?: unknown): void {
    for (const [env, value] of this.entries()) callback.call(thisArg, value, env, this);
  }

  *entries(): MapIterator<[string, ResolvedValue]> {
    for (let i = 0; i < this.list.length; i++) {
      const value = this.list[i];
      if (value) yield [this.environments[i]!, value];
    }
  }

  *keys(): MapIterator<string> {
    for (const [env] of this.entries()) yield env;
  }

  *values(): MapIterator<ResolvedValue> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, ResolvedValue]> {
    return this.entries();
  }
}

/** YYYY-MM-DD `days` after a YYYY-MM-DD date (UTC, so no daylight-saving day is 23 hours). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whole days from one YYYY-MM-DD date to another; negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Which attribute types each constraint applies to, in the order they are checked. */
const CONSTRAINT_TYPES: readonly (readonly [keyof AttributeConstraints, readonly string[]])[] = [
  ['pattern', ['string']],
  ['minimum', ['number']],
  ['maximum', ['number']],
  ['enum', ['string', 'number']],
  ['elements', ['string[]', 'number[]']],
];

function checkAttributeDefinitions(key: string, flag: FlagConfig, at: (...p: (string | number)[]) => Location, diags: Diagnostics): void {
  const attrs = flag.attributes;
  if (!attrs) return;
  let count = 0;
  for (const name in attrs) if (Object.hasOwn(attrs, name)) count++;
  if (count > MAX_ATTRIBUTES) {
    diags.error(at('attributes'), 'flags/too-many-attributes', `flag has ${count} attributes; AppConfig allows ${MAX_ATTRIBUTES}`, { field: key, fix: 'split the flag, or move the values to the ops profile' });
  }
  for (const name in attrs) {
    if (!Object.hasOwn(attrs, name)) continue;
    const c = attrs[name]!.constraints;
    const where = (...p: string[]) => at('attributes', name, 'constraints', ...p);
    const scalarType = c.type.endsWith('[]') ? undefined : c.type;
    for (const [field, allowedFor] of CONSTRAINT_TYPES) {
      if (c[field] !== undefined && !allowedFor.includes(c.type)) {
        diags.error(where(field), 'flags/constraint-type', `'${field}' does not apply to type ${c.type}`, { field: `${key}.${name}`, fix: `remove '${field}' or change the type to ${allowedFor.join(' or ')}` });
      }
    }
    if (c.pattern !== undefined && !compiles(c.pattern)) {
      diags.error(where('pattern'), 'flags/bad-pattern', `pattern is not a valid regular expression`, { field: `${key}.${name}`, fix: 'fix the regular expression' });
    }
    if (c.minimum !== undefined && c.maximum !== undefined && c.minimum > c.maximum) {
      diags.error(where('minimum'), 'flags/constraint-range', `minimum ${c.minimum} is above maximum ${c.maximum}`, { field: `${key}.${name}`, fix: 'swap them' });
    }
    if (c.enum && scalarType) {
      c.enum.forEach((v, i) => {
        if (typeof v !== scalarType) diags.error(at('attributes', name, 'constraints', 'enum', i), 'flags/constraint-type', `enum value ${JSON.stringify(v)} is not a ${scalarType}`, { field: `${key}.${name}` });
      });
    }
    if (c.elements) {
      const expected = c.type === 'string[]' ? 'string' : 'number';
      if (c.elements.type !== expected) {
        diags.error(where('elements'), 'flags/constraint-type', `elements of ${c.type} must have type ${expected}`, { field: `${key}.${name}`, fix: `set elements.type to "${expected}"` });
      }
      if (c.elements.pattern !== undefined && !compiles(c.elements.pattern)) {
        diags.error(where('elements'), 'flags/bad-pattern', 'elements.pattern is not a valid regular expression', { field: `${key}.${name}` });
      }
    }
  }
}

function resolveValue(
  key: string,
  env: string,
  own: FlagValueConfig | undefined,
  /** How messages name the value: the environment, or "default" when it is shared. */
  label: string,
  flag: FlagConfig,
  at: (...p: (string | number)[]) => Location,
  atKey: (...p: (string | number)[]) => Location,
  /** Where the character at an index of the string value at a path is (escapes counted). */
  atInString: (index: number, ...p: (string | number)[]) => Location,
  diags: Diagnostics,
): ResolvedValue | undefined {
  const base = flag.default;
  if (!base && !own) {
    const field = `${key} (${label})`;
    diags.error(atKey(), 'flags/unresolved', `flag has no value in environment '${env}'`, { field, fix: `add "default" or "environments": { "${env}": { "enabled": false } }` });
    return undefined;
  }
  // The default first, then the environment. (This runs for every flag in every environment:
  // no arrays or closures are built for it.)
  const bothAt = base?.variants && base.enabled !== undefined ? at('default', 'enabled') : own?.variants && own.enabled !== undefined ? at('environments', env, 'enabled') : undefined;
  if (bothAt) {
    diags.error(bothAt, 'flags/variants-and-enabled', 'a value has either "enabled" or "variants", not both', {
      field: `${key} (${label})`,
      fix: 'with variants, each variant says whether it is enabled; remove "enabled"',
    });
    return undefined;
  }
  // The environment's entry wins; its "variants" or "enabled" replaces the default's mode.
  if (own?.variants) return checkVariants(key, label, flag, own.variants, (...p) => at('environments', env, 'variants', ...p), (index, ...p) => atInString(index, 'environments', env, 'variants', ...p), diags);
  if (own?.enabled === undefined && base?.variants) {
    if (own && Object.keys(own).length > 0) {
      diags.error(atKey('environments', env), 'flags/attributes-without-enabled', 'attribute values cannot be overlaid on a default with variants', {
        field: `${key} (${label})`,
        fix: 'give the environment its own "enabled" or "variants"',
      });
      return undefined;
    }
    return checkVariants(key, label, flag, base.variants, (...p) => at('default', 'variants', ...p), (index, ...p) => atInString(index, 'default', 'variants', ...p), diags);
  }
  // Overlay without intermediate objects or closures: this runs for every flag in every
  // environment, and locations are looked up only when something is wrong.
  // No Object.prototype: an attribute named like a built-in (toString) is only ever data.
  const attributes = new AttributeRecord();
  // `{"enabled":` and `}`, then per attribute a comma, its key, a colon and its value; an
  // attribute the environment overrides is counted once, with the environment's value.
  let bytes = 12;
  if (base) bytes += overlayMembers(attributes, base, own);
  if (own) bytes += overlayMembers(attributes, own, undefined);
  // The environment's "enabled" wins over the default's.
  const enabled = own && Object.hasOwn(own, 'enabled') ? own.enabled : base && Object.hasOwn(base, 'enabled') ? base.enabled : undefined;
  if (enabled === undefined) {
    diags.error(own ? atKey('environments', env) : atKey('default'), 'flags/unresolved', `flag has no "enabled" in environment '${env}'`, { field: `${key} (${label})`, fix: 'add "enabled": true or false to default or to the environment' });
    return undefined;
  }
  const declared = flag.attributes ?? {};
  let ok = true;
  for (const name in attributes) {
    const problem = attributeProblem(name, attributes[name], declared);
    if (problem) {
      const where = own && Object.hasOwn(own, name) ? at('environments', env, name) : at('default', name);
      diags.error(where, problem.rule, problem.message, { field: `${key} (${label})`, fix: problem.fix });
      ok = false;
    }
  }
  for (const name in declared) {
    if (declared[name]!.constraints.required && !Object.hasOwn(attributes, name)) {
      diags.error(own ? atKey('environments', env) : atKey('default'), 'flags/missing-required-attribute', `required attribute '${name}' has no value`, { field: `${key} (${label})`, fix: `add "${name}" to default or to the environment` });
      ok = false;
    }
  }
  return ok ? { mode: 'simple', enabled, attributes, bytes: bytes + (enabled ? 4 : 5) } : undefined;
}

/**
 * A record with nothing inherited, like Object.create(null), which V8 makes in dictionary
 * mode: adding and enumerating properties is then about twice as slow, and this runs for
 * every flag in every environment. Its prototype is itself an object without prototype
 * (and without `constructor`), so the chain holds no member at all; `__proto__` and
 * `toString` written to it are own data, as with Object.create(null).
 */
const AttributeRecord = function AttributeRecord() {} as unknown as new () => Record<string, unknown>;
AttributeRecord.prototype = Object.create(null) as object;

/** Copy a value's attributes (all but enabled and variants); the JSON bytes of those `shadow` does not override. */
function overlayMembers(attributes: Record<string, unknown>, v: FlagValueConfig, shadow: FlagValueConfig | undefined): number {
  let bytes = 0;
  for (const k in v) {
    if (k === 'variants' || k === 'enabled') continue;
    attributes[k] = v[k];
    if (!shadow || !Object.hasOwn(shadow, k)) bytes += memberBytes(k, v[k]);
  }
  return bytes;
}

function checkVariants(
  key: string,
  env: string,
  flag: FlagConfig,
  variants: readonly VariantConfig[],
  at: (...p: (string | number)[]) => Location,
  atInString: (index: number, ...p: (string | number)[]) => Location,
  diags: Diagnostics,
): ResolvedValue | undefined {
  const field = `${key} (${env})`;
  let ok = true;
  const names = new Set<string>();
  variants.forEach((variant, i) => {
    if (names.has(variant.name)) {
      diags.error(at(i, 'name'), 'flags/duplicate-variant', `variant name '${variant.name}' is used twice`, { field, fix: 'give every variant its own name' });
      ok = false;
    }
    names.add(variant.name);
    const last = i === variants.length - 1;
    if (variant.rule === undefined && !last) {
      diags.error(at(i), 'flags/variant-without-rule', `variant '${variant.name}' has no rule but is not last: every variant after it would be unreachable`, { field, fix: 'add a rule, or move it to the end as the default variant' });
      ok = false;
    }
    if (last && variant.rule !== undefined) {
      diags.error(at(i, 'rule'), 'flags/no-default-variant', 'the variant list does not end with a default variant (one without a rule)', { field, fix: 'add a last variant without "rule": it is served when no rule matches' });
      ok = false;
    }
    if (variant.rule !== undefined) {
      const parsed = ruleVerdict(variant.rule);
      if (!parsed.ok) {
        // The parser's offset is into the decoded rule; the file has `\"` where the rule has `"`.
        // rules.ts names its own rule id and fix for a refused pattern (super-linear, unportable).
        diags.error(atInString(parsed.offset, i, 'rule'), parsed.rule ?? 'flags/rule-syntax', `rule of variant '${variant.name}': ${parsed.message}`, {
          field,
          fix: parsed.fix ?? 'see the rule language in the README',
        });
        ok = false;
      }
    }
    for (const [name, value] of Object.entries(variant.attributeValues ?? {})) {
      const problem = attributeProblem(name, value, flag.attributes ?? {});
      if (problem) {
        diags.error(at(i, 'attributeValues', name), problem.rule, problem.message, { field, fix: problem.fix });
        ok = false;
      }
    }
    for (const [name, attr] of Object.entries(flag.attributes ?? {})) {
      if (attr.constraints.required && !Object.hasOwn(variant.attributeValues ?? {}, name)) {
        diags.error(at(i), 'flags/missing-required-attribute', `variant '${variant.name}' has no value for required attribute '${name}'`, { field, fix: `add "${name}" to its attributeValues` });
        ok = false;
      }
    }
  });
  if (!ok) return undefined;
  return { mode: 'variants', variants, bytes: variantsBytes(variants) };
}

/** What is wrong with one attribute value, if anything; the caller knows where it is. */
function attributeProblem(name: string, value: unknown, declared: Readonly<Record<string, AttributeConfig>>): { rule: string; message: string; fix: string } | undefined {
  const attr = ownValue(declared, name);
  if (!attr) {
    const guess = didYouMean(name, Object.keys(declared));
    return {
      rule: 'flags/undeclared-attribute',
      message: `attribute '${name}' is not declared in the flag's "attributes"`,
      fix: guess ? `did you mean '${guess}'?` : `declare it under "attributes" with its constraints`,
    };
  }
  const problem = constraintProblem(name, value, attr.constraints);
  return problem ? { rule: 'flags/constraint', message: problem, fix: `change the value, or the constraints of '${name}'` } : undefined;
}

/** Why a value breaks its constraints, phrased for a person; undefined when it fits. */
export function constraintProblem(name: string, value: unknown, c: AttributeConstraints): string | undefined {
  if (c.type === 'string[]' || c.type === 'number[]') {
    if (!Array.isArray(value)) return `${name} must be an array (${c.type})`;
    for (const [i, item] of value.entries()) {
      const elementType = c.type === 'string[]' ? 'string' : 'number';
      const problem = scalarProblem(`${name}[${i}]`, item, { ...(c.elements ?? {}), type: elementType });
      if (problem) return problem;
    }
    return undefined;
  }
  return scalarProblem(name, value, c);
}

function scalarProblem(name: string, value: unknown, c: { type: string; pattern?: string; enum?: readonly (string | number)[]; minimum?: number; maximum?: number }): string | undefined {
  if (typeof value !== c.type) return `${name} ${JSON.stringify(value)} is not a ${c.type}`;
  if (typeof value === 'string') {
    if (value.length > MAX_STRING_LENGTH) return `${name} is ${value.length} characters; AppConfig allows ${MAX_STRING_LENGTH}`;
    if (c.pattern !== undefined && compiles(c.pattern) && !regex(c.pattern).test(value)) return `${name} ${JSON.stringify(value)} does not match ${c.pattern}`;
  }
  if (typeof value === 'number') {
    if (c.minimum !== undefined && value < c.minimum) return `${name} ${value} is below the minimum ${c.minimum}`;
    if (c.maximum !== undefined && value > c.maximum) return `${name} ${value} is above the maximum ${c.maximum}`;
  }
  if (c.enum && !c.enum.includes(value as string | number)) return `${name} ${JSON.stringify(value)} is not one of ${c.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  return undefined;
}

/**
 * parseRule's verdict on a rule, without its syntax tree. Rules repeat across applications
 * and environments (a generated or copied flag carries the same targeting), and parsing is
 * a pure function of the text: each distinct rule is parsed once.
 */
function ruleVerdict(rule: string): RuleVerdict {
  let verdict = ruleVerdicts.get(rule);
  if (verdict === undefined) {
    const parsed = parseRule(rule);
    // Only what validate reports is kept: the tree belongs to whoever evaluates the rule.
    verdict = parsed.ok ? RULE_OK : parsed;
    if (ruleVerdicts.size >= 10000) ruleVerdicts.clear();
    ruleVerdicts.set(rule, verdict);
  }
  return verdict;
}

type RuleVerdict = { readonly ok: true } | Extract<ParseResult, { ok: false }>;
const ruleVerdicts = new Map<string, RuleVerdict>();
const RULE_OK: RuleVerdict = { ok: true };

const regexCache = new Map<string, RegExp | null>();

/** Patterns repeat across environments and flags; compile each once. */
function regex(pattern: string): RegExp {
  return compiledOrNull(pattern)!;
}

function compiles(pattern: string): boolean {
  return compiledOrNull(pattern) !== null;
}

function compiledOrNull(pattern: string): RegExp | null {
  let r = regexCache.get(pattern);
  if (r === undefined) {
    try {
      // eslint-disable-next-line security/detect-non-literal-regexp -- an attribute constraint's pattern from the flags files, matched only by validate against the same files' values
      r = new RegExp(pattern);
    } catch {
      r = null;
    }
    if (regexCache.size > 10000) regexCache.clear();
    regexCache.set(pattern, r);
  }
  return r;
}

// ---- the AWS.AppConfig.FeatureFlags document ----

export interface FeatureFlagsDocument {
  readonly version: '1';
  readonly flags: Record<string, unknown>;
  readonly values: Record<string, unknown>;
}

/** A flag's definition: the same in every environment. */
export function flagDefinition(flag: ResolvedFlag): Record<string, unknown> {
  const c = flag.config;
  const attributes = Object.fromEntries(
    Object.entries(c.attributes ?? {}).map(([n, a]) => [n, { ...(a.description ? { description: a.description } : {}), constraints: a.constraints }]),
  );
  return {
    name: c.name,
    ...(c.description ? { description: c.description } : {}),
    ...(c.expires ? { _deprecation: { status: 'planned', date: c.expires } } : {}),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  };
}

export function flagValue(value: ResolvedValue): Record<string, unknown> {
  return value.mode === 'simple' ? { enabled: value.enabled, ...value.attributes } : variantsValue(value.variants);
}

function variantsValue(variants: readonly VariantConfig[]): Record<string, unknown> {
  return {
    _variants: variants.map((v) => ({
      name: v.name,
      ...(v.rule !== undefined ? { rule: v.rule } : {}),
      enabled: v.enabled,
      ...(v.attributeValues && Object.keys(v.attributeValues).length ? { attributeValues: v.attributeValues } : {}),
    })),
  };
}

/**
 * Buffer.byteLength(JSON.stringify(variantsValue(variants))), counted without building it:
 * `{"_variants":[...]}`, each variant with variantsValue's members.
 */
function variantsBytes(variants: readonly VariantConfig[]): number {
  let bytes = 2 + stringBytes('_variants') + 1 + 2;
  for (let i = 0; i < variants.length; i++) {
    const v = variants[i]!;
    let members = memberBytes('name', v.name);
    if (v.rule !== undefined) members += memberBytes('rule', v.rule);
    members += memberBytes('enabled', v.enabled);
    if (v.attributeValues && hasOwnKeys(v.attributeValues)) members += memberBytes('attributeValues', v.attributeValues);
    bytes += (i > 0 ? 1 : 0) + 2 + (members > 0 ? members - 1 : 0);
  }
  return bytes;
}

/** Object.keys(o).length > 0, without the array. */
function hasOwnKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

export function featureFlagsDocument(flags: readonly ResolvedFlag[], env: string): FeatureFlagsDocument {
  const doc: FeatureFlagsDocument = { version: '1', flags: {}, values: {} };
  for (const flag of flags) {
    const value = flag.values.get(env);
    if (!value) continue;
    doc.flags[flag.key] = flagDefinition(flag);
    doc.values[flag.key] = flagValue(value);
  }
  return doc;
}

/**
 * The canonical bytes of featureFlagsDocument(flags, env), assembled from per-flag pieces
 * so that definitions (identical in every environment) are serialized once per app.
 */
export class FeatureFlagsWriter {
  private readonly definitions = new Map<string, string>();
  /** Environments that share the default share its ResolvedValue: serialize it once. */
  private readonly values = new Map<ResolvedValue, string>();
  private fixedBytes: number[] | undefined;
  private readonly sorted: readonly ResolvedFlag[];

  constructor(flags: readonly ResolvedFlag[]) {
    this.sorted = [...flags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  content(env: string): string {
    const defs: string[] = [];
    const values: string[] = [];
    for (const flag of this.sorted) {
      const value = flag.values.get(env);
      if (!value) continue;
      // Fragments carry their `"key":` prefix so assembling a document is joins only.
      let def = this.definitions.get(flag.key);
      if (def === undefined) {
        def = `${JSON.stringify(flag.key)}:${canonicalJson(flagDefinition(flag))}`;
        this.definitions.set(flag.key, def);
      }
      defs.push(def);
      let fragment = this.values.get(value);
      if (fragment === undefined) {
        fragment = `${JSON.stringify(flag.key)}:${canonicalJson(flagValue(value))}`;
        this.values.set(value, fragment);
      }
      values.push(fragment);
    }
    return `{"flags":{${defs.join(',')}},"values":{${values.join(',')}},"version":"1"}`;
  }

  /**
   * Buffer.byteLength(content(env)), without building it: validate checks every
   * document against AppConfig's size limit, and only build and deploy need the bytes.
   * Native JSON.stringify gives the same length as the canonical form (only key order
   * differs).
   */
  byteLength(env: string): number {
    // Per flag, what does not depend on the environment: `"key":<definition>` in flags,
    // `"key":` in values, and the two commas. Computed once per writer.
    this.fixedBytes ??= this.sorted.map((flag) => 2 * (stringBytes(flag.key) + 1) + definitionBytes(flag) + 2);
    let bytes = EMPTY_DOCUMENT_BYTES;
    let flags = 0;
    for (let i = 0; i < this.sorted.length; i++) {
      const value = this.sorted[i]!.values.get(env);
      if (!value) continue;
      bytes += this.fixedBytes[i]! + value.bytes;
      flags++;
    }
    // No comma after the last entry of either object.
    return flags > 0 ? bytes - 2 : bytes;
  }
}

const EMPTY_DOCUMENT_BYTES = '{"flags":{},"values":{},"version":"1"}'.length;

/**
 * Buffer.byteLength(JSON.stringify(flagDefinition(flag))), counted without building the
 * definition: every flag's is counted for the flags document and again for the browser
 * one, and building and serializing 20,000 small objects was a tenth of validate's time at
 * 100 applications. Kept per flag (the two writers of an application share its flags).
 * Members in flagDefinition's order; JSON.stringify leaves out a member whose value is
 * undefined, and memberBytes counts it as nothing.
 */
function definitionBytes(flag: ResolvedFlag): number {
  let bytes = definitionBytesCache.get(flag);
  if (bytes !== undefined) return bytes;
  const c = flag.config;
  let members = memberBytes('name', c.name);
  if (c.description) members += memberBytes('description', c.description);
  // `,"_deprecation":{"status":"planned","date":<date>}`: its two members, and the braces.
  if (c.expires) members += 2 + stringBytes('_deprecation') + 2 + memberBytes('status', 'planned') + memberBytes('date', c.expires) - 1;
  let attributes = 0;
  let count = 0;
  const attrs = c.attributes;
  for (const n in attrs) {
    if (!Object.hasOwn(attrs, n)) continue;
    const a = attrs[n]!;
    // `{"description":...,"constraints":...}` of one attribute, as a member of "attributes".
    const value = 2 + (a.description ? memberBytes('description', a.description) : 0) + memberBytes('constraints', a.constraints) - (a.description || a.constraints !== undefined ? 1 : 0);
    attributes += 2 + stringBytes(n) + value;
    count++;
  }
  if (count > 0) members += 2 + stringBytes('attributes') + 2 + attributes - 1;
  bytes = 2 + members - (members > 0 ? 1 : 0);
  definitionBytesCache.set(flag, bytes);
  return bytes;
}

const definitionBytesCache = new WeakMap<ResolvedFlag, number>();

/** The bytes of `,"key":value` in JSON: a comma, the key, a colon and the value (none when JSON.stringify leaves the member out). */
function memberBytes(key: string, v: unknown): number {
  // JSON never holds such a value, but the count must stay exact whatever the value.
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return 0;
  return 2 + keyBytes(key) + jsonBytes(v);
}

/**
 * stringBytes of a member's name. Names repeat (every value of a flag in every environment
 * has the same attribute names, every definition the same member names): a lookup costs
 * less than testing the text again.
 */
function keyBytes(key: string): number {
  let bytes = keyBytesCache.get(key);
  if (bytes === undefined) {
    bytes = stringBytes(key);
    if (keyBytesCache.size >= 10000) keyBytesCache.clear();
    keyBytesCache.set(key, bytes);
  }
  return bytes;
}

const keyBytesCache = new Map<string, number>();

/**
 * Buffer.byteLength(JSON.stringify(v)) for a value parsed from JSON, without building the
 * string for the common scalars: the sizing of every flag value in every environment is a
 * large part of validate's time, and JSON.stringify of an object with a null prototype
 * takes V8's slow path. Objects and arrays (rare in attribute values) are stringified.
 */
function jsonBytes(v: unknown): number {
  switch (typeof v) {
    case 'boolean':
      return v ? 4 : 5;
    case 'number':
      // JSON writes a finite number as String() does, and anything else as null.
      return Number.isFinite(v) ? String(v).length : 4;
    case 'string':
      return stringBytes(v);
    default:
      return v === null ? 4 : Buffer.byteLength(JSON.stringify(v));
  }
}

/** Printable ASCII without `"` and `\`: written as is, one byte a character, in quotes. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function stringBytes(s: string): number {
  return PLAIN_ASCII.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s));
}

/** The subset of values a browser may see; used only to build the `browser` profile. */
export function isBrowserFlag(flag: ResolvedFlag): boolean {
  return flag.exposure === 'browser';
}

