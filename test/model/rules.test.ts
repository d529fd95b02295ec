import { contextKeys, MAX_RULE_LENGTH, parseRule } from '../../lib/model';

describe('rules AppConfig accepts parse', () => {
  test.each([
    ['eq', '(eq $state "Virginia")'],
    ['gt', '(gt $age 65)'],
    ['gte', '(gte $age 65.5)'],
    ['lt', '(lt $age -7)'],
    ['lte', '(lte $score 1.234e-5)'],
    ['and', '(and (eq $state "Virginia") (gt $age 65))'],
    ['or', '(or (eq $state "Virginia") (gt $age 65) (eq $vip true))'],
    ['not', '(not (eq $state "Virginia"))'],
    ['begins_with', '(begins_with $state "A")'],
    ['ends_with', '(ends_with $email "amazon.com")'],
    ['contains', '(contains $promoCode "WIN")'],
    ['in', '(in $userId ["123", "456"])'],
    ['in without commas', '(in $tier ["pro" "max"])'],
    ['matches', '(matches in::$greeting pattern::"h.*y")'],
    ['exists', '(exists key::"country")'],
    ['split', '(split pct::20 by::$uniqueId)'],
    ['split with seed', '(split by::$userId pct::10 seed::"checkout-2026")'],
    ['timestamp', '(gt $createdAt 2012-03-04T05:06:07-08:00)'],
    ['month timestamp', '(lt $createdAt 2024-01)'],
    ['escaped quote', '(eq $name "say \\"hi\\"")'],
  ])('%s: %s', (_name, rule) => {
    const result = parseRule(rule);
    expect(result).toMatchObject({ ok: true });
  });

  test('the AST keeps operands typed', () => {
    const result = parseRule('(and (eq $tier "pro") (split pct::25 by::$userId seed::"s"))');
    if (!result.ok) throw new Error(result.message);
    expect(result.expr).toMatchObject({
      kind: 'logical',
      op: 'and',
      args: [
        { kind: 'compare', op: 'eq', left: { kind: 'context', key: 'tier' }, right: { kind: 'string', value: 'pro' } },
        { kind: 'split', pct: 25, by: 'userId', seed: 's' },
      ],
    });
    expect(contextKeys(result.expr)).toEqual(['tier', 'userId']);
  });
});

describe('rules AppConfig rejects fail with a located reason', () => {
  test.each([
    ['unbalanced', '(eq $a "b"', 'unbalanced parentheses'],
    ['unknown operator', '(equals $a "b")', "unknown operator 'equals'"],
    ['not an expression', '$a', 'a rule is an expression in parentheses'],
    ['unquoted string', '(eq $a pro)', "'pro' is not a value"],
    ['missing operand', '(eq $a)', "'eq' is missing an operand"],
    ['extra operand', '(eq $a "b" "c")', "expected ')'"],
    ['and with one arm', '(and (eq $a 1))', 'at least two expressions'],
    ['not with two', '(not (eq $a 1) (eq $b 2))', "takes exactly one expression"],
    ['in without list', '(in $a "b")', "'in' takes a value and a list"],
    ['matches bad regex', '(matches in::$a pattern::"(")', 'not a valid regular expression'],
    ['matches missing pattern', '(matches in::$a)', "needs 'pattern::'"],
    ['exists positional', '(exists $country)', 'takes named arguments'],
    ['split over 100', '(split pct::101 by::$u)', 'from 0 to 100'],
    ['split by literal', '(split pct::10 by::"u")', "'by::' takes a context value"],
    ['split unknown arg', '(split pct::10 by::$u salt::"x")', "has no argument 'salt::'"],
    ['unterminated string', '(eq $a "b)', 'string is not terminated'],
    ['trailing text', '(eq $a 1) (eq $b 2)', 'unexpected text after the end'],
    ['empty', '   ', 'rule is empty'],
    ['stray character', '(eq $a #1)', "unexpected character '#'"],
    ['bad timestamp', '(gt $d 2024-13-45)', 'not a valid timestamp'],
  ])('%s', (_name, rule, message) => {
    const result = parseRule(rule);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(message);
      expect(result.offset).toBeGreaterThanOrEqual(0);
      expect(result.offset).toBeLessThanOrEqual(rule.length);
    }
  });

  test(`a rule over ${MAX_RULE_LENGTH} characters is refused before parsing`, () => {
    const result = parseRule(`(eq $a "${'x'.repeat(MAX_RULE_LENGTH)}")`);
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining(`AppConfig allows ${MAX_RULE_LENGTH}`) });
  });

  test('the offset points at the problem', () => {
    const rule = '(and (eq $a 1) (frob $b 2))';
    const result = parseRule(rule);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(rule.slice(result.offset)).toMatch(/^frob/);
  });
});
