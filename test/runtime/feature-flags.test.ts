import { CompiledFeatureFlags, ContextHeaderError, contextHeaderValues, FeatureFlagsDocumentError, parseContextHeaders } from '../../lib/runtime/feature-flags';

const DOC = JSON.stringify({
  version: '1',
  flags: { checkout: { name: 'Checkout' }, theme: { name: 'Theme' }, presence: { name: 'Presence' } },
  values: {
    theme: { enabled: true, scheme: 'dark' },
    checkout: {
      _variants: [
        { name: 'pro', rule: '(eq $tier "pro")', enabled: true, attributeValues: { rolloutPercent: 100 } },
        { name: 'sample', rule: '(split pct::100 by::$userId)', enabled: true },
        { name: 'everyone-else', enabled: false },
      ],
    },
    presence: { enabled: false },
  },
});

describe('CompiledFeatureFlags', () => {
  const flags = CompiledFeatureFlags.fromContent(DOC);

  test('a flag without variants is its value: enabled and attributes', () => {
    expect(flags.evaluate({}).theme).toEqual({ enabled: true, scheme: 'dark' });
  });

  test('without context a variant flag gets its default variant, named in _variant', () => {
    expect(flags.evaluate({}).checkout).toEqual({ enabled: false, _variant: 'everyone-else' });
  });

  test('variants are tried in order and the first matching rule wins', () => {
    expect(flags.evaluate({ tier: 'pro', userId: 'u1' }).checkout).toEqual({ enabled: true, rolloutPercent: 100, _variant: 'pro' });
    expect(flags.evaluate({ tier: 'free', userId: 'u1' }).checkout).toEqual({ enabled: true, _variant: 'sample' });
  });

  test('keys picks a subset, in the order asked', () => {
    expect(Object.keys(flags.evaluate({}, ['presence', 'theme']))).toEqual(['presence', 'theme']);
  });

  test('knows its keys and whether it has variants', () => {
    expect(flags.keys).toEqual(['theme', 'checkout', 'presence']);
    expect(flags.hasVariants).toBe(true);
    expect(flags.has('theme')).toBe(true);
    expect(flags.has('nope')).toBe(false);
  });

  test.each([
    ['not JSON', '{', /not JSON/],
    ['no values', '{"version":"1","flags":{}}', /no "values" object/],
    ['enabled not boolean', '{"values":{"a":{"enabled":"yes"}}}', /flag 'a': "enabled" is not a boolean/],
    ['empty variants', '{"values":{"a":{"_variants":[]}}}', /flag 'a': "_variants" is not a non-empty list/],
    ['variant without name', '{"values":{"a":{"_variants":[{"enabled":true}]}}}', /flag 'a': variant 0 needs/],
    ['bad rule', '{"values":{"a":{"_variants":[{"name":"x","rule":"(eq $a","enabled":true},{"name":"d","enabled":false}]}}}', /flag 'a', variant 'x':/],
  ])('rejects a document with %s, naming the flag', (_name, content, message) => {
    expect(() => CompiledFeatureFlags.fromContent(content)).toThrow(FeatureFlagsDocumentError);
    expect(() => CompiledFeatureFlags.fromContent(content)).toThrow(message);
  });
});

describe('Context headers', () => {
  test('one header per key, or comma-separated in one', () => {
    const parsed = parseContextHeaders(['tier=pro', 'userId=u-1, country = NZ']);
    expect(parsed).toEqual({ context: { tier: 'pro', userId: 'u-1', country: 'NZ' } });
  });

  test('a value may contain "="', () => {
    expect(parseContextHeaders(['token=a=b'])).toEqual({ context: { token: 'a=b' } });
  });

  test.each([['novalue'], ['=value']])('%s is an error that names the entry', (entry) => {
    expect(parseContextHeaders([entry])).toEqual({ error: expect.stringContaining(`'${entry}'`) });
  });

  test('contextHeaderValues writes one key=value per key and refuses what the format cannot carry', () => {
    expect(contextHeaderValues({ tier: 'pro', age: 42, beta: true })).toEqual(['tier=pro', 'age=42', 'beta=true']);
    expect(() => contextHeaderValues({ list: 'a,b' })).toThrow(ContextHeaderError);
    expect(() => contextHeaderValues({ 'a=b': 'x' })).toThrow(/may not contain '='/);
  });
});
