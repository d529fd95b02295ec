/**
 * validate sizes every flags document from per-flag counts (FeatureFlagsWriter.byteLength)
 * and never renders it; build renders it (content). The two must agree byte for byte on
 * every workspace, not only on hand-written edge cases (document-bytes, definition-bytes):
 * here over a generated workspace (the shape validate is timed on) and every flags file of
 * the fixtures, for the whole document, the browser subset, single flags, flags of two files
 * in one writer, and an environment that does not exist. Also pins how resolved values per
 * environment behave as a map: what load.ts, the writer and tests read from them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson, Diagnostics, featureFlagsDocument, FeatureFlagsWriter, type ResolvedFlag } from '../../lib/model';
import { flagValue, resolveFlags } from '../../lib/model/flags';
import { parseJson } from '../../lib/model/source';
import type { FlagsFileConfig } from '../../lib/model/types';
import { generateWorkspace } from '../../bench/workload-generator';
import { rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';
const FIXTURES = path.join(__dirname, '..', 'fixtures');

function flagsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...flagsFiles(p));
    else if (path.basename(dir) === 'flags' && entry.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function resolve(file: string, environments: readonly string[]): ResolvedFlag[] | undefined {
  const diags = new Diagnostics();
  const json = parseJson(`flags/${path.basename(file)}`, fs.readFileSync(file), diags);
  const value = json?.value as FlagsFileConfig | undefined;
  // Files that fail to parse, or whose shape the schema refuses, never reach the writer.
  if (!json || typeof value !== 'object' || value === null || typeof value.flags !== 'object' || value.flags === null || Array.isArray(value.flags)) return undefined;
  for (const flag of Object.values(value.flags)) if (typeof flag !== 'object' || flag === null || !hasBooleanEnabled(flag)) return undefined;
  return resolveFlags(json, value, diags, { environments, today: TODAY, strict: false });
}

/** The writer counts "enabled" as a boolean, which the flags schema guarantees before resolveFlags runs. */
function hasBooleanEnabled(flag: object): boolean {
  const values = [(flag as { default?: unknown }).default, ...Object.values((flag as { environments?: object }).environments ?? {})];
  return values.every((v) => typeof v !== 'object' || v === null || (v as { enabled?: unknown }).enabled === undefined || typeof (v as { enabled?: unknown }).enabled === 'boolean');
}

function expectSizesMatch(label: string, subset: readonly ResolvedFlag[], environments: readonly string[]): number {
  const writer = new FeatureFlagsWriter(subset);
  let checked = 0;
  for (const env of [...environments, 'no-such-env']) {
    const content = writer.content(env);
    expect({ label, env, bytes: writer.byteLength(env) }).toEqual({ label, env, bytes: Buffer.byteLength(content) });
    expect(content).toBe(canonicalJson(featureFlagsDocument(subset, env)));
    checked++;
  }
  return checked;
}

describe('byteLength equals the bytes of the rendered document', () => {
  test('over a generated workspace: every application, all flags, browser flags, each flag alone', () => {
    const dir = tempDir();
    try {
      generateWorkspace(dir, { applications: 4, environments: 10, flagsPerApp: 40 });
      const environments = Object.keys((JSON.parse(fs.readFileSync(path.join(dir, 'config/workload.json'), 'utf8')) as { environments: object }).environments);
      expect(environments).toHaveLength(10);
      const files = flagsFiles(path.join(dir, 'flags'));
      expect(files).toHaveLength(4);
      let documents = 0;
      const all: ResolvedFlag[][] = [];
      for (const file of files) {
        const flags = resolve(file, environments)!;
        expect(flags).toHaveLength(40);
        all.push(flags);
        // Each value's own count, the piece the writer adds up.
        for (const flag of flags) for (const [env, value] of flag.values) expect({ key: flag.key, env, bytes: value.bytes }).toEqual({ key: flag.key, env, bytes: Buffer.byteLength(JSON.stringify(flagValue(value))) });
        documents += expectSizesMatch(file, flags, environments);
        documents += expectSizesMatch(`${file} browser`, flags.filter((f) => f.exposure === 'browser'), environments);
        for (const flag of flags.slice(0, 8)) documents += expectSizesMatch(`${file} ${flag.key}`, [flag], environments);
      }
      // Flags of two files in one writer: each file's values are indexed by its own copy of the environments.
      documents += expectSizesMatch('two files', [...all[0]!.slice(0, 5), ...all[1]!.slice(5, 10)], environments);
      documents += expectSizesMatch('nothing', [], environments);
      expect(documents).toBeGreaterThan(100);
    } finally {
      rmrf(dir);
    }
  });

  test('over every flags file of the fixtures that reaches the writer, in several environment lists', () => {
    const files = flagsFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(30);
    let resolved = 0;
    for (const environments of [['beta', 'gamma', 'prod-01'], ['prod-01'], ['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']]) {
      for (const file of files) {
        const flags = resolve(file, environments);
        if (!flags) continue;
        resolved++;
        expectSizesMatch(file, flags, environments);
        expectSizesMatch(`${file} browser`, flags.filter((f) => f.exposure === 'browser'), environments);
        for (const flag of flags) expectSizesMatch(`${file} ${flag.key}`, [flag], environments);
      }
    }
    expect(resolved).toBeGreaterThan(90);
  });
});

describe('values per environment', () => {
  const text = JSON.stringify({
    flags: {
      everywhere: { name: 'Everywhere', default: { enabled: true } },
      // No default: only prod-01 resolves; beta and gamma are errors, and have no value.
      'prod-only': { name: 'Prod only', environments: { 'prod-01': { enabled: false } } },
    },
  });
  const environments = ['gamma', 'prod-01', 'beta'];

  test('hold the resolved environments in the order of the environments, like a Map of them', () => {
    const diags = new Diagnostics();
    const json = parseJson('flags/values.json', Buffer.from(text), diags)!;
    const [everywhere, prodOnly] = resolveFlags(json, json.value as FlagsFileConfig, diags, { environments, today: TODAY, strict: false });
    expect(diags.all.map((d) => `${d.rule} ${d.field}`).sort()).toEqual(['flags/unresolved prod-only (beta)', 'flags/unresolved prod-only (gamma)']);

    expect([...everywhere!.values.keys()]).toEqual(environments);
    expect(everywhere!.values.size).toBe(3);
    // Environments without an entry share the default's value.
    expect(everywhere!.values.get('gamma')).toBe(everywhere!.values.get('beta'));

    const values = prodOnly!.values;
    expect(values.size).toBe(1);
    expect([...values.keys()]).toEqual(['prod-01']);
    expect([...values].map(([env, v]) => [env, flagValue(v)])).toEqual([['prod-01', { enabled: false }]]);
    expect([...values.entries()]).toEqual([...values]);
    expect([...values.values()]).toEqual([values.get('prod-01')]);
    expect([values.has('prod-01'), values.has('beta'), values.has('no-such-env'), values.get('beta'), values.get('no-such-env')]).toEqual([true, false, false, undefined, undefined]);
    const seen: string[] = [];
    values.forEach((v, env, map) => seen.push(`${env} ${v.mode} ${map === values}`));
    expect(seen).toEqual(['prod-01 simple true']);
  });

  test('do not change when the caller later changes its list of environments', () => {
    const json = parseJson('flags/values.json', Buffer.from(text), new Diagnostics())!;
    const mine = [...environments];
    const [everywhere] = resolveFlags(json, json.value as FlagsFileConfig, new Diagnostics(), { environments: mine, today: TODAY, strict: false });
    mine.reverse();
    mine.push('late');
    expect([...everywhere!.values.keys()]).toEqual(environments);
    expect(everywhere!.values.get('late')).toBeUndefined();
  });

  test('an environment named twice is a caller bug, refused rather than resolved twice', () => {
    const json = parseJson('flags/values.json', Buffer.from(text), new Diagnostics())!;
    expect(() => resolveFlags(json, json.value as FlagsFileConfig, new Diagnostics(), { environments: ['beta', 'beta'], today: TODAY, strict: false })).toThrow(/distinct.*beta, beta/);
  });
});
