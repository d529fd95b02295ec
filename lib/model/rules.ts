/**
 * AppConfig's variant rule language, parsed into an AST. The model uses it to reject
 * rules AppConfig would reject; the local agent evaluates the same AST, so the two can
 * never disagree about what a rule means syntactically.
 *
 *   (and (eq $tier "pro") (split pct::20 by::$userId seed::"checkout-v2"))
 */

import type * as Recheck from 'recheck';
import { didYouMean } from './diagnostics';

export const MAX_RULE_LENGTH = 16384;

export type ComparisonOperator = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
export type StringOperator = 'begins_with' | 'ends_with' | 'contains';
export type Operator = ComparisonOperator | StringOperator | 'and' | 'or' | 'not' | 'in' | 'matches' | 'exists' | 'split';

export const OPERATORS: readonly Operator[] = [
  'eq', 'gt', 'gte', 'lt', 'lte', 'and', 'or', 'not', 'begins_with', 'ends_with', 'contains', 'in', 'matches', 'exists', 'split',
];

export type Operand =
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  | { readonly kind: 'number'; readonly value: number; readonly at: number }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly at: number }
  /** ISO-8601 / W3C date-time; compared as instants. */
  | { readonly kind: 'timestamp'; readonly value: string; readonly epochMs: number; readonly at: number }
  | { readonly kind: 'context'; readonly key: string; readonly at: number }
  | { readonly kind: 'list'; readonly items: readonly Operand[]; readonly at: number };

export type RuleExpr =
  | { readonly kind: 'compare'; readonly op: ComparisonOperator | StringOperator; readonly left: Operand; readonly right: Operand; readonly at: number }
  | { readonly kind: 'logical'; readonly op: 'and' | 'or'; readonly args: readonly RuleExpr[]; readonly at: number }
  | { readonly kind: 'not'; readonly arg: RuleExpr; readonly at: number }
  | { readonly kind: 'in'; readonly value: Operand; readonly list: Operand; readonly at: number }
  | { readonly kind: 'matches'; readonly input: Operand; readonly pattern: string; readonly regex: RegExp; readonly at: number }
  | { readonly kind: 'exists'; readonly key: string; readonly at: number }
  | { readonly kind: 'split'; readonly pct: number; readonly by: string; readonly seed?: string; readonly at: number };

export type ParseResult =
  | { readonly ok: true; readonly expr: RuleExpr }
  | {
      readonly ok: false;
      readonly message: string;
      readonly offset: number;
      /** The diagnostic rule id when it is not `flags/rule-syntax`, e.g. `flags/rule-regex-super-linear`. */
      readonly rule?: string;
      /** How to fix it, when there is more to say than the rule language's README section. */
      readonly fix?: string;
    };

class RuleSyntaxError extends Error {
  /** Set by the parser where a parenthesis may be missing or extra: parseRule tries the repair. */
  repair?: Repair;
  constructor(message: string, readonly offset: number, readonly rule?: string, readonly fix?: string) {
    super(message);
  }
}

/** An expression whose '(' has been read and whose ')' has not, innermost last. */
interface OpenExpr {
  readonly op: string;
  readonly at: number;
}

type Repair =
  /** The rule ended inside these expressions. */
  | { readonly kind: 'ended'; readonly open: readonly OpenExpr[] }
  /** The innermost expression wanted its ')' at the error offset. */
  | { readonly kind: 'close-here'; readonly open: readonly OpenExpr[] }
  /** A ')' after the complete rule. */
  | { readonly kind: 'extra-close' }
  /** A second expression after the complete rule. */
  | { readonly kind: 'second-expression' };

function withRepair(e: RuleSyntaxError, repair: Repair): RuleSyntaxError {
  e.repair = repair;
  return e;
}

type Token =
  | { type: '(' | ')' | '[' | ']' | ','; at: number }
  | { type: 'word'; value: string; at: number }
  | { type: 'named'; value: string; at: number }
  | { type: 'operand'; operand: Operand; at: number };

/** The timestamp forms of the rule language: YYYY-MM[-DD[Thh:mm[:ss[.f]](Z|±hh:mm)]]. */
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
const TIMESTAMP = /^(\d{4})-(\d{2})(?:-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/**
 * The instant a timestamp names, in the rule language's forms (a rule literal, or a context
 * value compared with one), or why it names none. Only the whole text counts: `2025-01-01x`
 * is not a timestamp. Date.parse alone is not enough: it rolls an impossible day over
 * (2025-02-30 is March 2, 2025-04-31 is May 1), so the written day is checked against the
 * length of the written month first, before any offset moves the instant to another day.
 */
export function parseTimestamp(text: string): { readonly epochMs: number } | { readonly error: string } {
  const m = TIMESTAMP.exec(text);
  if (!m || m[0] !== text) return { error: `'${text}' is not a timestamp: write YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss](Z|±hh:mm)` };
  const [year, month, day] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  if (month >= 1 && month <= 12 && day > daysIn(year, month)) {
    return { error: `'${text}' is not a date: ${MONTHS[month - 1]} ${m[1]} has ${daysIn(year, month)} days` };
  }
  const epochMs = Date.parse(text);
  return Number.isNaN(epochMs) ? { error: `'${text}' is not a valid timestamp` } : { epochMs };
}

/** Days in a month of the proleptic Gregorian calendar (ECMAScript's, and ISO 8601's). */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const CONTEXT = /^\$[A-Za-z0-9_.:-]+/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') {
      tokens.push({ type: c, at: i });
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new RuleSyntaxError('string is not terminated', start);
        const ch = text[i]!;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = text[i + 1];
          if (next === undefined) throw new RuleSyntaxError('string is not terminated', start);
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ type: 'operand', operand: { kind: 'string', value, at: start }, at: start });
      continue;
    }
    const rest = text.slice(i);
    const ts = TIMESTAMP.exec(rest);
    if (ts) {
      const parsed = parseTimestamp(ts[0]);
      if ('error' in parsed) throw new RuleSyntaxError(parsed.error, i, undefined, 'write a date that exists (a timestamp is compared as the instant it names; an impossible day is not moved to the next month)');
      tokens.push({ type: 'operand', operand: { kind: 'timestamp', value: ts[0], epochMs: parsed.epochMs, at: i }, at: i });
      i += ts[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      tokens.push({ type: 'operand', operand: { kind: 'number', value: Number(num[0]), at: i }, at: i });
      i += num[0].length;
      continue;
    }
    const ctx = CONTEXT.exec(rest);
    if (ctx) {
      tokens.push({ type: 'operand', operand: { kind: 'context', key: ctx[0].slice(1), at: i }, at: i });
      i += ctx[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      const w = word[0];
      if (rest.startsWith('::', w.length)) {
        tokens.push({ type: 'named', value: w, at: i });
        i += w.length + 2;
      } else if (NAMED_ARGUMENTS.includes(w) && /^\s*[:=]/.test(rest.slice(w.length))) {
        throw namedArgumentSeparator(rest, w, i);
      } else if (w === 'true' || w === 'false') {
        tokens.push({ type: 'operand', operand: { kind: 'boolean', value: w === 'true', at: i }, at: i });
        i += w.length;
      } else {
        tokens.push({ type: 'word', value: w, at: i });
        i += w.length;
      }
      continue;
    }
    if (c === '$') throw new RuleSyntaxError("'$' must be followed by a context key, e.g. $userId", i);
    if (OTHER_QUOTES.includes(c)) throw wrongQuote(text, i);
    if (c === '%') throw new RuleSyntaxError("unexpected '%': percentages are plain numbers", i, undefined, 'leave out the %: pct::10 means 10 percent');
    throw new RuleSyntaxError(`unexpected character '${c}'`, i);
  }
  return tokens;
}

/** Quotes people paste from documents or other languages; the rule language has only ". */
const OTHER_QUOTES = "'`\u2018\u2019\u201c\u201d";

function wrongQuote(text: string, at: number): RuleSyntaxError {
  const quote = text[at]!;
  // The closing quote, if it is on the same rule: show the string rewritten.
  const close = [...text.slice(at + 1)].findIndex((ch) => OTHER_QUOTES.includes(ch));
  const body = close >= 0 ? text.slice(at + 1, at + 1 + close) : undefined;
  const example = body !== undefined && !body.includes('"') ? `"${body}"` : '"pro"';
  return new RuleSyntaxError(
    `strings are written in double quotes, not ${quote === "'" ? 'single quotes' : quote === '`' ? 'backticks' : 'typographic quotes'} (${quote})`,
    at,
    undefined,
    `use double quotes: ${example}; inside the JSON file each one is escaped: ${example.replace(/"/g, '\\"')}`,
  );
}

/** The named arguments of matches, exists and split. */
const NAMED_ARGUMENTS = ['in', 'pattern', 'key', 'pct', 'by', 'seed'];

/** `pct:10`, `pct: 10`, `pct=10`: a named argument written with the wrong separator. */
function namedArgumentSeparator(rest: string, word: string, at: number): RuleSyntaxError {
  const m = /^\s*([:=])\s*/.exec(rest.slice(word.length))!;
  const value = /^[^\s()[\]]*/.exec(rest.slice(word.length + m[0].length))![0];
  const written = rest.slice(0, word.length + m[0].length + value.length);
  const fixed = `${word}::${value}`;
  const what = m[1] === ':' ? 'one colon' : `'='`;
  return new RuleSyntaxError(`named arguments take two colons: '${written}' has ${what}`, at + word.length, undefined, `write ${fixed}`);
}

/** Operator names people write from other languages, and the one the rule language has. */
const OPERATOR_ALIASES: Readonly<Record<string, string>> = {
  equals: 'eq',
  equal: 'eq',
  is: 'eq',
  ne: '(not (eq ...))',
  neq: '(not (eq ...))',
  noteq: '(not (eq ...))',
  notequal: '(not (eq ...))',
  notequals: '(not (eq ...))',
  ge: 'gte',
  gteq: 'gte',
  le: 'lte',
  lteq: 'lte',
  startswith: 'begins_with',
  beginswith: 'begins_with',
  prefix: 'begins_with',
  endswith: 'ends_with',
  suffix: 'ends_with',
  includes: 'contains',
  has: 'contains',
  oneof: 'in',
  anyof: 'in',
  regex: 'matches',
  match: 'matches',
  like: 'matches',
  defined: 'exists',
  present: 'exists',
  haskey: 'exists',
  all: 'and',
  any: 'or',
  percent: 'split',
  percentage: 'split',
  rollout: 'split',
};

/** The operator someone meant by an unknown one, or undefined when nothing is close. */
export function suggestOperator(word: string): string | undefined {
  const norm = word.toLowerCase().replace(/_/g, '');
  const exact = OPERATORS.find((o) => o.replace(/_/g, '') === norm);
  if (exact) return exact;
  if (Object.hasOwn(OPERATOR_ALIASES, norm)) return OPERATOR_ALIASES[norm];
  return didYouMean(word, OPERATORS);
}

class Parser {
  private pos = 0;
  private readonly open: OpenExpr[] = [];
  constructor(private readonly tokens: Token[], private readonly length: number) {}

  parseRule(): RuleExpr {
    const expr = this.parseExpr();
    const extra = this.tokens[this.pos];
    if (extra) {
      const e = new RuleSyntaxError('unexpected text after the end of the rule', extra.at);
      if (extra.type === ')') throw withRepair(e, { kind: 'extra-close' });
      if (extra.type === '(') throw withRepair(e, { kind: 'second-expression' });
      throw e;
    }
    return expr;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) {
      // Said only when a ')' is what is missing; a missing operand is not a parenthesis problem.
      const hint = what.includes('close') ? ' (unbalanced parentheses?)' : '';
      throw withRepair(new RuleSyntaxError(`rule ends where ${what} was expected${hint}`, this.length), { kind: 'ended', open: [...this.open] });
    }
    return t;
  }

  private expect(type: ')' | '(', what: string): Token {
    const t = this.next(what);
    if (t.type !== type) throw withRepair(new RuleSyntaxError(`expected '${type}' ${what}`, t.at), { kind: 'close-here', open: [...this.open] });
    return t;
  }

  private parseExpr(): RuleExpr {
    const depth = this.open.length;
    const expr = this.parseOpenExpr();
    // Only on success: after a throw, `open` still says which expressions were left open.
    this.open.length = depth;
    return expr;
  }

  private parseOpenExpr(): RuleExpr {
    const open = this.next('an expression');
    if (open.type !== '(') throw new RuleSyntaxError("a rule is an expression in parentheses, e.g. (eq $tier \"pro\")", open.at);
    const opTok = this.next('an operator');
    if (opTok.type !== 'word') {
      // `($tier eq "pro")`: infix, as in most languages; the operator comes first here.
      const after = this.peek();
      const infix = after?.type === 'word' && OPERATORS.includes(after.value as Operator) ? after.value : undefined;
      throw new RuleSyntaxError(
        `expected an operator${infix ? `, but '${infix}' comes second: the operator is written first` : ''} (${OPERATORS.join(', ')})`,
        opTok.at,
        undefined,
        infix ? `write (${infix} <left> <right>), e.g. (eq $tier "pro")` : undefined,
      );
    }
    const op = opTok.value as Operator;
    if (!OPERATORS.includes(op)) {
      const guess = suggestOperator(opTok.value);
      throw new RuleSyntaxError(
        `unknown operator '${opTok.value}'${guess ? `; did you mean '${guess}'?` : ''}`,
        opTok.at,
        undefined,
        `${guess ? `write ${guess.startsWith('(') ? guess : `(${guess} ...)`}; ` : ''}the operators are ${OPERATORS.join(', ')}`,
      );
    }
    const at = open.at;
    this.open.push({ op, at });
    switch (op) {
      case 'and':
      case 'or': {
        const args: RuleExpr[] = [];
        while (this.peek()?.type === '(') args.push(this.parseExpr());
        if (args.length < 2) throw new RuleSyntaxError(`'${op}' takes at least two expressions`, opTok.at);
        this.expect(')', `to close '${op}'`);
        return { kind: 'logical', op, args, at };
      }
      case 'not': {
        if (this.peek()?.type !== '(') throw new RuleSyntaxError("'not' takes one expression in parentheses", opTok.at);
        const arg = this.parseExpr();
        this.expect(')', "to close 'not' (it takes exactly one expression)");
        return { kind: 'not', arg, at };
      }
      case 'in': {
        const value = this.parseOperand(op);
        const list = this.parseOperand(op);
        if (list.kind !== 'list' && list.kind !== 'context') throw new RuleSyntaxError("'in' takes a value and a list, e.g. (in $tier [\"pro\", \"max\"])", list.at);
        this.expect(')', "to close 'in' (it takes two operands)");
        return { kind: 'in', value, list, at };
      }
      case 'matches': {
        const named = this.parseNamed(op, ['in', 'pattern'], ['in', 'pattern']);
        const pattern = named.pattern!;
        if (pattern.kind !== 'string') throw new RuleSyntaxError("'pattern::' takes a string", pattern.at);
        let regex: RegExp;
        try {
          // eslint-disable-next-line security/detect-non-literal-regexp -- compiled only to report a syntax error; patternProblem (recheck) below rejects a super-linear pattern before anything matches it
          regex = new RegExp(pattern.value);
        } catch (e) {
          throw new RuleSyntaxError(`pattern is not a valid regular expression: ${(e as Error).message}`, pattern.at);
        }
        const problem = patternProblem(pattern.value);
        if (problem) throw new RuleSyntaxError(problem.message, pattern.at, problem.rule, problem.fix);
        return { kind: 'matches', input: named.in!, pattern: pattern.value, regex, at };
      }
      case 'exists': {
        const named = this.parseNamed(op, ['key'], ['key']);
        const key = named.key!;
        if (key.kind !== 'string' && key.kind !== 'context') throw new RuleSyntaxError("'key::' takes a context key name, e.g. key::\"country\"", key.at);
        return { kind: 'exists', key: key.kind === 'string' ? key.value : key.key, at };
      }
      case 'split': {
        const named = this.parseNamed(op, ['pct', 'by', 'seed'], ['pct', 'by']);
        const pct = named.pct!;
        if (pct.kind !== 'number' || pct.value < 0 || pct.value > 100) throw new RuleSyntaxError("'pct::' takes a number from 0 to 100", pct.at);
        const by = named.by!;
        if (by.kind !== 'context') throw new RuleSyntaxError("'by::' takes a context value, e.g. by::$userId", by.at);
        const seed = named.seed;
        if (seed && seed.kind !== 'string') throw new RuleSyntaxError("'seed::' takes a string", seed.at);
        return { kind: 'split', pct: pct.value, by: by.key, ...(seed?.kind === 'string' ? { seed: seed.value } : {}), at };
      }
      default: {
        const left = this.parseOperand(op);
        const right = this.parseOperand(op);
        if (left.kind === 'list' || right.kind === 'list') throw new RuleSyntaxError(`'${op}' compares two values, not lists; use 'in' for lists`, left.kind === 'list' ? left.at : right.at);
        this.expect(')', `to close '${op}' (it takes two operands)`);
        return { kind: 'compare', op, left, right, at };
      }
    }
  }

  private parseNamed(op: string, allowed: string[], required: string[]): Record<string, Operand> {
    const out: Record<string, Operand> = {};
    for (;;) {
      const t = this.next(`')' to close '${op}'`);
      if (t.type === ')') break;
      if (t.type !== 'named') throw new RuleSyntaxError(`'${op}' takes named arguments (${allowed.map((a) => `${a}::`).join(' ')})`, t.at);
      if (!allowed.includes(t.value)) throw new RuleSyntaxError(`'${op}' has no argument '${t.value}::' (it takes ${allowed.map((a) => `${a}::`).join(' ')})`, t.at);
      if (out[t.value]) throw new RuleSyntaxError(`'${t.value}::' is given twice`, t.at);
      out[t.value] = this.parseOperand(op);
    }
    for (const r of required) if (!out[r]) throw new RuleSyntaxError(`'${op}' needs '${r}::'`, this.tokens[this.pos - 1]!.at);
    return out;
  }

  private parseOperand(op: string): Operand {
    const t = this.next(`an operand of '${op}'`);
    if (t.type === 'operand') return t.operand;
    if (t.type === '[') {
      const items: Operand[] = [];
      for (;;) {
        const n = this.peek();
        if (!n) throw new RuleSyntaxError("list is not closed with ']'", t.at);
        if (n.type === ']') {
          this.pos++;
          break;
        }
        if (n.type === ',') {
          this.pos++;
          continue;
        }
        const item = this.parseOperand(op);
        if (item.kind === 'list' || item.kind === 'context') throw new RuleSyntaxError('list items are literal strings, numbers or booleans', item.at);
        items.push(item);
      }
      return { kind: 'list', items, at: t.at };
    }
    if (t.type === ')') throw new RuleSyntaxError(`'${op}' is missing an operand`, t.at);
    if (t.type === '(') throw new RuleSyntaxError(`'${op}' takes values here (a literal or $context), not an expression`, t.at);
    if (t.type === 'word') throw new RuleSyntaxError(`'${t.value}' is not a value: quote strings ("${t.value}") and prefix context keys with $`, t.at);
    throw new RuleSyntaxError(`unexpected '${t.type === 'named' ? `${t.value}::` : t.type}'`, t.at);
  }
}

export function parseRule(text: string): ParseResult {
  if (text.length > MAX_RULE_LENGTH) return { ok: false, message: `rule is ${text.length} characters; AppConfig allows ${MAX_RULE_LENGTH}`, offset: 0 };
  const result = parseOnce(text);
  if (result instanceof RuleSyntaxError) {
    const e = (result.repair && repaired(text, result, result.repair)) || result;
    return { ok: false, message: e.message, offset: e.offset, ...(e.rule ? { rule: e.rule } : {}), ...(e.fix ? { fix: e.fix } : {}) };
  }
  return result;
}

function parseOnce(text: string): ParseResult | RuleSyntaxError {
  try {
    const tokens = tokenize(text);
    if (tokens.length === 0) return { ok: false, message: 'rule is empty; leave it out for the default variant', offset: 0 };
    return { ok: true, expr: new Parser(tokens, text.length).parseRule() };
  } catch (e) {
    if (e instanceof RuleSyntaxError) return e;
    throw e;
  }
}

/** Rules this long are described in words rather than shown rewritten in the fix. */
const MAX_SHOWN_RULE = 120;

/**
 * A parenthesis error restated as where the parenthesis goes (or which one to remove), when
 * that edit makes the rule parse; undefined when no single edit does, and the parser's own
 * message stands. The offered rule is parsed before it is offered.
 */
function repaired(text: string, e: RuleSyntaxError, repair: Repair): RuleSyntaxError | undefined {
  const parses = (candidate: string) => {
    const r = parseOnce(candidate);
    return !(r instanceof RuleSyntaxError) && r.ok;
  };
  // As the JSON string to paste into the flags file: the quotes in a rule are escaped there.
  const show = (candidate: string, words: string) => (candidate.length <= MAX_SHOWN_RULE ? `write "rule": ${JSON.stringify(candidate)}` : words);
  const char = (offset: number) => `character ${offset + 1}`;
  const opened = (o: OpenExpr) => `'(${o.op}' at ${char(o.at)}`;
  switch (repair.kind) {
    case 'ended': {
      if (repair.open.length === 0) return undefined;
      const end = text.trimEnd().length;
      const closers = ')'.repeat(repair.open.length);
      const candidate = text.trimEnd() + closers;
      if (!parses(candidate)) return undefined;
      const what = repair.open.length === 1 ? `${opened(repair.open[0]!)} is not closed` : `${repair.open.length} expressions are not closed: ${repair.open.map(opened).join(', ')}`;
      return new RuleSyntaxError(`unbalanced parentheses: ${what}; add '${closers}' at the end of the rule (${char(end)})`, end, undefined, show(candidate, `add '${closers}' at the end of the rule`));
    }
    case 'close-here': {
      const inner = repair.open[repair.open.length - 1];
      if (!inner) return undefined;
      const before = text.slice(0, e.offset).trimEnd();
      const inserted = `${before}) ${text.slice(e.offset)}`;
      // The ')' may have been typed at the end instead: move it rather than add one.
      const lastClose = inserted.lastIndexOf(')');
      const moved = inserted.slice(0, lastClose) + inserted.slice(lastClose + 1);
      const candidate = [inserted, moved].find(parses);
      if (!candidate) return undefined;
      const closed = `${text.slice(inner.at, before.length)})`;
      const how = candidate === inserted ? "add ')' at" : "move the rule's last ')' to";
      return new RuleSyntaxError(
        `unbalanced parentheses: ${opened(inner)} is not closed where its operands end; ${how} ${char(before.length)}, after '${text.slice(Math.max(inner.at, before.length - 12), before.length)}'`,
        before.length,
        undefined,
        show(candidate, `close it there: ${closed}`),
      );
    }
    case 'extra-close': {
      const candidate = text.slice(0, e.offset) + text.slice(e.offset + 1);
      if (!parses(candidate)) return undefined;
      return new RuleSyntaxError(`unbalanced parentheses: ')' at ${char(e.offset)} closes nothing: the rule is complete before it`, e.offset, undefined, show(candidate, `remove the ')' at ${char(e.offset)}`));
    }
    case 'second-expression': {
      const candidate = `(and ${text.trim()})`;
      if (!parses(candidate)) return undefined;
      return new RuleSyntaxError(
        `a second expression starts at ${char(e.offset)}: a rule is one expression`,
        e.offset,
        undefined,
        `combine them with and or or: ${candidate.length <= MAX_SHOWN_RULE ? `"rule": ${JSON.stringify(candidate)}` : '(and <first> <second>)'}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// `matches` patterns. A backtracking engine (V8's, here; AWS does not say what the AppConfig
// Agent uses) can take exponential or polynomial time on a crafted input: `^(a+)+$` against
// 31 characters blocked the local agent for 11.5 s. Such patterns are refused when the rule
// is parsed, which is both at validate and when the agent loads a document.

export interface PatternProblem {
  readonly rule: 'flags/rule-regex-super-linear' | 'flags/rule-regex-unportable';
  readonly message: string;
  readonly fix: string;
}

/**
 * How long recheck may take to decide one pattern. Real patterns take 1-50 ms; past this it
 * answers 'unknown', which is refused (fail safe): a pattern nobody can prove linear is not
 * evaluated on every request.
 */
export const REGEX_CHECK_TIMEOUT_MS = 5000;

/**
 * The longest context value `matches` runs a pattern against, in UTF-16 code units (the
 * evaluator in lib/runtime enforces it). 1024 holds any real user agent (typically 100-300
 * characters), email address (at most 254), id or locale. AWS does not document a limit.
 */
export const MAX_MATCH_INPUT = 1024;

/**
 * The highest polynomial degree a pattern may have. Quadratic patterns are common and
 * AppConfig's own example (`h.*y`) is one; with the input capped at MAX_MATCH_INPUT, V8 takes
 * about 1.5 ms for the worst 1,024-character input (measured here, 2026-11). Cubic ones
 * already take 1.7 s at 256 characters, and exponential ones are unbounded.
 */
export const MAX_PATTERN_DEGREE = 2;

/** Verdicts by pattern: a workspace repeats the same few patterns across many flags. */
const verdicts = new Map<string, PatternProblem | null>();
const MAX_VERDICTS = 10000;

const LINEAR_FIX =
  'anchor it (^...) and make sure no two repetitions can match the same text, e.g. ^[^a]*a[^b]*b.*c instead of a.*b.*c, ^a+$ instead of ^(a+)+$; or use begins_with, ends_with or contains';

/**
 * Why a `matches` pattern must not be deployed, or undefined when it may. Checked: constructs
 * that are not portable across regex engines, then running time with recheck
 * (https://makenowjust-labs.github.io/recheck/), which proves a pattern linear or finds an
 * input that is not.
 */
export function patternProblem(pattern: string): PatternProblem | undefined {
  const cached = verdicts.get(pattern);
  if (cached !== undefined) return cached ?? undefined;
  const problem = unportableConstruct(pattern) ?? superLinear(pattern);
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(pattern, problem ?? null);
  return problem;
}

/**
 * Lookaround and backreferences: AWS does not document the `matches` dialect, and these are
 * what linear-time engines (RE2, Go's regexp, Rust's regex) refuse and what makes a
 * backtracking engine's running time impossible to bound, so a pattern using them could be
 * refused by AppConfig or behave differently there. See README "Rule patterns".
 */
function unportableConstruct(pattern: string): PatternProblem | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<'))) {
        return unportable(`a backreference \\${next}${next === 'k' ? '<...>' : ''}`);
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' && pattern[i + 1] === '?') {
      const kind = pattern.slice(i + 2, i + 4);
      if (kind.startsWith('=') || kind.startsWith('!')) return unportable(`a lookahead ${pattern.slice(i, i + 3)}...)`);
      if (kind === '<=' || kind === '<!') return unportable(`a lookbehind ${pattern.slice(i, i + 4)}...)`);
    }
  }
  return undefined;
}

function unportable(what: string): PatternProblem {
  return {
    rule: 'flags/rule-regex-unportable',
    message: `pattern uses ${what}, which AppConfig does not document and linear-time regex engines do not support`,
    fix: 'match the text itself (split the rule with and / not if you need a condition on what follows), or use begins_with, ends_with or contains',
  };
}

/**
 * recheck, loaded on the first pattern that needs it: requiring it costs 150-400 ms, which
 * every command and every service importing the model would otherwise pay at start-up,
 * though most workspaces have no `matches` rule with a repetition.
 */
let recheckModule: typeof Recheck | undefined;
function recheck(): typeof Recheck {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (150-400 ms), see above
  return (recheckModule ??= require('recheck') as typeof Recheck);
}

function superLinear(pattern: string): PatternProblem | undefined {
  // Without a repetition a pattern does bounded work per input position: linear, no need to ask.
  if (!/[*+?{]/.test(pattern)) return undefined;
  const result = recheck().checkSync(pattern, '', { timeout: REGEX_CHECK_TIMEOUT_MS });
  if (result.status === 'safe') return undefined;
  if (result.status === 'vulnerable' && result.complexity.type === 'polynomial' && result.complexity.degree <= MAX_PATTERN_DEGREE) return undefined;
  if (result.status === 'vulnerable') {
    const how = result.complexity.type === 'exponential' ? 'exponential' : result.complexity.summary;
    return {
      rule: 'flags/rule-regex-super-linear',
      message: `pattern can take ${how} time on some inputs, e.g. ${result.attack.pattern.slice(0, 80)}: one request could stall every flag evaluation`,
      fix: LINEAR_FIX,
    };
  }
  const why = result.error.kind === 'timeout' ? `did not finish within ${REGEX_CHECK_TIMEOUT_MS} ms` : `${result.error.kind}${'message' in result.error ? `: ${result.error.message}` : ''}`;
  return {
    rule: 'flags/rule-regex-super-linear',
    message: `pattern could not be proven to run in linear time (the ReDoS check ${why}), so it is refused`,
    fix: `simplify it: ${LINEAR_FIX}`,
  };
}

/** The context keys a rule reads, for documentation and the BFF's context callback. */
export function contextKeys(expr: RuleExpr): string[] {
  const keys = new Set<string>();
  const fromOperand = (o: Operand): void => {
    if (o.kind === 'context') keys.add(o.key);
    if (o.kind === 'list') o.items.forEach(fromOperand);
  };
  const walk = (e: RuleExpr): void => {
    switch (e.kind) {
      case 'compare':
        fromOperand(e.left);
        fromOperand(e.right);
        break;
      case 'logical':
        e.args.forEach(walk);
        break;
      case 'not':
        walk(e.arg);
        break;
      case 'in':
        fromOperand(e.value);
        fromOperand(e.list);
        break;
      case 'matches':
        fromOperand(e.input);
        break;
      case 'exists':
        keys.add(e.key);
        break;
      case 'split':
        keys.add(e.by);
        break;
    }
  };
  walk(expr);
  return [...keys].sort();
}
