/**
 * AppConfig's variant rule language, parsed into an AST. The model uses it to reject
 * rules AppConfig would reject; the local agent evaluates the same AST, so the two can
 * never disagree about what a rule means syntactically.
 *
 *   (and (eq $tier "pro") (split pct::20 by::$userId seed::"checkout-v2"))
 */

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

export type ParseResult = { readonly ok: true; readonly expr: RuleExpr } | { readonly ok: false; readonly message: string; readonly offset: number };

class RuleSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

type Token =
  | { type: '(' | ')' | '[' | ']' | ','; at: number }
  | { type: 'word'; value: string; at: number }
  | { type: 'named'; value: string; at: number }
  | { type: 'operand'; operand: Operand; at: number };

const TIMESTAMP = /^\d{4}-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?/;
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
      const epochMs = Date.parse(ts[0]);
      if (Number.isNaN(epochMs)) throw new RuleSyntaxError(`'${ts[0]}' is not a valid timestamp`, i);
      tokens.push({ type: 'operand', operand: { kind: 'timestamp', value: ts[0], epochMs, at: i }, at: i });
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
    throw new RuleSyntaxError(`unexpected character '${c}'`, i);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly length: number) {}

  parseRule(): RuleExpr {
    const expr = this.parseExpr();
    const extra = this.tokens[this.pos];
    if (extra) throw new RuleSyntaxError('unexpected text after the end of the rule', extra.at);
    return expr;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new RuleSyntaxError(`rule ends where ${what} was expected (unbalanced parentheses?)`, this.length);
    return t;
  }

  private expect(type: ')' | '(', what: string): Token {
    const t = this.next(what);
    if (t.type !== type) throw new RuleSyntaxError(`expected '${type}' ${what}`, t.at);
    return t;
  }

  private parseExpr(): RuleExpr {
    const open = this.next('an expression');
    if (open.type !== '(') throw new RuleSyntaxError("a rule is an expression in parentheses, e.g. (eq $tier \"pro\")", open.at);
    const opTok = this.next('an operator');
    if (opTok.type !== 'word') throw new RuleSyntaxError(`expected an operator (${OPERATORS.join(', ')})`, opTok.at);
    const op = opTok.value as Operator;
    if (!OPERATORS.includes(op)) {
      throw new RuleSyntaxError(`unknown operator '${opTok.value}' (operators: ${OPERATORS.join(', ')})`, opTok.at);
    }
    const at = open.at;
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
          regex = new RegExp(pattern.value);
        } catch (e) {
          throw new RuleSyntaxError(`pattern is not a valid regular expression: ${(e as Error).message}`, pattern.at);
        }
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
  try {
    const tokens = tokenize(text);
    if (tokens.length === 0) return { ok: false, message: 'rule is empty; leave it out for the default variant', offset: 0 };
    return { ok: true, expr: new Parser(tokens, text.length).parseRule() };
  } catch (e) {
    if (e instanceof RuleSyntaxError) return { ok: false, message: e.message, offset: e.offset };
    throw e;
  }
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
