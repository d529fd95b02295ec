import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { canonicalJson, Diagnostics, featureFlagsDocument, FeatureFlagsWriter, findDocument, loadWorkspaceFromDisk, MAX_DOCUMENT_BYTES, overlay, parseRule, type FlagsFileConfig, type Model } from '../../lib/model';
import { resolveFlags } from '../../lib/model/flags';
import { parseJson } from '../../lib/model/source';
import { copySample, materialize, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';

function sampleModel(): Model {
  const { model, diagnostics } = loadWorkspaceFromDisk(REPO_ROOT, { today: TODAY });
  if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return model;
}

function doc(model: Model, env: string, app: string, profile: 'flags' | 'ops' | 'browser'): Record<string, unknown> {
  const d = findDocument(model, env, app, profile);
  if (!d) throw new Error(`no ${profile} document for ${app} in ${env}`);
  return JSON.parse(d.content) as Record<string, unknown>;
}

describe('compiled feature-flag documents follow the AWS.AppConfig.FeatureFlags format', () => {
  const model = sampleModel();
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }), ['date']);
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(__dirname, '../support/appconfig-feature-flags.schema.json'), 'utf8')) as object);
  const featureFlagDocs = model.documents.filter((d) => d.profile !== 'ops');

  test.each(featureFlagDocs.map((d) => [`${d.environment}/${d.application}/${d.profile}`, d.content]))('%s', (_name, content) => {
    const value = JSON.parse(content) as { version: string; flags: Record<string, unknown>; values: Record<string, { _variants?: { rule?: string }[] }> };
    expect(validate(value) ? [] : validate.errors).toEqual([]);
    expect(value.version).toBe('1');
    // Every defined flag has a value, and every value belongs to a defined flag.
    expect(Object.keys(value.values).sort()).toEqual(Object.keys(value.flags).sort());
    for (const v of Object.values(value.values)) {
      if (!v._variants) continue;
      // AppConfig: rules parse, and the last variant is the rule-less default.
      v._variants.slice(0, -1).forEach((variant) => expect(parseRule(variant.rule ?? '')).toMatchObject({ ok: true }));
      expect(v._variants[v._variants.length - 1]!.rule).toBeUndefined();
    }
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
  });
});

describe('what each environment gets', () => {
  const model = sampleModel();

  test('every environment has flags and ops for every application, browser only where flags are exposed', () => {
    for (const env of ['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']) {
      for (const app of ['search-service-net', 'payment-service-v2', 'sso-service', 'groupsync-v3']) {
        expect(findDocument(model, env, app, 'flags')).toBeDefined();
        expect(findDocument(model, env, app, 'ops')).toBeDefined();
        expect(findDocument(model, env, app, 'browser') !== undefined).toBe(app === 'groupsync-v3');
      }
    }
  });

  test('an environment entry overlays the default', () => {
    const beta = doc(model, 'beta', 'payment-service-v2', 'flags') as { values: Record<string, unknown> };
    const prod02 = doc(model, 'prod-02', 'payment-service-v2', 'flags') as { values: Record<string, unknown> };
    expect(beta.values['new-checkout']).toEqual({ enabled: true, rolloutPercent: 100 });
    expect(prod02.values['new-checkout']).toEqual({ enabled: false });
    // An entry with only "enabled" keeps the default's attribute values.
    expect((doc(model, 'beta', 'payment-service-v2', 'flags') as { values: Record<string, unknown> }).values['three-ds-enforcement']).toEqual({
      enabled: false,
      thresholdCents: 5000,
      exemptCountries: ['US', 'CA'],
    });
  });

  test('variants compile to _variants in order, the default last and rule-less', () => {
    const prod01 = doc(model, 'prod-01', 'payment-service-v2', 'flags') as { values: Record<string, { _variants: { name: string; rule?: string }[] }> };
    const variants = prod01.values['new-checkout']!._variants;
    expect(variants.map((v) => v.name)).toEqual(['pro-tier', 'early-adopters', 'everyone-else']);
    expect(variants[0]).toEqual({ name: 'pro-tier', rule: '(eq $tier "pro")', enabled: true, attributeValues: { rolloutPercent: 100 } });
    expect(variants[2]).toEqual({ name: 'everyone-else', enabled: false });
  });

  test('expires compiles to _deprecation', () => {
    const flags = doc(model, 'gamma', 'payment-service-v2', 'flags') as { flags: Record<string, { _deprecation?: unknown }> };
    expect(flags.flags['new-checkout']!._deprecation).toEqual({ status: 'planned', date: '2027-09-30' });
    expect(flags.flags['payment-retry-policy']!._deprecation).toBeUndefined();
  });

  test('the browser profile holds the browser-exposed flags and nothing else', () => {
    const app = model.applications.find((a) => a.name === 'groupsync-v3')!;
    expect(app.browserFlagKeys).toEqual(['new-group-editor', 'theme', 'realtime-presence']);
    for (const env of model.environments) {
      const browser = doc(model, env, 'groupsync-v3', 'browser') as { flags: object; values: object };
      expect(Object.keys(browser.flags).sort()).toEqual([...app.browserFlagKeys].sort());
      expect(Object.keys(browser.values).sort()).toEqual([...app.browserFlagKeys].sort());
      expect(findDocument(model, env, 'groupsync-v3', 'browser')!.content).not.toMatch(/bulk-sync-batch|directory-connector-v2/);
    }
  });

  test('ops: default overlaid by the environment, $schema stripped', () => {
    expect(doc(model, 'beta', 'search-service-net', 'ops')).toMatchObject({ logLevel: 'DEBUG', throttling: { requestsPerSecond: 50, burst: 100 }, timeouts: { connectMs: 500, readMs: 2000 } });
    expect(doc(model, 'prod-01', 'payment-service-v2', 'ops')).toMatchObject({ logLevel: 'ERROR', timeouts: { connectMs: 1000, readMs: 8000 } });
    expect(doc(model, 'prod-02', 'payment-service-v2', 'ops')).toMatchObject({ logLevel: 'ERROR', timeouts: { connectMs: 1000, readMs: 10000 } });
    for (const d of model.documents) expect(d.content).not.toContain('"$schema"');
  });

  test('the ops schema is the validator content, compact', () => {
    const app = model.applications.find((a) => a.name === 'sso-service')!;
    expect(JSON.parse(app.opsSchema)).toMatchObject({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
    expect(app.opsSchema).not.toContain('\n');
  });
});

describe('deterministic bytes', () => {
  test('the same input compiles to the same bytes', () => {
    expect(sampleModel().documents).toEqual(sampleModel().documents);
  });

  test('reordering flags and keys in a source file changes no byte', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags/payment-service-v2.json');
      const source = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, Record<string, unknown>> };
      const reversed = Object.fromEntries(
        Object.entries(source.flags)
          .reverse()
          .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]),
      );
      fs.writeFileSync(file, JSON.stringify({ ...source, flags: reversed }, null, 4));
      const { model } = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(model?.documents).toEqual(sampleModel().documents);
    } finally {
      rmrf(dir);
    }
  });

  test('canonical JSON sorts keys and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, 1, { d: 1, c: 2 }] })).toBe('{"a":[3,1,{"c":2,"d":1}],"b":1}');
  });

  test('overlay merges objects and replaces arrays and scalars', () => {
    expect(overlay({ a: { x: 1, y: [1, 2] }, b: 1 }, { a: { y: [3] }, b: null })).toEqual({ a: { x: 1, y: [3] }, b: null });
  });
});

describe('limits and dates', () => {
  test('a document over 2 MB is refused', () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      const schemaFile = path.join(dir, 'config/ops/demo-app/schema.json');
      const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { properties: Record<string, unknown> };
      schema.properties.blob = { type: 'array', items: { type: 'string' } };
      fs.writeFileSync(schemaFile, JSON.stringify(schema));
      const defaults = { $schema: './schema.json', logLevel: 'INFO', timeoutMs: 2000, blob: Array.from({ length: 2200 }, () => 'x'.repeat(1000)) };
      fs.writeFileSync(path.join(dir, 'config/ops/demo-app/default.json'), JSON.stringify(defaults));
      const result = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(result.model).toBeUndefined();
      expect(result.diagnostics).toContainEqual(
        expect.objectContaining({ rule: 'document/too-large', file: 'config/ops/demo-app/default.json', message: expect.stringContaining('AppConfig hosts at most 2097152') }),
      );
    } finally {
      rmrf(dir);
    }
  });

  test('an expired flag is a warning unless strict', () => {
    const { dir } = materialize(path.join(__dirname, '../fixtures/invalid/flags-expired-strict'));
    try {
      const relaxed = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(relaxed.model).toBeDefined();
      expect(relaxed.diagnostics).toContainEqual(expect.objectContaining({ rule: 'flags/expired', severity: 'warning' }));
      const strict = loadWorkspaceFromDisk(dir, { today: TODAY, strict: true });
      expect(strict.model).toBeUndefined();
      // Before its date the same flag is fine.
      expect(loadWorkspaceFromDisk(dir, { today: '2019-12-31', strict: true }).diagnostics).toEqual([]);
    } finally {
      rmrf(dir);
    }
  });
});

describe('document sizes without rendering', () => {
  test('FeatureFlagsWriter.byteLength equals the bytes content() renders, non-ASCII included', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags/groupsync-v3.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"Colour scheme offered to users"', '"Farbschema für Nutzer – 日本語 ✓"'));
      const json = parseJson('flags/groupsync-v3.json', fs.readFileSync(file), new Diagnostics())!;
      const flags = resolveFlags(json, json.value as FlagsFileConfig, new Diagnostics(), { environments: ['beta', 'gamma', 'prod-01'], today: TODAY, strict: false });
      for (const subset of [flags, flags.filter((f) => f.exposure === 'browser'), []]) {
        const writer = new FeatureFlagsWriter(subset);
        for (const env of ['beta', 'gamma', 'prod-01']) {
          expect(writer.byteLength(env)).toBe(Buffer.byteLength(writer.content(env)));
          expect(writer.content(env)).toBe(canonicalJson(featureFlagsDocument(subset, env)));
        }
      }
    } finally {
      rmrf(dir);
    }
  });
});
