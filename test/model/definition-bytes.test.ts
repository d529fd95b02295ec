/**
 * FeatureFlagsWriter.byteLength counts each flag's definition (name, description,
 * _deprecation, attributes with their descriptions and constraints) without building it.
 * The count must equal the rendered bytes for every member a definition can have or lack,
 * and for text that JSON escapes or writes in several bytes. (test/model/document-bytes
 * covers the values.)
 */
import { Diagnostics } from '../../lib/model';
import { FeatureFlagsWriter, resolveFlags } from '../../lib/model/flags';
import { parseJson } from '../../lib/model/source';
import type { FlagsFileConfig } from '../../lib/model/types';

const ENVS = ['beta', 'prod-01'];
const TEXTS = ['plain', 'with "quotes" \\ and / slash', 'tab\there, \u0001 control', 'für Nutzer – 日本語 ✓ 😀', '</script>'];

function flagsFile(): string {
  const flags: Record<string, unknown> = {};
  TEXTS.forEach((t, i) => {
    flags[`described-${i}`] = {
      name: t,
      description: `${t} described`,
      ...(i % 2 === 0 ? { expires: '2027-01-0' + (i + 1) } : {}),
      attributes: {
        withText: { description: t, constraints: { type: 'string', pattern: `^${i}"?$|.*` } },
        bare: { constraints: { type: 'number', minimum: -1.5, maximum: 1e21 } },
        ...(i % 2 === 1 ? { 'ключ "k"': { description: '', constraints: { type: 'string[]', elements: { type: 'string', enum: [t] } } } } : {}),
      },
      default: { enabled: true, withText: 'x', bare: 0 },
    };
  });
  flags['no-attributes'] = { name: 'No attributes', default: { enabled: false } };
  flags['empty-attributes'] = { name: 'Empty attributes', description: '', attributes: {}, default: { enabled: false } };
  flags['only-expires'] = { name: 'Only expires', expires: '2027-02-01', exposure: 'browser', attributes: { a: { description: 'é', constraints: { type: 'boolean' } } }, default: { enabled: true, a: true } };
  return JSON.stringify({ flags }, null, 2);
}

test('byteLength equals the bytes of the rendered document, for every shape of definition', () => {
  const diags = new Diagnostics();
  const json = parseJson('flags/definitions.json', Buffer.from(flagsFile()), diags)!;
  const flags = resolveFlags(json, json.value as FlagsFileConfig, diags, { environments: ENVS, today: '2026-11-21', strict: false });
  expect(diags.all.filter((d) => d.severity === 'error')).toEqual([]);
  expect(flags).toHaveLength(TEXTS.length + 3);
  // Each flag alone, all together, and the browser subset (a second writer over the same flags).
  for (const subset of [...flags.map((f) => [f]), flags, flags.filter((f) => f.exposure === 'browser')]) {
    const writer = new FeatureFlagsWriter(subset);
    for (const env of ENVS) expect({ flags: subset.map((f) => f.key), bytes: writer.byteLength(env) }).toEqual({ flags: subset.map((f) => f.key), bytes: Buffer.byteLength(writer.content(env)) });
  }
});

test('resolved attributes inherit nothing: names of built-ins are only data', () => {
  const diags = new Diagnostics();
  const text = JSON.stringify({
    flags: {
      builtins: {
        name: 'Built-ins',
        attributes: { toString: { constraints: { type: 'string' } }, valueOf: { constraints: { type: 'number' } }, limit: { constraints: { type: 'number' } } },
        default: { enabled: true, toString: 'x', limit: 1 },
        environments: { 'prod-01': { valueOf: 2 } },
      },
    },
  });
  const json = parseJson('flags/builtins.json', Buffer.from(text), diags)!;
  const [flag] = resolveFlags(json, json.value as FlagsFileConfig, diags, { environments: ENVS, today: '2026-11-21', strict: false });
  expect(diags.all).toEqual([]);
  const beta = flag!.values.get('beta')!;
  const prod = flag!.values.get('prod-01')!;
  if (beta.mode !== 'simple' || prod.mode !== 'simple') throw new Error('expected simple values');
  expect({ ...beta.attributes }).toEqual({ toString: 'x', limit: 1 });
  expect({ ...prod.attributes }).toEqual({ toString: 'x', limit: 1, valueOf: 2 });
  for (const member of ['constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf']) expect(member in beta.attributes).toBe(false);
  const inherited: string[] = [];
  for (let p = Object.getPrototypeOf(beta.attributes) as object | null; p; p = Object.getPrototypeOf(p) as object | null) inherited.push(...Reflect.ownKeys(p).map(String));
  expect(inherited).toEqual([]);
});
