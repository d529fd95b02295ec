/**
 * Evaluates AppConfig variant rules (the AST of lib/model/rules.ts) against an evaluation
 * context. The local agent and the tests use it; the real AppConfig Agent does the same job
 * in production.
 *
 * Three-valued logic: a comparison whose context key is missing, or whose operands cannot be
 * compared (a number against "abc", a boolean against a timestamp), is UNKNOWN rather than
 * false. `not` keeps UNKNOWN unknown, `and`/`or` follow Kleene's tables, and a variant is
 * chosen only when its rule is TRUE. So `(not (eq $plan "free"))` does not pick a paid-plan
 * variant for a caller who sent no plan at all: a missing key never turns into a match by
 * negation. AWS documents that a caller without the rule's context gets the default
 * variant; it does not document type mismatches, and this is the safe reading.
 */
import { createHash } from 'node:crypto';
import { MAX_MATCH_INPUT, parseTimestamp, type Operand, type RuleExpr } from '../model';

/**
 * The evaluation context. The agent's `Context: key=value` headers give strings; library
 * callers may pass numbers and booleans, which compare natively.
 */
export type EvaluationContext = Readonly<Record<string, string | number | boolean>>;

/** TRUE, FALSE or UNKNOWN (undefined). */
type Tri = boolean | undefined;

export type CompiledRule = (context: EvaluationContext) => Tri;

type Typed =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'timestamp'; readonly value: number };

type OperandReader = (context: EvaluationContext) => Typed | undefined;

// The literal forms the rule language accepts, used to read a context string as the type of
// the literal it is compared with ("42" against 40, "2025-01-01" against a timestamp; the
// parser's own parseTimestamp, so a context value is a timestamp exactly when the same text
// would be one in a rule).
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Patterns are proven at most quadratic when parsed (lib/model/rules.ts), and the input is
 * capped at MAX_MATCH_INPUT, which bounds the work per evaluation to about a millisecond
 * whatever the pattern; it also bounds what a caller can make the agent scan. A longer value
 * is UNKNOWN: the variant is not chosen, and not under `not` either, as for a missing key;
 * the document's later variants decide.
 */
export { MAX_MATCH_INPUT };

/** Compile a parsed rule into a function; compile once per document, evaluate per request. */
export function compileRule(expr: RuleExpr): CompiledRule {
  switch (expr.kind) {
    case 'logical': {
      const args = expr.args.map(compileRule);
      return expr.op === 'and' ? (ctx) => kleeneAnd(args, ctx) : (ctx) => kleeneOr(args, ctx);
    }
    case 'not': {
      const arg = compileRule(expr.arg);
      return (ctx) => {
        const v = arg(ctx);
        return v === undefined ? undefined : !v;
      };
    }
    case 'compare': {
      const left = operandReader(expr.left);
      const right = operandReader(expr.right);
      const op = expr.op;
      return (ctx) => {
        const l = left(ctx);
        const r = right(ctx);
        if (!l || !r) return undefined;
        return compare(op, l, r);
      };
    }
    case 'in': {
      const value = operandReader(expr.value);
      if (expr.list.kind !== 'list') {
        // Context values are scalars (one header value each); a context list cannot exist.
        return () => undefined;
      }
      const items = expr.list.items.map(literal);
      return (ctx) => {
        const v = value(ctx);
        if (!v) return undefined;
        return items.some((item) => compare('eq', v, item) === true);
      };
    }
    case 'matches': {
      const input = operandReader(expr.input);
      // Compiled once, by the parser; `test` on a RegExp without the g or y flag keeps no state.
      const regex = expr.regex;
      return (ctx) => {
        const v = input(ctx);
        if (!v || v.type !== 'string') return undefined;
        if (v.value.length > MAX_MATCH_INPUT) return undefined;
        return regex.test(v.value);
      };
    }
    case 'exists': {
      const key = expr.key;
      return (ctx) => Object.prototype.hasOwnProperty.call(ctx, key);
    }
    case 'split': {
      const { by, pct } = expr;
      const seed = expr.seed ?? '';
      return (ctx) => {
        if (!Object.prototype.hasOwnProperty.call(ctx, by)) return undefined;
        return splitBucket(seed, String(ctx[by])) < pct;
      };
    }
  }
}

/**
 * The bucket, in [0, 100), that `split` puts a value in: the first 48 bits of
 * SHA-256(seed NUL value), scaled. Deterministic and uniform, so the same user stays in the
 * same variant across agents and restarts, and `pct::20` holds the lowest 20% of buckets
 * (two splits with the same seed overlap, as AWS documents). AWS does not publish its hash:
 * the buckets here differ from the real agent's, so a user may be in a split locally and
 * out of it in AWS.
 */
export function splitBucket(seed: string, value: string): number {
  const digest = createHash('sha256').update(seed).update('\u0000').update(value).digest();
  return (digest.readUIntBE(0, 6) / 2 ** 48) * 100;
}

function kleeneAnd(args: readonly CompiledRule[], ctx: EvaluationContext): Tri {
  let unknown = false;
  for (const arg of args) {
    const v = arg(ctx);
    if (v === false) return false;
    if (v === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

function kleeneOr(args: readonly CompiledRule[], ctx: EvaluationContext): Tri {
  let unknown = false;
  for (const arg of args) {
    const v = arg(ctx);
    if (v === true) return true;
    if (v === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function literal(operand: Operand): Typed {
  switch (operand.kind) {
    case 'string':
      return { type: 'string', value: operand.value };
    case 'number':
      return { type: 'number', value: operand.value };
    case 'boolean':
      return { type: 'boolean', value: operand.value };
    case 'timestamp':
      return { type: 'timestamp', value: operand.epochMs };
    default:
      throw new Error(`internal: ${operand.kind} operand is not a literal`);
  }
}

function operandReader(operand: Operand): OperandReader {
  if (operand.kind === 'context') {
    const key = operand.key;
    return (ctx) => {
      if (!Object.prototype.hasOwnProperty.call(ctx, key)) return undefined;
      const v = ctx[key];
      if (typeof v === 'string') return { type: 'string', value: v };
      if (typeof v === 'number') return Number.isFinite(v) ? { type: 'number', value: v } : undefined;
      if (typeof v === 'boolean') return { type: 'boolean', value: v };
      return undefined;
    };
  }
  if (operand.kind === 'list') {
    // The parser rejects lists where a scalar is expected; keep UNKNOWN if one slips through.
    return () => undefined;
  }
  const value = literal(operand);
  return () => value;
}

/** Read a string as another type, the way the literal of that type is written in a rule. */
function coerce(s: string, type: Typed['type']): Typed | undefined {
  switch (type) {
    case 'string':
      return { type, value: s };
    case 'number':
      return NUMBER_TEXT.test(s) ? { type, value: Number(s) } : undefined;
    case 'boolean':
      return s === 'true' ? { type, value: true } : s === 'false' ? { type, value: false } : undefined;
    case 'timestamp': {
      // An impossible date (2025-02-30) is not a timestamp: UNKNOWN, as for "abc", never
      // the day Date.parse would roll it over to.
      const parsed = parseTimestamp(s);
      return 'error' in parsed ? undefined : { type, value: parsed.epochMs };
    }
  }
}

/** Bring both sides to one type; a string side is read as the other side's type. */
function unify(l: Typed, r: Typed): [Typed, Typed] | undefined {
  if (l.type === r.type) return [l, r];
  if (l.type === 'string') {
    const c = coerce(l.value, r.type);
    return c ? [c, r] : undefined;
  }
  if (r.type === 'string') {
    const c = coerce(r.value, l.type);
    return c ? [l, c] : undefined;
  }
  return undefined;
}

function compare(op: string, left: Typed, right: Typed): Tri {
  if (op === 'begins_with' || op === 'ends_with' || op === 'contains') {
    if (left.type !== 'string' || right.type !== 'string') return undefined;
    if (op === 'begins_with') return left.value.startsWith(right.value);
    if (op === 'ends_with') return left.value.endsWith(right.value);
    return left.value.includes(right.value);
  }
  const pair = unify(left, right);
  if (!pair) return undefined;
  const [l, r] = pair;
  if (op === 'eq') return l.value === r.value;
  // Booleans have no order.
  if (l.type === 'boolean') return undefined;
  const a = l.value as number | string;
  const b = r.value as number | string;
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    default:
      return undefined;
  }
}
