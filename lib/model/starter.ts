/**
 * What a new application starts with, and the names applications and flags may have. One
 * place for both, so that the fixes validate prints for a half-added application and the
 * files `dynconf new app` writes are the same content, and so that `dynconf new` checks a
 * name with the very pattern validate applies (read from the format schemas, not copied).
 */
import { formatSchema, type FormatName } from './schema-check';

/** The `$schema` every ops schema declares: AppConfig's JSON_SCHEMA validators speak draft-04. */
export const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/**
 * A new application's ops schema: an object with no keys yet. additionalProperties false, so
 * that a key added to default.json before the schema (or misspelled) fails validate instead
 * of deploying unchecked.
 */
export function starterOpsSchema(app: string): Record<string, unknown> {
  return {
    $schema: DRAFT_04,
    title: `${app} operational configuration`,
    type: 'object',
    additionalProperties: false,
    properties: {},
  };
}

/** A new application's default.json: no values yet, and the editor pointed at the schema. */
export function starterOpsDefault(): Record<string, unknown> {
  return { $schema: './schema.json' };
}

/** A new application's flags file: no flags yet. */
export function starterFlagsFile(schemaRef: string | undefined): Record<string, unknown> {
  return schemaRef === undefined ? { flags: {} } : { $schema: schemaRef, flags: {} };
}

/** The `$schema` a new flags file declares when no other flags file shows the workspace's own. */
export const FLAGS_SCHEMA_REF = '../config/schemas/flags.schema.json';

/** Compact one-line JSON, for a fix that says what to write. */
export function oneLine(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(oneLine).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function patternAt(format: FormatName, jsonPath: readonly string[]): RegExp {
  let node: unknown = formatSchema(format);
  for (const key of jsonPath) node = (node as Record<string, unknown> | undefined)?.[key];
  if (typeof node !== 'string') throw new Error(`config/schemas/${format}.schema.json has no pattern at ${jsonPath.join('.')}`);
  // eslint-disable-next-line security/detect-non-literal-regexp -- a pattern from the project's own config/schemas/*.schema.json, not input
  return new RegExp(node);
}

/** Application names as config/schemas/workload.schema.json allows them (they become AppConfig and stack names). */
export function applicationNamePattern(): RegExp {
  return patternAt('workload', ['properties', 'applications', 'propertyNames', 'pattern']);
}

/** Flag keys as config/schemas/flags.schema.json allows them (AppConfig's own pattern). */
export function flagKeyPattern(): RegExp {
  return patternAt('flags', ['properties', 'flags', 'propertyNames', 'pattern']);
}
