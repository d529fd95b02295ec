/**
 * Ops schemas that differ only in their annotations (string title and description) share
 * one compiled validator. Sharing must never change a result: a schema that differs in
 * anything that validates gets its own, and a bad annotation is still reported.
 */
import { Diagnostics, formatDiagnostic } from '../../lib/model';
import { canonicalJson } from '../../lib/model/canonical';
import { compileOpsSchema } from '../../lib/model/ops';
import { parseJson } from '../../lib/model/source';

function compile(file: string, schema: unknown) {
  const diags = new Diagnostics();
  const json = parseJson(file, Buffer.from(JSON.stringify(schema, null, 2)), diags)!;
  return { schema: compileOpsSchema(json, canonicalJson, diags), diagnostics: diags.all.map(formatDiagnostic) };
}

const base = (title: unknown, maximum: number, propertyTitle = 'Retries') => ({
  $schema: 'http://json-schema.org/draft-04/schema#',
  title,
  type: 'object',
  additionalProperties: false,
  properties: {
    retries: { title: propertyTitle, description: `at most ${maximum}`, type: 'integer', maximum },
    // A property named like an annotation is data, not an annotation: it stays in the key.
    title: { type: 'string' },
  },
});

test('schemas that differ only in titles and descriptions share a validator; others do not', () => {
  const a = compile('config/ops/a/schema.json', base('a ops', 10));
  const b = compile('config/ops/b/schema.json', base('b ops', 10, 'How many retries'));
  const c = compile('config/ops/c/schema.json', base('c ops', 100));
  expect([a.diagnostics, b.diagnostics, c.diagnostics]).toEqual([[], [], []]);
  expect(b.schema!.validate).toBe(a.schema!.validate);
  expect(c.schema!.validate).not.toBe(a.schema!.validate);
  // Each keeps its own content, as AppConfig receives it.
  expect(JSON.parse(b.schema!.content)).toMatchObject({ title: 'b ops' });
  // And the results are the schema's own: 50 is too many for a and b, not for c.
  for (const [s, ok] of [[a, false], [b, false], [c, true]] as const) expect(s.schema!.validate({ retries: 50 })).toBe(ok);
  // A property named title is part of what validates.
  const withoutTitleProperty = base('d ops', 10) as { properties: Record<string, unknown> };
  delete withoutTitleProperty.properties.title;
  expect(compile('config/ops/d/schema.json', withoutTitleProperty).schema!.validate).not.toBe(a.schema!.validate);
});

test('a title that is not a string is still refused after a schema with a string title compiled', () => {
  expect(compile('config/ops/a/schema.json', base('a ops', 10)).diagnostics).toEqual([]);
  const bad = compile('config/ops/e/schema.json', base(42, 10));
  expect(bad.schema).toBeUndefined();
  expect(bad.diagnostics.join('\n')).toMatch(/^config\/ops\/e\/schema\.json:\d+:\d+ error /);
});
