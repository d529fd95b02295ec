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
 * The same goes for draft-04's meta-schema, which every application's ops schema is checked
 * against (about 80 ms to compile at the first ops schema). Users' ops schemas themselves
 * are compiled at run time (./ops).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type AjvDraft04 from 'ajv-draft-04';
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

/**
 * The draft-04 Ajv's options (see ./schema-check draft04, which adds validateSchema: false
 * and checks schemas with draft04MetaValidator itself). scripts/build-cli.js generates the
 * meta-schema's validator with the same options (its DRAFT04_AJV_OPTIONS; the test compares).
 */
export const DRAFT04_AJV_OPTIONS = { allErrors: true, strict: false, validateFormats: false, verbose: true, addUsedSchema: false, ownProperties: true } as const;

/** The id ajv-draft-04 registers draft-04's meta-schema under. */
export const DRAFT04_META_ID = 'http://json-schema.org/draft-04/schema';

/**
 * The validator of draft-04's meta-schema: from the sources, the one the shared draft-04
 * instance compiles. A function, not the instance: the build's replacement never creates
 * one, so a run whose ops validators all come from the cache (lib/cli/schema-cache.ts)
 * never loads Ajv.
 */
export function draft04MetaValidator(ajv: () => AjvDraft04): ValidateFunction {
  const validate = ajv().getSchema(DRAFT04_META_ID);
  if (!validate) throw new Error(`ajv-draft-04 no longer registers its meta-schema as ${DRAFT04_META_ID}`);
  return validate;
}
