/**
 * The compiled CLI validates the format schemas (config/schemas/) and checks ops schemas
 * against draft-04's meta-schema with validators Ajv generated at build time
 * (scripts/build-cli.js, formatValidatorsSource); the sources compile them at run time
 * (lib/model/format-validators.ts). Both must report exactly the same thing: the same Ajv
 * errors on bad input, and, through the whole loader, the same diagnostics to the byte.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import * as model from '../../lib/model';
import { DRAFT04_AJV_OPTIONS, DRAFT04_META_ID, draft04MetaValidator, FORMAT_AJV_OPTIONS, FORMAT_FORMATS, type FormatName } from '../../lib/model/format-validators';
import { compileDraft04, draft04, draft04SchemaErrors, formatValidator, FORMAT_SCHEMA_DIR } from '../../lib/model/schema-check';
import { compiledModelSource, loadCompiled } from '../../bench/compiled-model';
import { generateWorkspace } from '../../bench/workload-generator';
import { rmrf, tempDir } from '../support/workspace';

const ROOT = path.resolve(__dirname, '../..');

interface Generated {
  FORMAT_AJV_OPTIONS: unknown;
  FORMAT_FORMATS: unknown;
  DRAFT04_AJV_OPTIONS: unknown;
  DRAFT04_META_ID: unknown;
  formatSchemaValidator(name: string, text: string): ValidateFunction;
  draft04MetaValidator(): ValidateFunction;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain CommonJS
const { formatValidatorsSource } = require('../../scripts/build-cli.js') as { formatValidatorsSource(): string };

/** The module the build puts in place of lib/model/format-validators.ts, loaded from where dist/cli is. */
function generatedModule(): Generated {
  return loadCompiled(formatValidatorsSource(), path.join(ROOT, 'dist', 'cli', 'format-validators.js')) as unknown as Generated;
}

const schemaText = (name: FormatName) => fs.readFileSync(path.join(FORMAT_SCHEMA_DIR, `${name}.schema.json`), 'utf8');

/** Ajv's verdict and errors: what reportSchemaErrors reads (keyword, paths, params, data, schema, parentSchema, message). */
function verdict(validate: ValidateFunction, value: unknown): { valid: boolean; errors: ErrorObject[] | null | undefined } {
  const valid = validate(value) as boolean;
  return { valid, errors: validate.errors };
}

const readJson = (rel: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));

/** Values of each format: valid ones from the repository, and bad ones of several kinds. */
const SAMPLES: Record<FormatName, { valid: unknown[]; invalid: unknown[] }> = {
  workload: {
    valid: [readJson('config/workload.json')],
    invalid: [
      {},
      { workload: 5, extra: true, environments: { 'Bad Name': { tier: 'qa', account: '12345' } } },
      { ...(readJson('config/workload.json') as object), applications: { 'x y': { owner: 1 } }, strategies: { s: { growthType: 'LINEAR', growthFactor: 'ten' } } },
      [],
    ],
  },
  flags: {
    valid: [readJson('flags/sso-service.json'), readJson('flags/payment-service-v2.json')],
    invalid: [
      { flags: { 'Bad Key': { name: 1, default: { enabled: 'yes', x: {}, 'Bad Attr': [1, 'a'] } } } },
      { flags: { ok: { name: 'n', expires: 'not-a-date', default: { variants: [{ name: 'v', enabled: 1, attributeValues: { a: { deep: true } } }] }, environments: { beta: { enabled: true, s: 'x'.repeat(1100) } } } } },
      { flag: {} },
    ],
  },
  'ops-schema': { valid: [readJson('config/ops/sso-service/schema.json')], invalid: [{}, { $schema: 5, type: 'object', properties: 'none' }] },
  layout: { valid: [readJson('config/layout.json')], invalid: [{ parts: { a: 'b' } }, { parts: [], extra: 1 }] },
};

const BAD_DRAFT04_SCHEMAS: object[] = [
  { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { logLevel: { enum: ['DEBUG'] } } },
  { type: 'objekt' },
  { $schema: 'http://json-schema.org/draft-04/schema', properties: { a: { minimum: 'x', required: [] } }, exclusiveMinimum: 5 },
  { $schema: 'http://json-schema.org/draft-04/schema#', required: [], additionalProperties: 'no', items: [1] },
];

describe('the validators generated at build time', () => {
  const generated = generatedModule();

  test('are generated with the options, formats and meta-schema the sources compile with', () => {
    expect(generated.FORMAT_AJV_OPTIONS).toEqual(FORMAT_AJV_OPTIONS);
    expect(generated.FORMAT_FORMATS).toEqual(FORMAT_FORMATS);
    expect(generated.DRAFT04_AJV_OPTIONS).toEqual(DRAFT04_AJV_OPTIONS);
    expect(generated.DRAFT04_META_ID).toBe(DRAFT04_META_ID);
  });

  test.each(Object.keys(SAMPLES) as FormatName[])('%s: the same verdict and the same errors as the run-time compiled validator', (name) => {
    const precompiled = generated.formatSchemaValidator(name, schemaText(name));
    const atRunTime = formatValidator(name);
    expect(precompiled).not.toBe(atRunTime);
    const { valid, invalid } = SAMPLES[name];
    const verdicts = [...valid, ...invalid].map((v) => verdict(precompiled, v));
    expect(verdicts).toEqual([...valid, ...invalid].map((v) => verdict(atRunTime, v)));
    // The samples do what they are there for: the repository's files pass, the others fail with errors.
    expect(verdicts.map((v) => v.valid)).toEqual([...valid.map(() => true), ...invalid.map(() => false)]);
    expect(verdicts.every((v) => v.valid || (v.errors?.length ?? 0) > 0)).toBe(true);
  });

  test("draft-04's meta-schema: the same errors as Ajv's own check of the schema", () => {
    const meta = generated.draft04MetaValidator();
    for (const schema of BAD_DRAFT04_SCHEMAS) expect(verdict(meta, schema)).toEqual(verdict(draft04MetaValidator(draft04), schema));
    expect(BAD_DRAFT04_SCHEMAS.map((s) => draft04SchemaErrors(s) === undefined)).toEqual([true, false, false, false]);
  });

  test("compileDraft04 refuses a schema the meta-schema rejects with Ajv's own message", () => {
    for (const schema of BAD_DRAFT04_SCHEMAS.slice(1)) {
      let ajvMessage = '';
      try {
        new AjvDraft04({ ...DRAFT04_AJV_OPTIONS }).compile(schema);
      } catch (e) {
        ajvMessage = (e as Error).message;
      }
      expect(ajvMessage).toMatch(/^schema is invalid: /);
      expect(() => compileDraft04(schema)).toThrow(ajvMessage);
    }
  });

  test('a schema edited since the build is refused with the fix, never validated with the old code', () => {
    const text = schemaText('flags').replace('"flags"', '"flags" ');
    expect(() => generated.formatSchemaValidator('flags', text)).toThrow('config/schemas/flags.schema.json differs from the one this build of dynconf was generated from; rebuild it: npm run build:cli');
    expect(() => generated.formatSchemaValidator('nope', '{}')).toThrow('no validator for the format schema nope');
  });
});

describe('lib/model as the compiled CLI runs it', () => {
  let dir: string;
  let compiled: typeof model;
  beforeAll(async () => {
    const { code, filename } = await compiledModelSource();
    compiled = loadCompiled(code, filename);
    dir = tempDir();
    generateWorkspace(dir, { applications: 8, environments: 4, flagsPerApp: 12 });
  });
  afterAll(() => rmrf(dir));

  const edit = (rel: string, from: string, to: string) => {
    const file = path.join(dir, rel);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(from)) throw new Error(`planting failed: '${from}' not in ${rel}`);
    fs.writeFileSync(file, text.replace(from, to));
  };
  const output = (m: typeof model) => m.loadWorkspaceFromDisk(dir, { today: '2026-11-21' }).diagnostics.map(m.formatDiagnostic).join('\n');

  test('a valid workspace: the same model and diagnostics', () => {
    const fromSources = model.loadWorkspaceFromDisk(dir, { today: '2026-11-21' });
    const fromBundle = compiled.loadWorkspaceFromDisk(dir, { today: '2026-11-21' });
    expect(fromBundle.model?.documents.map((d) => d.content)).toEqual(fromSources.model?.documents.map((d) => d.content));
    expect(fromBundle.diagnostics).toEqual(fromSources.diagnostics);
  });

  test('errors planted in several applications, of the format schemas, the meta-schema and the secret scan: identical to the byte', () => {
    edit('flags/app-001.json', '"name": "Flag 1"', '"name": "Flag 1", "enabeld": true');
    edit('flags/app-002.json', '"exposure": "browser"', '"exposure": "public"');
    edit('flags/app-003.json', '"limit": 10,', '"limit": "ten", "Bad Attr": 1,');
    edit('config/ops/app-004/schema.json', '"type": "object"', '"type": "objekt"');
    edit('config/ops/app-005/schema.json', '"minimum": 1', '"minimum": "one"');
    // The same token, which only secretlint's preset knows, in two files of the same content:
    // the preset's answer is kept by content (lib/model/secrets.ts), and both are reported.
    // Split, or the repository's own secret scan finds it here.
    for (const app of ['app-006', 'app-007']) edit(`config/ops/${app}/default.json`, '"logLevel": "INFO"', `"logLevel": "INFO", "note": "hf_${'qWeRtYuIoPaSdFgHjKlZxCv'}BnMqWeRtYuI"`);
    edit('config/workload.json', '"owner": "team-bench"', '"owner": 7');
    const expected = output(model);
    const rules = new Set(model.loadWorkspaceFromDisk(dir, { today: '2026-11-21' }).diagnostics.map((d) => d.rule));
    expect([...rules].sort()).toEqual(expect.arrayContaining(['flags/schema', 'ops/schema-not-draft-04', 'policy/secret', 'workload/schema']));
    expect(expected.match(/^config\/ops\/app-00[67]\/default\.json:.* looks like a Hugging Face token/gm)?.length).toBe(2);
    expect(output(compiled)).toBe(expected);
  });
});
