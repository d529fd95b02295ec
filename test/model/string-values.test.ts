/**
 * The secret scan reads the long strings that parseJson's structure pass collects
 * (JsonFile.stringValues) instead of walking each value again, and finds a string's path
 * only when it reports it (JsonFile.stringValuePath). Whether the fast pass ran (a clean
 * file) or not (duplicates, escapes, forbidden keys, deep nesting), the strings, their keys,
 * their order and their paths must be exactly those of a plain walk of the value.
 */
import { Diagnostics, formatDiagnostic } from '../../lib/model';
import { scanForSecrets } from '../../lib/model/secrets';
import { parseJson, SCANNED_STRING_MIN_LENGTH, type JsonFile } from '../../lib/model/source';

// Built from pieces so that the repository's own secretlint run does not flag this file.
const GITHUB = ['ghp_', 'a1B2'.repeat(9)].join('');
const RANDOM = ['Zq8Xv2Lm9Np4', 'Rt7Ks1Wd6Hy3Jb5Gc0Fe'].join('');

function parse(text: string): { json: JsonFile; diags: Diagnostics } {
  const diags = new Diagnostics();
  const json = parseJson('f.json', Buffer.from(text), diags);
  if (!json) throw new Error(`does not parse: ${text}`);
  return { json, diags };
}

/** The reference: depth-first, keys in Object.keys order, every string value long enough. */
function plainWalk(value: unknown): { value: string; field: string | undefined; path: (string | number)[] }[] {
  const out: { value: string; field: string | undefined; path: (string | number)[] }[] = [];
  const visit = (v: unknown, path: (string | number)[]): void => {
    if (typeof v === 'string') {
      const last = path[path.length - 1];
      if (v.length >= SCANNED_STRING_MIN_LENGTH) out.push({ value: v, field: typeof last === 'string' ? last : undefined, path });
    } else if (Array.isArray(v)) v.forEach((item, i) => visit(item, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], [...path, k]);
  };
  visit(value, []);
  return out;
}

function expectSameAsPlainWalk(json: JsonFile): void {
  const expected = plainWalk(json.value);
  const { values, fields } = json.stringValues();
  expect([...values]).toEqual(expected.map((e) => e.value));
  expect([...fields]).toEqual(expected.map((e) => e.field));
  expected.forEach((e, i) => expect(json.stringValuePath(i)).toEqual(e.path));
}

const NESTED = { b: 'second value', a: ['first item', 'short', { c: 'a:b:c:d:e', d: [[`${GITHUB}`]] }], '2': 'integer-like key', '1': 'listed before the others' };

test.each([
  ['a clean file (the structure pass collects)', JSON.stringify(NESTED, null, 2)],
  ['a file that is one string', JSON.stringify('just one long string')],
  ['an array at the top', JSON.stringify(['one long string', ['another long one'], { k: 'under a key here' }])],
  ['a duplicate key (collected on first use)', '{"a": "first long value", "b": ["item number one"], "a": "second long value"}'],
  ['an escape (collected on first use)', '{"a": "\\u0041 long escaped value", "b": {"c": "plain long value"}}'],
  ['a forbidden key (collected on first use)', '{"constructor": {"x": "inside a forbidden key"}, "y": "after the forbidden key"}'],
  ['deep nesting beside strings', `{"s": "before the deep part", "d": ${'['.repeat(63)}"at the bottom of it"${']'.repeat(63)}}`],
])('string values: %s', (_name, text) => {
  expectSameAsPlainWalk(parse(text).json);
});

test('string values: strings shorter than the minimum are left out, keys are never values', () => {
  const { json } = parse('{"a long key name here": "short", "k": "exactly8"}');
  expect(json.stringValues()).toEqual({ values: ['exactly8'], fields: ['k'] });
});

test('string values: an index past the last string is an error, not a wrong location', () => {
  const { json } = parse('{"a": "one long string"}');
  expect(() => json.stringValuePath(1)).toThrow('has no string value number 1');
});

test('string values: an enumerable property on Object.prototype changes nothing', () => {
  const text = `{"a": "first long value", "list": ["item number one", {"token": "${RANDOM}"}], "a": "duplicate long value"}`;
  const clean = `{"a": "first long value", "list": ["item number one", {"token": "${RANDOM}"}]}`;
  // One object, one inherited property: counted as a property, it would balance the dropped duplicate.
  const balanced = '{"a": "first long value", "a": "second long value"}';
  const before = [parse(text), parse(clean), parse(balanced)].map(({ json, diags }) => {
    scanForSecrets(json, diags);
    return diags.all.map(formatDiagnostic);
  });
  Object.defineProperty(Object.prototype, 'inherited', { value: GITHUB, enumerable: true, configurable: true, writable: true });
  try {
    const after = [parse(text), parse(clean), parse(balanced)].map(({ json, diags }) => {
      expectSameAsPlainWalk(json);
      scanForSecrets(json, diags);
      return diags.all.map(formatDiagnostic);
    });
    expect(after).toEqual(before);
  } finally {
    delete (Object.prototype as Record<string, unknown>)['inherited'];
  }
  expect(before[0]!.some((d) => d.includes('duplicate key'))).toBe(true);
  expect(before[2]!.some((d) => d.includes('duplicate key'))).toBe(true);
});

test('secrets: findings in array items and nested objects are located at their values, in document order', () => {
  const text = JSON.stringify({ list: ['harmless long text', GITHUB, { apiKey: RANDOM }], tokens: [RANDOM], deep: { er: { password: RANDOM } } }, null, 2);
  const { json, diags } = parse(text);
  scanForSecrets(json, diags);
  expect(diags.all.map((d) => `${d.line}:${d.column} ${d.field} ${d.message}`)).toEqual([
    '4:5 list.1 value looks like a GitHub token',
    "6:17 list.2.apiKey 'apiKey' holds what looks like a secret",
    "14:19 deep.er.password 'password' holds what looks like a secret",
  ]);
});
