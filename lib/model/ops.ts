/**
 * config/ops/<app>/: default.json overlaid with <env>.json (objects merge, arrays and
 * scalars replace), validated against the app's schema.json the way AppConfig's
 * JSON_SCHEMA validator will: draft-04.
 */
import type { ValidateFunction } from 'ajv';
import type { Diagnostics, Location } from './diagnostics';
import { checkFormat, compileDraft04, draft04, reportSchemaErrors } from './schema-check';
import type { JsonFile } from './source';

/** AppConfig's limit on a validator's content. */
export const MAX_VALIDATOR_LENGTH = 32768;

export interface OpsSchema {
  readonly validate: ValidateFunction;
  /** The schema as AppConfig receives it: canonical, compact JSON. */
  readonly content: string;
}

/** Compile an app's schema.json under draft-04; undefined (with diagnostics) when it cannot be used. */
export function compileOpsSchema(json: JsonFile, canonical: (v: unknown) => string, diags: Diagnostics): OpsSchema | undefined {
  if (!checkFormat(json, 'ops-schema', diags, 'ops/schema-format')) return undefined;
  const content = canonical(json.value);
  // Compiling a schema costs about a millisecond; apps often share one, and the local
  // agent recompiles on every edit.
  const cached = compiledSchemas.get(content);
  if (cached) return { validate: cached, content };
  const ajv = draft04();
  if (!ajv.validateSchema(json.value as object)) {
    reportSchemaErrors(ajv.errors ?? [], (p, which) => (which === 'key' ? json.locateKey(p) : json.locate(p)), diags, 'ops/schema-not-draft-04');
    return undefined;
  }
  let validate: ValidateFunction;
  try {
    validate = compileDraft04(json.value as object);
  } catch (e) {
    diags.error(json.locate([]), 'ops/schema-not-draft-04', `schema does not compile under draft-04: ${(e as Error).message}`, {
      fix: 'AppConfig validators speak draft-04: use "exclusiveMinimum": true with "minimum", "id" not "$id", and local $refs only',
    });
    return undefined;
  }
  if (content.length > MAX_VALIDATOR_LENGTH) {
    diags.error(json.locate([]), 'ops/schema-too-large', `schema is ${content.length} characters compacted; AppConfig validators allow ${MAX_VALIDATOR_LENGTH}`, {
      fix: 'move shared definitions out, shorten descriptions, or split the configuration',
    });
    return undefined;
  }
  if (compiledSchemas.size >= MAX_CACHED_SCHEMAS) compiledSchemas.clear();
  compiledSchemas.set(content, validate);
  return { validate, content };
}

const MAX_CACHED_SCHEMAS = 1000;
const compiledSchemas = new Map<string, ValidateFunction>();

/** Deep merge for configuration: objects merge key by key; arrays and scalars replace. */
export function overlay(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    // Own keys only, and defined rather than assigned: a key such as toString or
    // __proto__ is data here, never Object.prototype's member or setter.
    for (const [k, v] of Object.entries(over)) {
      Object.defineProperty(out, k, { value: Object.hasOwn(out, k) ? overlay(out[k], v) : v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return over;
}

export function withoutSchemaKey(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { $schema: _ignored, ...rest } = value;
  return rest;
}

/**
 * Validate one environment's merged ops config. Errors point into the file that wrote
 * the offending value: the environment's override when it has that path, else default.json.
 */
export function checkOpsEnvironment(
  schema: OpsSchema,
  merged: unknown,
  env: string,
  defaults: JsonFile,
  override: JsonFile | undefined,
  diags: Diagnostics,
): boolean {
  if (schema.validate(merged)) return true;
  const locate = (p: (string | number)[], which: 'value' | 'key'): Location => {
    const target = override && hasPath(override.value, p) ? override : defaults;
    return which === 'key' ? target.locateKey(p) : target.locate(p);
  };
  reportSchemaErrors(schema.validate.errors ?? [], locate, diags, 'ops/schema', `(${env}) `);
  return false;
}

function hasPath(value: unknown, p: readonly (string | number)[]): boolean {
  let cur = value;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

