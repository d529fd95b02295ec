/**
 * validate sizes every document against AppConfig's limit without rendering it: each
 * resolved value counts its bytes as it is built, and FeatureFlagsWriter.byteLength adds
 * them up. The count must be exact for any value a flags file can hold: escapes, control
 * characters, non-ASCII, lone surrogates, every number form, arrays, attributes that an
 * environment overrides, names of built-ins. Compared here with the bytes content() renders.
 */
import { Diagnostics } from '../../lib/model';
import { FeatureFlagsWriter, resolveFlags } from '../../lib/model/flags';
import { parseJson } from '../../lib/model/source';
import type { FlagsFileConfig } from '../../lib/model/types';

const ENVS = ['beta', 'gamma', 'prod-01'];

const STRINGS = [
  '',
  'plain',
  'with "quotes" and \\ backslash and / slash',
  'tab\there, newline\nthere, \u0001 control, \u007f del',
  'Farbschema für Nutzer – 日本語 ✓',
  'emoji 😀 and a lone surrogate \ud800 here',
  '</script>',
];
const NUMBERS = [0, -0, 1.5, -2.25e-7, 1e21, 123456789012345, 5e-324, 1.7976931348623157e308, -1];

function flagsFile(): string {
  const flags: Record<string, unknown> = {};
  STRINGS.forEach((s, i) => {
    flags[`s-${i}`] = {
      name: `String ${i}`,
      attributes: { text: { constraints: { type: 'string' } }, toString: { constraints: { type: 'string' } }, 'ключ "k"': { constraints: { type: 'string' } } },
      default: { enabled: true, text: s, toString: 'x' },
      environments: { gamma: { enabled: false, 'ключ "k"': s }, 'prod-01': { text: `${s}!`, toString: s } },
    };
  });
  NUMBERS.forEach((n, i) => {
    flags[`n-${i}`] = {
      name: `Number ${i}`,
      attributes: { n: { constraints: { type: 'number' } }, on: { constraints: { type: 'boolean' } }, list: { constraints: { type: 'number[]' } }, words: { constraints: { type: 'string[]' } } },
      default: { enabled: i % 2 === 0, n, on: i % 3 === 0 },
      environments: { beta: { list: [n, 1, -0.5] }, gamma: { words: STRINGS }, 'prod-01': { n: 7, list: [] } },
    };
  });
  flags.variants = {
    name: 'Variants',
    attributes: { v: { constraints: { type: 'string' } } },
    default: { variants: [{ name: 'a', rule: '(eq $country "ü")', enabled: true, attributeValues: { v: 'é"' } }, { name: 'rest', enabled: false, attributeValues: {} }] },
    environments: { 'prod-01': { variants: [{ name: 'only', enabled: true }] } },
  };
  flags.browser = { name: 'Browser', exposure: 'browser', default: { enabled: true } };
  return JSON.stringify({ flags }, (_k, v: unknown) => (Object.is(v, -0) ? '__MINUS_ZERO__' : v), 2).replace(/"__MINUS_ZERO__"/g, '-0');
}

test('byteLength equals the bytes of the rendered document, for every kind of attribute value', () => {
  const diags = new Diagnostics();
  const json = parseJson('flags/edge.json', Buffer.from(flagsFile()), diags)!;
  const flags = resolveFlags(json, json.value as FlagsFileConfig, diags, { environments: ENVS, today: '2026-11-21', strict: false });
  expect(diags.all).toEqual([]);
  // Every flag resolved in every environment: nothing was dropped from the comparison.
  expect(flags.every((f) => f.values.size === ENVS.length)).toBe(true);
  for (const subset of [flags, flags.filter((f) => f.exposure === 'browser'), flags.slice(0, 1), []]) {
    const writer = new FeatureFlagsWriter(subset);
    for (const env of [...ENVS, 'no-such-env']) {
      expect({ env, flags: subset.length, bytes: writer.byteLength(env) }).toEqual({ env, flags: subset.length, bytes: Buffer.byteLength(writer.content(env)) });
    }
  }
});
