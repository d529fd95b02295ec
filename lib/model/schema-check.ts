/**
 * JSON Schema validation with errors mapped back to file:line:col. Used for the format
 * schemas in config/schemas/ (draft-07) and for each app's ops schema (draft-04, as
 * AppConfig runs it).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type AjvDraft04 from 'ajv-draft-04';
import { didYouMean, type Diagnostics, type Location } from './diagnostics';
import { DRAFT04_AJV_OPTIONS, DRAFT04_META_ID, draft04MetaValidator, formatSchemaValidator, type FormatName } from './format-validators';
import type { JsonFile } from './source';

export type { FormatName } from './format-validators';

/** The format schemas ship with dynconf, beside the data that declares them. */
export const FORMAT_SCHEMA_DIR = path.resolve(__dirname, '../../config/schemas');

const formatValidators = new Map<FormatName, { validate: ValidateFunction; schema: object }>();

function format(name: FormatName): { validate: ValidateFunction; schema: object } {
  let f = formatValidators.get(name);
  if (!f) {
    const text = fs.readFileSync(path.join(FORMAT_SCHEMA_DIR, `${name}.schema.json`), 'utf8');
    f = { validate: formatSchemaValidator(name, text), schema: JSON.parse(text) as object };
    formatValidators.set(name, f);
  }
  return f;
}

export function formatValidator(name: FormatName): ValidateFunction {
  return format(name).validate;
}

/** A format schema as config/schemas/ holds it. */
export function formatSchema(name: FormatName): object {
  return format(name).schema;
}

let sharedDraft04: AjvDraft04 | undefined;

/**
 * dynconf's own annotation in ops schemas: which properties the emergency lane may change,
 * and in which direction (see ./ops checkEmergencyMarks and ./emergency). It never affects
 * validation; it is registered so that Ajv knows it rather than tolerating it.
 */
export const EMERGENCY_KEYWORD = 'x-dynconf-emergency';

/**
 * The draft-04 Ajv: what AppConfig's JSON_SCHEMA validator accepts. One instance, because
 * building the meta-schema validator costs more than compiling a schema; schemas are not
 * registered by id (two apps may use the same one), and callers drop them from its cache
 * after compiling (see compileDraft04).
 */
export function draft04(): AjvDraft04 {
  // Formats are left unknown-tolerant: AppConfig's validator ignores formats it does not know.
  // ownProperties: JSON has no prototype; a property named valueOf is present only when written.
  if (!sharedDraft04) {
    // validateSchema: false, because draft04SchemaErrors checks every schema first, with the
    // meta-schema validator the compiled CLI has ready (./format-validators): Ajv's own
    // check would compile the meta-schema again.
    // Required here, not at the top: a run whose ops validators all come from the cache
    // (CompiledSchemaCache) never needs Ajv, whose loading is a fifth of `dynconf validate`.
    sharedDraft04 = newDraft04(false);
  }
  return sharedDraft04;
}

/** A draft-04 instance as draft04() describes it; `source`: also keep each validator's code, for Ajv's standalone generation. */
function newDraft04(source: boolean): AjvDraft04 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see draft04()
  const Draft04 = (require('ajv-draft-04') as { default: typeof AjvDraft04 }).default;
  const ajv = new Draft04({ ...DRAFT04_AJV_OPTIONS, validateSchema: false, ...(source ? { code: { source: true } } : {}) });
  // A keyword without code: an annotation. Its values are checked, with locations, by checkEmergencyMarks.
  ajv.addKeyword({ keyword: EMERGENCY_KEYWORD });
  return ajv;
}

/**
 * What ajv.validateSchema says of a schema (which Ajv's compile asks first): its errors
 * against the meta-schema its `$schema` names, or undefined when it conforms. Draft-04's
 * own (named, or by default) is checked with draft04MetaValidator; any other `$schema` goes
 * to Ajv as before, which reports what it does not know.
 */
export function draft04SchemaErrors(schema: object): ErrorObject[] | undefined {
  const $schema = (schema as { $schema?: unknown }).$schema;
  if (!$schema || $schema === DRAFT04_META_ID || $schema === `${DRAFT04_META_ID}#`) {
    const validate = draft04MetaValidator(draft04);
    return validate(schema) ? undefined : (validate.errors ?? []);
  }
  const ajv = draft04();
  return ajv.validateSchema(schema) ? undefined : (ajv.errors ?? []);
}

/**
 * Where compiled ops-schema validators are kept between runs (the CLI's is
 * lib/cli/schema-cache.ts), keyed by what decides the compiled code: the schema and the
 * compiler. `load` returns undefined for anything it does not have intact.
 */
export interface CompiledSchemaCache {
  load(key: string): ValidateFunction | undefined;
  /** `source`: a CommonJS module exporting the validator (Ajv's standalone code). */
  save(key: string, source: string): void;
}

/** Compile a draft-04 schema without keeping it in the shared instance's cache; throws, as Ajv's compile does, on a schema its meta-schema rejects. */
export function compileDraft04(schema: object, cache?: CompiledSchemaCache): ValidateFunction {
  const errors = typeof schema === 'boolean' ? undefined : draft04SchemaErrors(schema);
  if (errors) throw new Error(`schema is invalid: ${draft04().errorsText(errors)}`);
  return compileCheckedDraft04(schema, cache);
}

/** compileDraft04 for a schema whose draft04SchemaErrors the caller has already found empty (./ops checks it first, to report its errors with locations). */
export function compileCheckedDraft04(schema: object, cache?: CompiledSchemaCache): ValidateFunction {
  const key = cache ? compiledSchemaKey(schema) : undefined;
  const cached = key === undefined ? undefined : cache!.load(key);
  if (cached) return cached;
  const ajv = key === undefined ? draft04() : draft04WithSource();
  try {
    const validate = ajv.compile(schema);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only when there is a cache to fill
    if (key !== undefined) cache!.save(key, (require('ajv/dist/standalone') as { default: (ajv: AjvDraft04, fn: ValidateFunction) => string }).default(ajv, validate));
    return validate;
  } finally {
    ajv.removeSchema(schema);
  }
}

let draft04Source: AjvDraft04 | undefined;

/** The draft-04 instance again, also keeping each validator's code for Ajv's standalone generation. */
function draft04WithSource(): AjvDraft04 {
  return (draft04Source ??= newDraft04(true));
}

/**
 * The cache key of a schema's compiled validator: the schema and everything that shapes the
 * code Ajv generates for it (Ajv's and ajv-draft-04's versions, the options, dynconf's
 * keyword). COMPILED_SCHEMA_FORMAT changes when dynconf compiles differently otherwise.
 */
export function compiledSchemaKey(schema: object): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json files: versions, not code
  compilerVersions ??= [(require('ajv/package.json') as { version: string }).version, (require('ajv-draft-04/package.json') as { version: string }).version];
  const what = JSON.stringify([COMPILED_SCHEMA_FORMAT, compilerVersions, DRAFT04_AJV_OPTIONS, EMERGENCY_KEYWORD, schema]);
  return createHash('sha256').update(what).digest('hex');
}

const COMPILED_SCHEMA_FORMAT = 1;
let compilerVersions: string[] | undefined;

/** Validate a parsed file against a format schema; true when it conforms. */
export function checkFormat(json: JsonFile, name: FormatName, diags: Diagnostics, rule = `${name}/schema`): boolean {
  const validate = formatValidator(name);
  if (validate(json.value)) return true;
  reportSchemaErrors(validate.errors ?? [], (p, which) => (which === 'key' ? json.locateKey(p) : json.locate(p)), diags, rule);
  return false;
}

type Locator = (jsonPath: (string | number)[], which: 'value' | 'key') => Location;

export function reportSchemaErrors(errors: readonly ErrorObject[], locate: Locator, diags: Diagnostics, rule: string, prefix = ''): void {
  for (const e of pruneOneOf(errors)) {
    const p = pointerToPath(e.instancePath);
    const field = prefix + (formatPath(p) || '(root)');
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = (e.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {}).filter((k) => k !== '$schema');
        const guess = didYouMean(prop, known);
        diags.error(locate([...p, prop], 'key'), rule, `unknown field '${prop}'`, {
          field,
          fix: guess ? `did you mean '${guess}'?` : known.length ? `allowed fields: ${known.join(', ')}` : 'remove it',
        });
        break;
      }
      case 'required': {
        const prop = (e.params as { missingProperty: string }).missingProperty;
        diags.error(locate(p, 'key'), rule, `missing required field '${prop}'`, { field, fix: `add '${prop}'` });
        break;
      }
      case 'propertyNames': {
        const prop = (e.params as { propertyName: string }).propertyName;
        diags.error(locate([...p, prop], 'key'), rule, `key '${prop}' is not a valid name`, { field, fix: namePatternFix(e) });
        break;
      }
      case 'pattern': {
        if (e.schemaPath.includes('propertyNames')) break; // reported by the propertyNames error
        const pattern = (e.params as { pattern: string }).pattern;
        diags.error(locate(p, 'value'), rule, `${describeValue(e.data)} does not match ${pattern}`, { field, fix: patternFix(pattern) });
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined;
        diags.error(locate(p, 'value'), rule, `${describeValue(e.data)} is not allowed`, {
          field,
          fix: guess ? `did you mean '${guess}'?` : `use one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
        });
        break;
      }
      case 'type':
        diags.error(locate(p, 'value'), rule, `${describeValue(e.data)} is ${jsonType(e.data)}, expected ${(e.params as { type: string }).type}`, {
          field,
          fix: `write a ${(e.params as { type: string }).type}`,
        });
        break;
      case 'if':
        break;
      default:
        diags.error(locate(p, 'value'), rule, `${e.message ?? 'is invalid'}`, { field, fix: limitFix(e) });
    }
  }
}

/**
 * Ajv reports every failing branch of a oneOf or anyOf. Report only the branch that came
 * closest (fewest errors), which is the one the author meant, and drop the summary.
 */
function pruneOneOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  if (oneOfs.length === 0) return [...errors];
  const drop = new Set<ErrorObject>();
  for (const o of oneOfs) {
    const base = o.schemaPath; // e.g. #/definitions/monitor/oneOf
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      if (e === o || !e.schemaPath.startsWith(`${base}/`) || !e.instancePath.startsWith(o.instancePath)) continue;
      const branch = e.schemaPath.slice(base.length + 1).split('/')[0]!;
      (branches.get(branch) ?? branches.set(branch, []).get(branch)!).push(e);
    }
    let best: ErrorObject[] | undefined;
    for (const list of branches.values()) if (!best || score(list) < score(best)) best = list;
    for (const list of branches.values()) if (list !== best) list.forEach((e) => drop.add(e));
    if (best && best.length > 0) drop.add(o);
  }
  return errors.filter((e) => !drop.has(e));
}

/** A branch failing on type at its root is a worse match than one failing deeper. */
function score(list: ErrorObject[]): number {
  return list.reduce((s, e) => s + (e.keyword === 'type' || e.keyword === 'required' || e.keyword === 'additionalProperties' ? 10 : 1), 0);
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function formatPath(p: readonly (string | number)[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'the array' : 'the object';
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function limitFix(e: ErrorObject): string {
  const limit = (e.params as { limit?: number }).limit;
  switch (e.keyword) {
    case 'maxLength':
      return `shorten it to at most ${limit} characters`;
    case 'minLength':
      return `write at least ${limit} characters`;
    case 'maxItems':
      return `keep at most ${limit} items`;
    case 'minItems':
      return `give at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'maxProperties':
      return `keep at most ${limit} entries`;
    case 'minProperties':
      return `define at least ${limit} entr${limit === 1 ? 'y' : 'ies'}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `use a value within the allowed range (${e.message})`;
    case 'uniqueItems':
      return 'remove the duplicate item';
    case 'format':
      return `write a valid ${(e.params as { format?: string }).format}`;
    default:
      return 'see the JSON Schema in config/schemas/ for what is allowed here';
  }
}

function namePatternFix(e: ErrorObject): string {
  const pattern = (e.parentSchema as { propertyNames?: { pattern?: string } })?.propertyNames?.pattern;
  return pattern ? `rename it to match ${pattern}` : 'rename it';
}

function patternFix(pattern: string): string {
  if (pattern === '^[0-9]{12}$') return 'an AWS account ID is exactly 12 digits, written as a string';
  if (pattern.startsWith('^arn:')) return `write a full ARN matching ${pattern}`;
  return `match ${pattern}`;
}
