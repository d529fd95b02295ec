import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contextKeys, loadWorkspaceFromDisk, MAX_MATCH_INPUT, MAX_PATTERN_DEGREE, MAX_RULE_LENGTH, parseRule } from '../../lib/model';
import { patternProblem } from '../../lib/model/rules';
import { copySample, rmrf } from '../support/workspace';

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
    ['matches', '(matches in::$greeting pattern::"^h.*y$")'],
    ['matches, unanchored alternation', '(matches in::$userAgent pattern::"MSIE|Trident")'],
    ['matches, bounded repetition', '(matches in::$userId pattern::"^u-[0-9]{3}$")'],
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
    ['unbalanced', '(eq $a "b"', "'(eq' at character 1 is not closed"],
    ['missing operand at the end', '(eq $a', "rule ends where an operand of 'eq' was expected"],
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
    ['trailing text', '(eq $a 1) foo', 'unexpected text after the end'],
    ['a second expression', '(eq $a 1) (eq $b 2)', 'a second expression starts at character 11'],
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

describe('matches patterns that could stall an evaluator are refused', () => {
  test('rules: a super-linear pattern is rejected at validate', () => {
    // The pattern: 31 characters of context blocked the local agent for 11.5 s.
    const rule = '(matches in::$userAgent pattern::"^(a+)+$")';
    const result = parseRule(rule);
    expect(result).toMatchObject({ ok: false, rule: 'flags/rule-regex-super-linear', message: expect.stringContaining('exponential time') });
    if (!result.ok) {
      expect(rule.slice(result.offset)).toMatch(/^"\^\(a\+\)\+\$"/);
      expect(result.fix).toContain('anchor it');
    }
  });

  test.each([
    ['exponential, overlapping alternatives', '^(a|aa)+$', 'exponential'],
    ['exponential, nested repetition with a separator', '^(\\\\w+\\\\s?)*$', 'exponential'],
    ['cubic, three unanchored repetitions', 'a.*b.*c', '3rd degree polynomial'],
    ['quartic, anchored', '^.*a.*a.*a.*$', '4th degree polynomial'],
  ])('rules: a super-linear pattern is rejected at validate (%s)', (_name, pattern, how) => {
    const result = parseRule(`(matches in::$u pattern::"${pattern}")`);
    expect(result).toMatchObject({ ok: false, rule: 'flags/rule-regex-super-linear', message: expect.stringContaining(how) });
  });

  test('rules: a quadratic pattern is accepted, because the input is capped (AppConfig\'s own example)', () => {
    // h.*y is AppConfig's documentation example; recheck calls it 2nd degree polynomial.
    expect(parseRule('(matches in::$g pattern::"h.*y")')).toMatchObject({ ok: true });
    expect(MAX_PATTERN_DEGREE).toBe(2);
    // What the cap buys: the worst input for a quadratic pattern, at the cap, is one that V8
    // finishes (a stall would time the test out), unlike the cubic and exponential ones above.
    expect(new RegExp('h.*y').test('h'.repeat(MAX_MATCH_INPUT))).toBe(false);
  });

  test('rules: the linear rewrite the fix suggests is accepted', () => {
    expect(parseRule('(matches in::$g pattern::"^[^a]*a[^b]*b.*c")')).toMatchObject({ ok: true });
    expect(parseRule('(matches in::$g pattern::"^a+$")')).toMatchObject({ ok: true });
  });

  test.each([
    ['lookahead', '^(?=.*x)a', 'lookahead'],
    ['negative lookahead', '^(?!x)', 'lookahead'],
    ['lookbehind', '(?<=a)b', 'lookbehind'],
    ['negative lookbehind', '(?<!a)b', 'lookbehind'],
    ['numbered backreference', '^(a)\\\\1$', 'backreference'],
    ['named backreference', '^(?<x>a)\\\\k<x>$', 'backreference'],
  ])('rules: a pattern outside the portable dialect is rejected (%s)', (_name, pattern, what) => {
    const result = parseRule(`(matches in::$u pattern::"${pattern}")`);
    expect(result).toMatchObject({ ok: false, rule: 'flags/rule-regex-unportable', message: expect.stringContaining(what) });
  });

  test.each([
    ['an escaped paren before ?=', '\\\\(?=x'],
    ['(?= inside a character class', '[(?=]x'],
    ['an escaped backslash before a digit', '\\\\\\\\1'],
    ['a named group', '^(?<major>[0-9]+)\\\\.'],
  ])('rules: look-alikes of unportable constructs are not refused (%s)', (_name, pattern) => {
    expect(patternProblem(JSON.parse(`"${pattern}"`) as string)?.rule).not.toBe('flags/rule-regex-unportable');
  });

  test('rules: the ReDoS check leaves no process behind', async () => {
    // recheck's checkSync runs its native binary as an unref'd child of this process. A fresh
    // node process reports that child's pid and exits by itself; the child must go with it.
    const script = [
      "const { checkSync } = require('recheck');",
      "const status = checkSync('^(a+)+$', '').status;",
      "const ps = require('child_process').execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' });",
      "const helpers = ps.split('\\n').filter((l) => l.includes('recheck')).map((l) => l.trim().split(/\\s+/)[0]);",
      "console.log(JSON.stringify({ status, helpers }));",
    ].join('\n');
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })) as { status: string; helpers: string[] };
    expect(out.status).toBe('vulnerable');
    const alive = (pid: string): boolean => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && out.helpers.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out.helpers.filter(alive)).toEqual([]);
  });
});

describe('timestamps name a day that exists', () => {
  // Date.parse rolls impossible dates over: 2025-02-30 is March 2, 2025-04-31 is May 1.
  test.each([
    ['February 30', '(lt $d 2025-02-30)', 'February 2025 has 28 days'],
    ['February 29 of a common year', '(gt $d 2025-02-29T00:00:00Z)', 'February 2025 has 28 days'],
    ['February 29 of 1900 (not a leap year)', '(gt $d 1900-02-29)', 'February 1900 has 28 days'],
    ['April 31 with an offset', '(gte $d 2025-04-31T23:00:00-05:00)', 'April 2025 has 30 days'],
  ])('rules: an impossible date in a rule is rejected (%s)', (_what, rule, days) => {
    const result = parseRule(rule);
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('is not a date') });
    if (!result.ok) {
      expect(result.message).toContain(days);
      expect(rule.slice(result.offset)).toMatch(/^\d{4}-/);
      expect(result.fix).toMatch(/date that exists/);
    }
  });

  test.each([
    ['February 29 of a leap year', '(lt $d 2024-02-29)'],
    ['February 29 of 2000 (divisible by 400)', '(lt $d 2000-02-29T12:00:00Z)'],
    ['December 31', '(lt $d 2025-12-31T23:59:59.999+14:00)'],
    ['a month without a day', '(lt $d 2025-02)'],
  ])('rules: a date that exists still parses (%s)', (_what, rule) => {
    expect(parseRule(rule).ok).toBe(true);
  });

  test('rules: an impossible date in a rule is rejected by validate, located at the literal', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags', 'groupsync-v3.json');
      const text = fs.readFileSync(file, 'utf8');
      const edited = text.replace('(in $plan [\\"team\\", \\"enterprise\\"])', '(lt $signup 2025-02-30T00:00:00Z)');
      expect(edited).not.toBe(text);
      fs.writeFileSync(file, edited);
      const { model, diagnostics } = loadWorkspaceFromDisk(dir);
      expect(model).toBeUndefined();
      const d = diagnostics.find((x) => x.severity === 'error' && x.message.includes('2025-02-30'));
      expect(d).toMatchObject({ file: 'flags/groupsync-v3.json' });
      const line = edited.split('\n')[d!.line - 1]!;
      expect(line.slice(d!.column - 1)).toMatch(/^2025-02-30T00:00:00Z\)/);
    } finally {
      rmrf(dir);
    }
  });
});

describe('rule syntax errors suggest the fix', () => {
  /** The fix's `"rule": "..."` as the rule text it offers; that text must parse. */
  const offered = (fix: string | undefined): string => {
    const m = /"rule": ("(?:[^"\\]|\\.)*")/.exec(fix ?? '');
    if (!m) throw new Error(`no rewritten rule in the fix: ${fix}`);
    return JSON.parse(m[1]!) as string;
  };
  const failure = (rule: string) => {
    const r = parseRule(rule);
    if (r.ok) throw new Error(`${rule} parsed`);
    return r;
  };

  test.each([
    ['single quotes', `(eq $tier 'pro')`, 'not single quotes', '"pro"'],
    ['backticks', '(eq $tier `pro`)', 'not backticks', '"pro"'],
    ['typographic quotes pasted from a document', '(eq $tier \u201cpro\u201d)', 'not typographic quotes', '"pro"'],
  ])('rules: %s are answered with "use double quotes"', (_what, rule, message, example) => {
    const r = failure(rule);
    expect(r.message).toContain(`strings are written in double quotes, ${message}`);
    expect(r.fix).toContain(`use double quotes: ${example}`);
    expect(r.fix).toContain('\\"pro\\"');
    expect(rule.slice(r.offset, r.offset + 1)).not.toBe('"');
    expect(r.offset).toBe(rule.indexOf('pro') - 1);
  });

  test.each([
    ['one colon', '(split pct:10 by::$userId)', "'pct:10' has one colon", 'write pct::10'],
    ['one colon and a space', '(split pct: 10 by::$userId)', "'pct: 10' has one colon", 'write pct::10'],
    ['an equals sign', '(split by::$userId pct=25)', "'pct=25' has '='", 'write pct::25'],
    ['one colon on a context value', '(split pct::10 by:$userId)', "'by:$userId' has one colon", 'write by::$userId'],
  ])('rules: a named argument with %s is answered with the :: form', (_what, rule, message, fix) => {
    const r = failure(rule);
    expect(r.message).toBe(`named arguments take two colons: ${message}`);
    expect(r.fix).toBe(fix);
    expect(rule.slice(r.offset)).toMatch(/^\s*[:=]/);
    // The suggestion, applied, parses.
    expect(parseRule(`${rule.slice(0, r.offset)}::${rule.slice(r.offset).replace(/^\s*[:=]\s*/, '')}`).ok).toBe(true);
  });

  test('rules: a percent sign after pct:: is answered with a plain number', () => {
    const r = failure('(split pct::10% by::$u)');
    expect(r.message).toContain("unexpected '%'");
    expect(r.fix).toContain('pct::10 means 10 percent');
  });

  test.each([
    ['a comparison not closed', '(eq $tier "pro"', "'(eq' at character 1 is not closed; add ')' at the end of the rule (character 16)", '(eq $tier "pro")'],
    ['an and not closed', '(and (eq $tier "pro") (eq $a "b")', "'(and' at character 1 is not closed; add ')' at the end of the rule (character 34)", '(and (eq $tier "pro") (eq $a "b"))'],
    [
      'two not closed',
      '(and (eq $a 1) (or (eq $b 2) (eq $c 3)',
      "2 expressions are not closed: '(and' at character 1, '(or' at character 16; add '))' at the end of the rule",
      '(and (eq $a 1) (or (eq $b 2) (eq $c 3)))',
    ],
    [
      'an inner comparison closed too late',
      '(and (eq $a "b" (eq $c "d"))',
      "'(eq' at character 6 is not closed where its operands end; add ')' at character 16, after '(eq $a \"b\"'",
      '(and (eq $a "b") (eq $c "d"))',
    ],
    [
      "an inner comparison's ')' typed at the end",
      '(and (eq $a "b" (eq $c "d")))',
      "move the rule's last ')' to character 16",
      '(and (eq $a "b") (eq $c "d"))',
    ],
    ['one ) too many', '(eq $tier "pro"))', "')' at character 17 closes nothing", '(eq $tier "pro")'],
    ['two expressions side by side', '(eq $a 1) (eq $b 2)', 'a second expression starts at character 11', '(and (eq $a 1) (eq $b 2))'],
  ])('rules: a missing or extra parenthesis (%s) says where, and the rule it offers parses', (_what, rule, message, fixed) => {
    const r = failure(rule);
    expect(r.message).toContain(message);
    expect(offered(r.fix)).toBe(fixed);
    expect(parseRule(offered(r.fix)).ok).toBe(true);
  });

  test('rules: no rewrite is offered when adding a parenthesis would not make the rule parse', () => {
    const r = failure('(eq $a "b" "c")');
    expect(r.message).toBe("expected ')' to close 'eq' (it takes two operands)");
    expect(r.fix).toBeUndefined();
  });

  test.each([
    ['equal', 'eq'],
    ['equals', 'eq'],
    ['EQ', 'eq'],
    ['startsWith', 'begins_with'],
    ['starts_with', 'begins_with'],
    ['endsWith', 'ends_with'],
    ['beginswith', 'begins_with'],
    ['contain', 'contains'],
    ['exist', 'exists'],
    ['regex', 'matches'],
    ['neq', '(not (eq ...))'],
    ['frobnicate', undefined],
  ])('rules: unknown operator %s suggests %s', (word, guess) => {
    const r = failure(`(${word} $a "b")`);
    expect(r.offset).toBe(1);
    if (guess) {
      expect(r.message).toBe(`unknown operator '${word}'; did you mean '${guess}'?`);
      expect(r.fix).toMatch(new RegExp(`^write ${guess.startsWith('(') ? '' : '\\('}${guess.replace(/[()\\.]/g, '\\$&')}`));
    } else {
      expect(r.message).not.toContain('did you mean');
    }
    expect(r.fix).toContain('the operators are eq, gt, gte');
  });

  test('rules: an infix comparison is answered with the operator first', () => {
    const r = failure('($tier eq "pro")');
    expect(r.message).toContain("'eq' comes second: the operator is written first");
    expect(r.fix).toContain('(eq <left> <right>)');
  });

  test('rules: validate shows the suggestion at the rule in the flags file', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags', 'payment-service-v2.json');
      const text = fs.readFileSync(file, 'utf8');
      const edited = text.replace('(split pct::10 by::$userId seed::', '(split pct:10 by::$userId seed::');
      expect(edited).not.toBe(text);
      fs.writeFileSync(file, edited);
      const { model, diagnostics } = loadWorkspaceFromDisk(dir);
      expect(model).toBeUndefined();
      const d = diagnostics.find((x) => x.rule === 'flags/rule-syntax');
      expect(d).toMatchObject({ file: 'flags/payment-service-v2.json', message: expect.stringContaining("'pct:10' has one colon"), fix: 'write pct::10' });
      expect(edited.split('\n')[d!.line - 1]!.slice(d!.column - 1)).toMatch(/^:10 by/);
    } finally {
      rmrf(dir);
    }
  });

  test('rules: the column of a rule error counts each escaped quote before it as the file writes it', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, 'flags', 'payment-service-v2.json');
      const text = fs.readFileSync(file, 'utf8');
      // Two escaped quotes (\"pro\") come before the mistake in the file.
      const edited = text.replace('"rule": "(eq $tier \\"pro\\")"', '"rule": "(and (eq $tier \\"pro\\") (eq $plan \\u0022max\\u0022) (equals $x 1))"');
      expect(edited).not.toBe(text);
      fs.writeFileSync(file, edited);
      const d = loadWorkspaceFromDisk(dir).diagnostics.find((x) => x.rule === 'flags/rule-syntax');
      expect(d?.message).toContain("unknown operator 'equals'");
      expect(edited.split('\n')[d!.line - 1]!.slice(d!.column - 1)).toMatch(/^equals \$x 1\)\)"/);
    } finally {
      rmrf(dir);
    }
  });
});
