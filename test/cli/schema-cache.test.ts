/**
 * The compiled ops-schema validators `dynconf validate` keeps between runs: the same
 * diagnostics with the cache cold, warm, damaged or unwritable as without it; never in CI.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Model from '../../lib/model';
import { compiledSchemaKey, type CompiledSchemaCache, type Diagnostic } from '../../lib/model';
import { DiskSchemaCache, MAX_CACHED_VALIDATORS, PACKAGE_ROOT, schemaCacheFor } from '../../lib/cli/schema-cache';
import { MINIMAL, rmrf, tempDir } from '../support/workspace';

let dir: string;
let cacheDir: string;
let warnings: string[];

beforeEach(() => {
  dir = tempDir();
  cacheDir = path.join(tempDir('dynconf-cache-'), 'ops-validators');
  warnings = [];
  fs.cpSync(MINIMAL, dir, { recursive: true });
  // Ops errors of every kind the schema reports: a wrong enum value, a number out of range in
  // an override, an unknown field (with its did-you-mean), a missing required field.
  const ops = path.join(dir, 'config/ops/demo-app');
  fs.writeFileSync(path.join(ops, 'default.json'), '{\n  "$schema": "./schema.json",\n  "logLevel": "VERBOSE",\n  "timeoutMs": 2000,\n  "timeoutMS": 5\n}\n');
  fs.writeFileSync(path.join(ops, 'prod-01.json'), '{\n  "timeoutMs": 99\n}\n');
});
afterEach(() => {
  rmrf(dir);
  rmrf(path.dirname(cacheDir));
});

/** A cache that counts what it was asked. */
function counted(inner: CompiledSchemaCache) {
  const counts = { hits: 0, misses: 0, saves: 0 };
  const cache: CompiledSchemaCache = {
    load(key) {
      const v = inner.load(key);
      if (v) counts.hits++;
      else counts.misses++;
      return v;
    },
    save(key, source) {
      counts.saves++;
      inner.save(key, source);
    },
  };
  return { cache, counts };
}

/**
 * The diagnostics of one run as a fresh process would make it: lib/model loaded anew, so
 * that no validator compiled by an earlier run is still in memory (lib/model/ops.ts keeps
 * them for the local agent).
 */
/** The diagnostics without a cache, then one run that fills it: its one entry's path and text. */
function cachedOnce(): { expected: readonly Diagnostic[]; full: string; good: string } {
  const expected = diagnostics();
  diagnostics(disk());
  const [file] = fs.readdirSync(cacheDir);
  const full = path.join(cacheDir, file!);
  return { expected, full, good: fs.readFileSync(full, 'utf8') };
}

function diagnostics(cache?: CompiledSchemaCache): readonly Diagnostic[] {
  let model: typeof Model | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy of lib/model per run, see above
    model = require('../../lib/model') as typeof Model;
  });
  return model!.loadWorkspaceFromDisk(dir, { compiledSchemaCache: cache, today: '2026-01-01' }).diagnostics;
}
const disk = () => new DiskSchemaCache(cacheDir, (line) => warnings.push(line));

test('cold, then warm: the same diagnostics as compiling, and the second run compiles nothing', () => {
  const expected = diagnostics();
  expect(expected.map((d) => d.rule)).toEqual(expect.arrayContaining(['ops/schema']));
  expect(expected.length).toBeGreaterThanOrEqual(3);

  const cold = counted(disk());
  expect(diagnostics(cold.cache)).toEqual(expected);
  expect(cold.counts).toEqual({ hits: 0, misses: 1, saves: 1 });
  expect(fs.readdirSync(cacheDir)).toEqual([`${compiledSchemaKey(JSON.parse(fs.readFileSync(path.join(dir, 'config/ops/demo-app/schema.json'), 'utf8')) as object)}.js`]);

  const warm = counted(disk());
  expect(diagnostics(warm.cache)).toEqual(expected);
  expect(warm.counts).toEqual({ hits: 1, misses: 0, saves: 0 });
  expect(warnings).toEqual([]);
});

test('a schema change is another entry; the old one is not used for it', () => {
  const schemaFile = path.join(dir, 'config/ops/demo-app/schema.json');
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { properties: { timeoutMs: { maximum: number } } };
  const before = compiledSchemaKey(schema);
  schema.properties.timeoutMs.maximum = 1000;
  expect(compiledSchemaKey(schema)).not.toBe(before);
  expect(compiledSchemaKey(JSON.parse(JSON.stringify(schema)) as object)).toBe(compiledSchemaKey(schema));
});

test('a damaged entry is reported, compiled again and replaced; the diagnostics do not change', () => {
  const { expected, full, good } = cachedOnce();
  // An edit that makes the validator accept anything: the checksum no longer matches.
  fs.writeFileSync(full, good.replace(/\n[\s\S]*$/, '\nmodule.exports = function validate() { return true; };\n'));
  expect(diagnostics(disk())).toEqual(expected);
  expect(warnings).toEqual([`dynconf: ${full} is damaged (its code does not match its checksum); compiling that schema again`]);
  expect(fs.readFileSync(full, 'utf8')).toBe(good);
});

test('an entry that does not load as a validator is reported and compiled again', () => {
  const expected = diagnostics();
  diagnostics(disk());
  const [file] = fs.readdirSync(cacheDir);
  const full = path.join(cacheDir, file!);
  const body = 'module.exports = 42;\n';
  const header = fs.readFileSync(full, 'utf8').split('\n')[0]!.replace(/[0-9a-f]{64}$/, '');
  const sha = createHash('sha256').update(`${file!.replace(/\.js$/, '')}\n${body}`).digest('hex');
  fs.writeFileSync(full, `${header}${sha}\n${body}`);
  expect(diagnostics(disk())).toEqual(expected);
  expect(warnings).toEqual([`dynconf: ${full} does not load as a validator; compiling that schema again`]);
});

test("an entry written for another schema's key is reported as damaged, compiled again and replaced", () => {
  const { expected, full, good } = cachedOnce();
  // A validator that accepts everything, saved (and so checksummed) under another key, then put where this schema's entry is.
  const otherKey = '0'.repeat(64);
  disk().save(otherKey, 'module.exports = function validate() { return true; };\n');
  fs.copyFileSync(path.join(cacheDir, `${otherKey}.js`), full);
  expect(diagnostics(disk())).toEqual(expected);
  expect(warnings).toEqual([`dynconf: ${full} is damaged (its code does not match its checksum); compiling that schema again`]);
  expect(fs.readFileSync(full, 'utf8')).toBe(good);
});

test('a cache it cannot write to is reported, and validation is unaffected', () => {
  const expected = diagnostics();
  fs.mkdirSync(path.dirname(cacheDir), { recursive: true });
  fs.writeFileSync(cacheDir, 'a file where the folder should be');
  expect(diagnostics(disk())).toEqual(expected);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^dynconf: cannot keep a compiled validator in .*; validation is unaffected, only slower next time; DYNCONF_CACHE=off skips the cache$/);
});

test(`past ${MAX_CACHED_VALIDATORS} entries the folder is emptied before the next one is written`, () => {
  fs.mkdirSync(cacheDir, { recursive: true });
  for (let i = 0; i < MAX_CACHED_VALIDATORS; i++) fs.writeFileSync(path.join(cacheDir, `${i.toString(16).padStart(64, '0')}.js`), '');
  diagnostics(disk());
  expect(fs.readdirSync(cacheDir)).toHaveLength(1);
});

test('used by validate outside CI only, and only where dynconf has node_modules', () => {
  const warn = () => undefined;
  const used = schemaCacheFor({}, warn);
  expect(used).toBeInstanceOf(DiskSchemaCache);
  expect((used as DiskSchemaCache).dir).toBe(path.join(PACKAGE_ROOT, 'node_modules/.cache/dynconf/ops-validators'));
  expect(fs.existsSync(path.join(PACKAGE_ROOT, 'package.json'))).toBe(true);
  expect(schemaCacheFor({ CI: 'true' }, warn)).toBeUndefined();
  expect(schemaCacheFor({ CODEBUILD_BUILD_ID: 'dynconf:1' }, warn)).toBeUndefined();
  expect(schemaCacheFor({ DYNCONF_CACHE: 'off' }, warn)).toBeUndefined();
  // The standalone bundle, with no node_modules beside it.
  expect(schemaCacheFor({}, warn, dir)).toBeUndefined();
});
