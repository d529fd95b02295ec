/**
 * parseJson skips its structure scan when the parsed value proves the file clean (no
 * duplicate or forbidden key, nesting within the limit), by counting colons and
 * properties. These are the files that could fool such a count; each must still be
 * reported exactly where it was before.
 */
import { Diagnostics, formatDiagnostic } from '../../lib/model';
import { parseJson } from '../../lib/model/source';

function check(text: string): string[] {
  const diags = new Diagnostics();
  parseJson('f.json', Buffer.from(text), diags);
  return diags.all.map(formatDiagnostic);
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

test.each([
  ['a duplicate whose dropped value holds colons', '{"a": "x:y:z", "a": "w"}', ['f.json:1:16 error duplicate key']],
  ['a duplicate whose kept value holds colons', '{"a": "w", "a": "x:y:z"}', ['f.json:1:12 error duplicate key']],
  ['a duplicate key that holds a colon', '{"a:b": 1, "a:b": 2}', ['f.json:1:12 error duplicate key']],
  ['a colon written as an escape beside a duplicate', '{"a": 1, "b": "\\u003a", "a": 2}', ['f.json:1:25 error duplicate key']],
  ['a duplicate written with an escape', '{"ab": 1, "a\\u0062": 2}', ['f.json:1:11 error duplicate key']],
  ['a duplicate deep in arrays', '{"x": [[{"k": 1, "k": 2}]]}', ['f.json:1:18 error duplicate key']],
  ['a duplicate __proto__', '{"__proto__": 1, "__proto__": 2}', ["f.json:1:2 error key '__proto__'", "f.json:1:18 error key '__proto__'"]],
  ['a forbidden key alone', '{"v": {"constructor": 1}}', ["f.json:1:8 error key 'constructor'"]],
  ['the forbidden key prototype alone', '{"v": {"prototype": 1}}', ["f.json:1:8 error key 'prototype'"]],
  ['the forbidden key __proto__ alone', '{"v": {"__proto__": 1}}', ["f.json:1:8 error key '__proto__'"]],
  ['nesting hidden by a duplicate', `{"a": ${deep(70)}, "a": 1}`, ['f.json:1:70 error nesting is deeper']],
  ['nesting just too deep', `{"a": ${deep(64)}}`, ['f.json:1:70 error nesting is deeper']],
])('%s', (_name, text, expected) => {
  const found = check(text);
  expect(found.length).toBe(expected.length);
  found.forEach((line, i) => expect(line.startsWith(expected[i]!)).toBe(true));
});

test.each([
  ['colons in keys and values', '{"a:b": "c:d", "e": ["f:g", {"h": "::"}]}'],
  ['nesting at the limit', `{"a": ${deep(63)}}`],
  ['an escaped colon without a duplicate', '{"a": "\\u003a", "b": 1}'],
  ['no object at all', '["a:b", 1, null]'],
])('clean: %s', (_name, text) => {
  expect(check(text)).toEqual([]);
});
