/**
 * config/ops/<app>/: default.json overlaid with <env>.json (objects merge, arrays and
 * scalars replace), validated against the app's schema.json the way AppConfig's
 * JSON_SCHEMA validator will: draft-04.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { canonicalJson } from './canonical';
import { didYouMean, type Diagnostics, type Location } from './diagnostics';
import { checkFormat, compileCheckedDraft04, draft04SchemaErrors, EMERGENCY_KEYWORD, formatPath, pointerToPath, reportSchemaErrors, type CompiledSchemaCache } from './schema-check';
import type { JsonFile } from './source';

/** AppConfig's limit on a validator's content. */
export const MAX_VALIDATOR_LENGTH = 32768;

export interface OpsSchema {
  readonly validate: ValidateFunction;
  /** The schema as AppConfig receives it: canonical, compact JSON. */
  readonly content: string;
}

/** Compile an app's schema.json under draft-04; undefined (with diagnostics) when it cannot be used. */
export function compileOpsSchema(json: JsonFile, canonical: (v: unknown) => string, diags: Diagnostics, cache?: CompiledSchemaCache): OpsSchema | undefined {
  if (!checkFormat(json, 'ops-schema', diags, 'ops/schema-format')) return undefined;
  if (!checkEmergencyMarks(json, diags)) return undefined;
  const content = canonical(json.value);
  // Compiling a schema costs milliseconds, which adds up over a hundred applications, and the
  // local agent recompiles on every edit. Schemas often differ only in their annotations:
  // every application that `dynconf new app` created has the starter schema, titled with its
  // name. Those share one compiled validator (see validationKey).
  const key = validationKey(content);
  let validate = compiledSchemas.get(key);
  if (!validate) {
    const schemaErrors = draft04SchemaErrors(json.value as object);
    if (schemaErrors) {
      reportSchemaErrors(schemaErrors, (p, which) => (which === 'key' ? json.locateKey(p) : json.locate(p)), diags, 'ops/schema-not-draft-04');
      return undefined;
    }
    try {
      validate = compileCheckedDraft04(json.value as object, cache);
    } catch (e) {
      diags.error(json.locate([]), 'ops/schema-not-draft-04', `schema does not compile under draft-04: ${(e as Error).message}`, {
        fix: 'AppConfig validators speak draft-04: use "exclusiveMinimum": true with "minimum", "id" not "$id", and local $refs only',
      });
      return undefined;
    }
    if (compiledSchemas.size >= MAX_CACHED_SCHEMAS) compiledSchemas.clear();
    compiledSchemas.set(key, validate);
  }
  if (content.length > MAX_VALIDATOR_LENGTH) {
    diags.error(json.locate([]), 'ops/schema-too-large', `schema is ${content.length} characters compacted; AppConfig validators allow ${MAX_VALIDATOR_LENGTH}`, {
      fix: 'move shared definitions out, shorten descriptions, or split the configuration',
    });
    return undefined;
  }
  return { validate, content };
}

/** Keywords that never change what a draft-04 schema accepts, nor any error Ajv reports for it. */
const ANNOTATIONS = ['title', 'description'] as const;

/**
 * The schema (canonical JSON) without its string `title` and `description` at schema
 * positions (a property that is itself named `title` stays): two schemas with the same key
 * accept the same values and give the same errors, so one compiled validator serves both.
 * Only string values are dropped: draft-04's meta-schema wants strings there, so the
 * meta-schema check of a schema and of its key agree.
 */
function validationKey(content: string): string {
  const root = JSON.parse(content) as unknown;
  if (!isPlainObject(root)) return content;
  let stripped = false;
  for (const { node } of schemaNodes(root)) {
    for (const k of ANNOTATIONS) {
      if (Object.hasOwn(node, k) && typeof node[k] === 'string') {
        delete node[k];
        stripped = true;
      }
    }
  }
  return stripped ? canonicalJson(root) : content;
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
  const errors = schema.validate.errors ?? [];
  const inDefaults = errors.filter((e) => missingFromDefaults(e, defaults));
  for (const e of inDefaults) {
    const p = pointerToPath(e.instancePath);
    const prop = (e.params as { missingProperty: string }).missingProperty;
    // No environment in the message: every environment that lacks the key reports the same
    // line, and Diagnostics keeps one of them.
    diags.error(defaults.locateKey(p), 'ops/schema', `missing required field '${prop}'`, {
      field: formatPath(p) || '(root)',
      fix: `add '${prop}' ${p.length ? `under ${formatPath(p)} ` : ''}to default.json, which every environment inherits, or to each <env>.json that lacks it`,
    });
  }
  const rest = errors.filter((e) => !inDefaults.includes(e));
  // A value written in default.json fails in every environment that keeps it: name no one
  // environment there. oneOf/anyOf errors are pruned as a group, so they stay together.
  const grouped = rest.some((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const fromDefaults = grouped ? [] : rest.filter((e) => !(override && hasPath(override.value, locatedPath(e))));
  reportSchemaErrors(fromDefaults, locate, diags, 'ops/schema');
  reportSchemaErrors(
    rest.filter((e) => !fromDefaults.includes(e)),
    locate,
    diags,
    'ops/schema',
    `(${env}) `,
  );
  return false;
}

/** The path reportSchemaErrors locates an error at. */
function locatedPath(e: ErrorObject): (string | number)[] {
  const p = pointerToPath(e.instancePath);
  return e.keyword === 'additionalProperties' ? [...p, (e.params as { additionalProperty: string }).additionalProperty] : p;
}

/**
 * A required key that neither default.json nor the environment's file sets, under an object
 * that default.json writes: the fix belongs in default.json, so the error goes there (once),
 * not at line 1 of every <env>.json. Not for a requirement inside oneOf/anyOf/not, where
 * which branch was meant decides what is missing.
 */
function missingFromDefaults(e: ErrorObject, defaults: JsonFile): boolean {
  if (e.keyword !== 'required' || /\/(?:oneOf|anyOf|not)\//.test(e.schemaPath)) return false;
  return hasPath(defaults.value, pointerToPath(e.instancePath));
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


// ---- x-dynconf-emergency ----

/** What an ops property's `x-dynconf-emergency` allows the emergency lane to do. */
export type EmergencyMark = 'any' | 'decrease' | 'increase';
export const EMERGENCY_MARKS: readonly EmergencyMark[] = ['any', 'decrease', 'increase'];

type SchemaNode = Record<string, unknown>;
type SchemaPath = (string | number)[];

/**
 * Check every `x-dynconf-emergency` of an ops schema: its value is one of EMERGENCY_MARKS;
 * `decrease` and `increase` sit on number or integer properties; and the mark is where the
 * emergency check looks, on a property reached from the root through `properties` (and
 * local `$ref`s). A mark anywhere else (under patternProperties, items, allOf...) would be
 * ignored by the check, so it is an error rather than a silent no-op. True when all are good.
 */
export function checkEmergencyMarks(json: JsonFile, diags: Diagnostics): boolean {
  const root = json.value;
  if (!isPlainObject(root)) return true;
  const reachable = new Set<SchemaNode>();
  collectReachable(root, root, reachable, new Set());
  let ok = true;
  for (const { node, path } of schemaNodes(root)) {
    if (!Object.hasOwn(node, EMERGENCY_KEYWORD)) continue;
    const at = json.locate([...path, EMERGENCY_KEYWORD]);
    const field = `${formatPath(path) || '(root)'}.${EMERGENCY_KEYWORD}`;
    const value = node[EMERGENCY_KEYWORD];
    if (typeof value !== 'string' || !(EMERGENCY_MARKS as readonly string[]).includes(value)) {
      const guess = typeof value === 'string' ? didYouMean(value, EMERGENCY_MARKS) : undefined;
      diags.error(at, 'ops/emergency-mark', `${JSON.stringify(value)} is not an emergency mark`, {
        field,
        fix: guess ? `did you mean '${guess}'?` : `use "any" (may change either way), "decrease" or "increase" (a number may only go down, or up)${value === true ? '; true is written "any"' : ''}`,
      });
      ok = false;
      continue;
    }
    if (node === root) {
      diags.error(at, 'ops/emergency-mark', 'the whole configuration cannot be marked: the emergency lane takes named keys only', {
        field,
        fix: `move ${EMERGENCY_KEYWORD} onto the properties that may change during an incident`,
      });
      ok = false;
      continue;
    }
    if (!reachable.has(node)) {
      diags.error(at, 'ops/emergency-mark', `${EMERGENCY_KEYWORD} is only read on a property under "properties" (from the root, through local $refs); here the emergency check would never see it`, {
        field,
        fix: 'put the mark on the property itself, in properties (or in the definition a property $refs)',
      });
      ok = false;
      continue;
    }
    if (value !== 'any' && !isNumeric(resolveRef(root, node))) {
      diags.error(at, 'ops/emergency-mark', `"${value}" needs a number: this property is not declared "type": "number" or "integer"`, {
        field,
        fix: `declare "type": "integer" or "number" on the property, or mark it "any"`,
      });
      ok = false;
    }
  }
  return ok;
}

/**
 * The emergency mark that governs an ops value at `path`: the mark of the property itself,
 * else `any` inherited from an enclosing object marked `any`; undefined when unmarked.
 * `schema` is the parsed ops schema (ApplicationModel.opsSchema, parsed).
 */
export function emergencyMarkAt(schema: unknown, path: readonly (string | number)[]): EmergencyMark | undefined {
  if (!isPlainObject(schema)) return undefined;
  let node: SchemaNode = schema;
  let inherited: EmergencyMark | undefined;
  for (const segment of path) {
    const props = resolveRef(schema, node).properties;
    if (typeof segment !== 'string' || !isPlainObject(props) || !Object.hasOwn(props, segment) || !isPlainObject(props[segment])) return inherited;
    node = props[segment];
    if (markOf(schema, node) === 'any') inherited = 'any';
  }
  // decrease and increase govern their own (numeric) property only.
  return path.length > 0 ? (markOf(schema, node) ?? inherited) : undefined;
}

/**
 * The ops schema as AppConfig's JSON_SCHEMA validator receives it: the model's canonical
 * schema without dynconf's `x-dynconf-emergency` annotations. AppConfig does not document
 * how its validator treats unknown keywords (draft-04 says they SHOULD be ignored, and
 * some validators can be set to refuse them), so they are not sent.
 */
export function hostedValidatorContent(opsSchema: string): string {
  if (!opsSchema.includes(EMERGENCY_KEYWORD)) return opsSchema;
  const root = JSON.parse(opsSchema) as unknown;
  if (!isPlainObject(root)) return opsSchema;
  const marked = new Set(schemaNodes(root).map((n) => n.node));
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (!isPlainObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // Only the keyword in a schema position: a property that is itself named x-dynconf-emergency stays.
      if (k === EMERGENCY_KEYWORD && marked.has(v)) continue;
      Object.defineProperty(out, k, { value: strip(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return canonicalJson(strip(root));
}

function markOf(root: SchemaNode, node: SchemaNode): EmergencyMark | undefined {
  const own = node[EMERGENCY_KEYWORD] ?? resolveRef(root, node)[EMERGENCY_KEYWORD];
  return typeof own === 'string' && (EMERGENCY_MARKS as readonly string[]).includes(own) ? (own as EmergencyMark) : undefined;
}

function isNumeric(node: SchemaNode): boolean {
  const t = node.type;
  const types = Array.isArray(t) ? t : [t];
  return types.length > 0 && types.every((x) => x === 'number' || x === 'integer');
}

/** A node's local `$ref` target (draft-04: `#/definitions/x`), or the node itself. */
function resolveRef(root: SchemaNode, node: SchemaNode, seen = new Set<SchemaNode>()): SchemaNode {
  const ref = node.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#') || seen.has(node)) return node;
  seen.add(node);
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isPlainObject(cur) && !Array.isArray(cur)) return node;
    if (!Object.hasOwn(cur as object, seg)) return node;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return isPlainObject(cur) ? resolveRef(root, cur, seen) : node;
}

/** The schema nodes a mark on which the emergency check reads: properties, recursively, through $refs. */
function collectReachable(root: SchemaNode, node: SchemaNode, out: Set<SchemaNode>, onPath: Set<SchemaNode>): void {
  const target = resolveRef(root, node);
  if (onPath.has(target)) return;
  onPath.add(target);
  const props = target.properties;
  if (isPlainObject(props)) {
    for (const child of Object.values(props)) {
      if (!isPlainObject(child)) continue;
      out.add(child);
      out.add(resolveRef(root, child));
      collectReachable(root, child, out, onPath);
    }
  }
  onPath.delete(target);
}

/** Every subschema of a draft-04 schema, with its path: where a keyword is a keyword, not data. */
function schemaNodes(root: SchemaNode): { node: SchemaNode; path: SchemaPath }[] {
  const out: { node: SchemaNode; path: SchemaPath }[] = [];
  const visit = (node: unknown, path: SchemaPath): void => {
    if (!isPlainObject(node)) return;
    out.push({ node, path });
    for (const k of ['properties', 'patternProperties', 'definitions', 'dependencies']) {
      const map = node[k];
      if (isPlainObject(map)) for (const [name, sub] of Object.entries(map)) visit(sub, [...path, k, name]);
    }
    for (const k of ['additionalProperties', 'additionalItems', 'not']) visit(node[k], [...path, k]);
    const items = node.items;
    if (Array.isArray(items)) items.forEach((sub, i) => visit(sub, [...path, 'items', i]));
    else visit(items, [...path, 'items']);
    for (const k of ['allOf', 'anyOf', 'oneOf']) {
      const list = node[k];
      if (Array.isArray(list)) list.forEach((sub, i) => visit(sub, [...path, k, i]));
    }
  };
  visit(root, []);
  return out;
}
