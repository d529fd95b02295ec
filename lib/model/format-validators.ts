/**
 * The validators of dynconf's own format schemas (config/schemas/*.schema.json): run from
 * the sources, Ajv compiles them when first used.
 *
 * The compiled CLI does not: scripts/build-cli.js replaces this module, in dist/cli and
 * dist/cli-standalone, with the same validators generated at build time by Ajv's standalone
 * code generation (same Ajv, same FORMAT_AJV_OPTIONS, same formats), because compiling them
 * was the largest single cost of a `dynconf validate` run (about 250 ms of the sample's 560).
 * That module refuses, with an error, a schema whose text differs from the one it was built
 * from; the build's manifest lists the schemas, so bin/dynconf.js rebuilds before that can
 * happen. test/model/format-validators.test.ts checks that both give the same diagnostics.
 *
 * Users' ops schemas are not here: they are compiled at run time (./ops).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type FormatName = 'workload' | 'flags' | 'ops-schema' | 'layout';

/** The formats that config/schemas/ use (ajv-formats names). */
export const FORMAT_FORMATS = ['date'] as const;

/**
 * ownProperties: a `properties` or `required` check must not find Object.prototype's members
 * (toString, valueOf...) on a value that lacks them. scripts/build-cli.js generates with the
 * same options (its FORMAT_AJV_OPTIONS; the test compares them).
 */
export const FORMAT_AJV_OPTIONS = { allErrors: true, strict: false, verbose: true, ownProperties: true } as const;

let formatAjv: Ajv | undefined;

/**
 * The validator of one format schema, given its text as read from config/schemas/. The
 * build's replacement has the same signature; it compares the text with its own.
 */
export function formatSchemaValidator(_name: FormatName, schemaText: string): ValidateFunction {
  formatAjv ??= addFormats(new Ajv({ ...FORMAT_AJV_OPTIONS }), [...FORMAT_FORMATS]);
  return formatAjv.compile(JSON.parse(schemaText) as object);
}
