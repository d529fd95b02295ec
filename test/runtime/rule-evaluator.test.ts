import { OPERATORS, parseRule, type Operator } from '../../lib/model';
import { compileRule, MAX_MATCH_INPUT, splitBucket, type EvaluationContext } from '../../lib/runtime/rule-evaluator';
import { CompiledFeatureFlags, FeatureFlagsDocumentError } from '../../lib/runtime/feature-flags';

type Outcome = 'true' | 'false' | 'unknown';

function evaluate(rule: string, context: EvaluationContext): Outcome {
  const parsed = parseRule(rule);
  if (!parsed.ok) throw new Error(`test rule does not parse: ${rule}: ${parsed.message}`);
  const v = compileRule(parsed.expr)(context);
  return v === undefined ? 'unknown' : v ? 'true' : 'false';
}

/** One table per operator: [rule, context, expected]. */
const TABLE: Record<Operator, [string, EvaluationContext, Outcome][]> = {
  eq: [
    ['(eq $tier "pro")', { tier: 'pro' }, 'true'],
    ['(eq $tier "pro")', { tier: 'free' }, 'false'],
    ['(eq $tier "pro")', { tier: 'Pro' }, 'false'],
    ['(eq $tier "pro")', {}, 'unknown'],
    ['(eq $age 42)', { age: '42' }, 'true'],
    ['(eq $age 42)', { age: '42.0' }, 'true'],
    ['(eq $age 42)', { age: 42 }, 'true'],
    ['(eq $age 42)', { age: 'forty-two' }, 'unknown'],
    ['(eq $beta true)', { beta: 'true' }, 'true'],
    ['(eq $beta true)', { beta: false }, 'false'],
    ['(eq $beta true)', { beta: 'yes' }, 'unknown'],
    ['(eq $since 2025-01-01T00:00:00Z)', { since: '2025-01-01T01:00:00+01:00' }, 'true'],
    ['(eq "a" "a")', {}, 'true'],
    ['(eq $a $b)', { a: 'x', b: 'x' }, 'true'],
  ],
  gt: [
    ['(gt $age 18)', { age: '19' }, 'true'],
    ['(gt $age 18)', { age: '18' }, 'false'],
    ['(gt $age 18)', { age: '9' }, 'false'],
    ['(gt $age 18)', { age: 'old' }, 'unknown'],
    ['(gt $age 18)', {}, 'unknown'],
    ['(gt $version "2.0")', { version: '2.1' }, 'true'],
    ['(gt $joined 2024-06)', { joined: '2024-07-01' }, 'true'],
    ['(gt $beta false)', { beta: 'true' }, 'unknown'],
  ],
  gte: [
    ['(gte $age 18)', { age: '18' }, 'true'],
    ['(gte $age 18)', { age: '17.5' }, 'false'],
    ['(gte $age 18)', { age: '1e2' }, 'true'],
    ['(gte $age 18)', { age: '' }, 'unknown'],
  ],
  lt: [
    ['(lt $load 0.75)', { load: '0.5' }, 'true'],
    ['(lt $load 0.75)', { load: '0.75' }, 'false'],
    ['(lt $at 2030-01-01T00:00:00Z)', { at: '2029-12-31T23:59:59Z' }, 'true'],
    ['(lt $at 2030-01-01T00:00:00Z)', { at: 'tomorrow' }, 'unknown'],
  ],
  lte: [
    ['(lte $n -1)', { n: '-1' }, 'true'],
    ['(lte $n -1)', { n: '0' }, 'false'],
    ['(lte $n -1)', { n: true }, 'unknown'],
  ],
  and: [
    ['(and (eq $a "1") (eq $b "2"))', { a: '1', b: '2' }, 'true'],
    ['(and (eq $a "1") (eq $b "2"))', { a: '1', b: '3' }, 'false'],
    ['(and (eq $a "1") (eq $b "2"))', { a: '1' }, 'unknown'],
    ['(and (eq $a "1") (eq $b "2"))', { a: '0' }, 'false'],
    ['(and (eq $a "1") (eq $b "2") (eq $c "3"))', { a: '1', b: '2', c: '3' }, 'true'],
  ],
  or: [
    ['(or (eq $a "1") (eq $b "2"))', { a: '0', b: '2' }, 'true'],
    ['(or (eq $a "1") (eq $b "2"))', { a: '0', b: '0' }, 'false'],
    ['(or (eq $a "1") (eq $b "2"))', { b: '0' }, 'unknown'],
    ['(or (eq $a "1") (eq $b "2"))', { b: '2' }, 'true'],
  ],
  not: [
    ['(not (eq $plan "free"))', { plan: 'team' }, 'true'],
    ['(not (eq $plan "free"))', { plan: 'free' }, 'false'],
    // A missing key is not "not free": negation keeps it unknown, so no variant matches.
    ['(not (eq $plan "free"))', {}, 'unknown'],
  ],
  begins_with: [
    ['(begins_with $email "admin@")', { email: 'admin@example.com' }, 'true'],
    ['(begins_with $email "admin@")', { email: 'user@example.com' }, 'false'],
    ['(begins_with $email "admin@")', {}, 'unknown'],
    ['(begins_with $zip 98)', { zip: '98101' }, 'unknown'],
  ],
  ends_with: [
    ['(ends_with $email "@example.com")', { email: 'a@example.com' }, 'true'],
    ['(ends_with $email "@example.com")', { email: 'a@example.org' }, 'false'],
    ['(ends_with $email "@example.com")', { email: 7 }, 'unknown'],
  ],
  contains: [
    ['(contains $agent "Firefox")', { agent: 'Mozilla/5.0 Firefox/128' }, 'true'],
    ['(contains $agent "Firefox")', { agent: 'Chrome' }, 'false'],
    ['(contains $agent "")', { agent: 'anything' }, 'true'],
  ],
  in: [
    ['(in $plan ["team", "enterprise"])', { plan: 'team' }, 'true'],
    ['(in $plan ["team", "enterprise"])', { plan: 'free' }, 'false'],
    ['(in $plan ["team", "enterprise"])', {}, 'unknown'],
    ['(in $n [1, 2, 3])', { n: '2' }, 'true'],
    ['(in $n [1, 2, 3])', { n: 'two' }, 'false'],
    ['(in $n [1, "two"])', { n: 'two' }, 'true'],
    ['(in "x" $list)', { list: 'x,y' }, 'unknown'],
  ],
  matches: [
    ['(matches in::$userId pattern::"^u-[0-9]{3}$")', { userId: 'u-123' }, 'true'],
    ['(matches in::$userId pattern::"^u-[0-9]{3}$")', { userId: 'u-1234' }, 'false'],
    ['(matches in::$userId pattern::"^u-[0-9]{3}$")', {}, 'unknown'],
    ['(matches in::$n pattern::"1")', { n: 1 }, 'unknown'],
  ],
  exists: [
    ['(exists key::"country")', { country: 'NZ' }, 'true'],
    ['(exists key::"country")', { country: '' }, 'true'],
    ['(exists key::"country")', {}, 'false'],
    ['(exists key::$country)', { country: 'NZ' }, 'true'],
    ['(not (exists key::"country"))', {}, 'true'],
  ],
  split: [
    ['(split pct::100 by::$userId)', { userId: 'anyone' }, 'true'],
    ['(split pct::0 by::$userId)', { userId: 'anyone' }, 'false'],
    ['(split pct::50 by::$userId)', {}, 'unknown'],
  ],
};

describe('every AppConfig operator has a table', () => {
  test('the tables cover exactly the operators the parser knows', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...OPERATORS].sort());
  });
});

describe.each(Object.entries(TABLE))('%s', (_op, rows) => {
  test.each(rows)('%s with %j is %s', (rule, context, expected) => {
    expect(evaluate(rule, context)).toBe(expected);
  });
});

describe('split', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const share = (rule: string) => ids.filter((userId) => evaluate(rule, { userId }) === 'true').length / ids.length;

  test('puts about pct percent of values in the split', () => {
    expect(share('(split pct::20 by::$userId seed::"checkout")')).toBeGreaterThan(0.18);
    expect(share('(split pct::20 by::$userId seed::"checkout")')).toBeLessThan(0.22);
    expect(share('(split pct::2.5 by::$userId)')).toBeGreaterThan(0.015);
    expect(share('(split pct::2.5 by::$userId)')).toBeLessThan(0.035);
  });

  test('is deterministic: the same value always lands in the same bucket', () => {
    expect(splitBucket('s', 'user-7')).toBe(splitBucket('s', 'user-7'));
    expect(evaluate('(split pct::30 by::$userId seed::"a")', { userId: 'user-7' })).toBe(evaluate('(split pct::30 by::$userId seed::"a")', { userId: 'user-7' }));
  });

  test('a larger pct keeps everyone a smaller one had (two splits on one seed overlap, as AWS documents)', () => {
    const in20 = ids.filter((userId) => evaluate('(split pct::20 by::$userId)', { userId }) === 'true');
    expect(in20.every((userId) => evaluate('(split pct::25 by::$userId)', { userId }) === 'true')).toBe(true);
  });

  test('the seed reshuffles the buckets', () => {
    const a = ids.filter((userId) => evaluate('(split pct::50 by::$userId seed::"a")', { userId }) === 'true');
    const b = new Set(ids.filter((userId) => evaluate('(split pct::50 by::$userId seed::"b")', { userId }) === 'true'));
    const overlap = a.filter((id) => b.has(id)).length / a.length;
    expect(overlap).toBeGreaterThan(0.4);
    expect(overlap).toBeLessThan(0.6);
  });

  test('buckets are in [0, 100)', () => {
    for (const id of ids.slice(0, 500)) {
      const b = splitBucket('', id);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(100);
    }
  });
});

describe('matches is bounded', () => {
  test('evaluator: a long context value cannot stall the event loop', () => {
    // A pattern that matches everything: any false/unknown below comes from the bound.
    const rule = '(matches in::$userAgent pattern::"^[a-z]*$")';
    const parsed = parseRule(rule);
    if (!parsed.ok) throw new Error(parsed.message);
    const expr = parsed.expr as Extract<typeof parsed.expr, { kind: 'matches' }>;
    const seen: number[] = [];
    const test = expr.regex.test.bind(expr.regex);
    // The evaluator must never hand the engine more than MAX_MATCH_INPUT characters.
    expr.regex.test = (s: string): boolean => {
      seen.push(s.length);
      return test(s);
    };
    const match = compileRule(expr);
    expect(match({ userAgent: 'a'.repeat(MAX_MATCH_INPUT) })).toBe(true);
    // Over the bound: UNKNOWN, so neither the variant nor its negation is chosen.
    expect(match({ userAgent: 'a'.repeat(MAX_MATCH_INPUT + 1) })).toBeUndefined();
    expect(match({ userAgent: 'a'.repeat(10_000_000) })).toBeUndefined();
    expect(evaluate(`(not ${rule})`, { userAgent: 'a'.repeat(MAX_MATCH_INPUT + 1) })).toBe('unknown');
    expect(Math.max(...seen)).toBeLessThanOrEqual(MAX_MATCH_INPUT);
    expect(seen).toEqual([MAX_MATCH_INPUT]);
  });
});

test('evaluator: a document that never went through validate cannot load a super-linear pattern', () => {
  // The agent may be handed a document built elsewhere: parsing its rules re-runs the check.
  const doc = {
    values: {
      banner: {
        _variants: [
          { name: 'slow', enabled: true, rule: '(matches in::$userAgent pattern::"^(a+)+$")' },
          { name: 'default', enabled: false },
        ],
      },
    },
  };
  expect(() => CompiledFeatureFlags.fromContent(JSON.stringify(doc))).toThrow(FeatureFlagsDocumentError);
  expect(() => CompiledFeatureFlags.fromContent(JSON.stringify(doc))).toThrow(/flag 'banner', variant 'slow': pattern can take exponential time/);
});

describe('timestamps in the context', () => {
  test.each([
    ['February 30', '2025-02-30'],
    ['February 29 of a common year', '2025-02-29T10:00:00Z'],
    ['April 31 with an offset', '2025-04-31T10:00:00+02:00'],
  ])('evaluator: an impossible date in the context is unknown, not rolled over (%s)', (_what, value) => {
    // Rolled over, each would be a day in March or May, after the literal: gt would be TRUE.
    expect(evaluate('(gt $d 2025-02-28T23:00:00Z)', { d: value })).toBe('unknown');
    expect(evaluate('(lt $d 2025-02-28T23:00:00Z)', { d: value })).toBe('unknown');
    expect(evaluate('(not (lt $d 2025-02-28T23:00:00Z))', { d: value })).toBe('unknown');
  });

  test('evaluator: a date that exists in the context is still a timestamp', () => {
    expect(evaluate('(gt $d 2024-02-28T23:00:00Z)', { d: '2024-02-29' })).toBe('true');
    expect(evaluate('(lt $d 2025-03-01)', { d: '2025-02-28T23:59:59Z' })).toBe('true');
  });
});
