/**
 * Evaluates AppConfig variant rules (the AST of lib/model/rules.ts) against an evaluation
 * context. The local agent and the tests use it, and `dynconf eval`, which asks the same
 * compiled functions for a trace; the real AppConfig Agent does the same job in production.
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

/**
 * A compiled rule. Given a `trace` array, it also pushes one RuleTrace saying how it reached
 * its value: `dynconf eval` explains a result with the very functions the agent runs, so the
 * explanation cannot drift from the evaluation. Without `trace` nothing extra is built.
 */
export type CompiledRule = (context: EvaluationContext, trace?: RuleTrace[]) => Tri;

/** How one sub-expression of a rule evaluated for one context. */
export interface RuleTrace {
  /** Offset of the sub-expression in the rule text: its opening parenthesis. */
  readonly at: number;
  /** The operator: and, or, not, eq, in, matches, exists, split, ... */
  readonly op: string;
  readonly result: 'true' | 'false' | 'unknown';
  /** Why, in words: what the context held, or which argument decided. */
  readonly reason: string;
  /**
   * The arguments of and/or/not that were evaluated, in order. `and` stops at the first
   * FALSE and `or` at the first TRUE, as the evaluator does: later arguments are absent.
   */
  readonly children?: readonly RuleTrace[];
}

/** Evaluate a compiled rule and say how: the same function and the same value as without a trace. */
export function explainRule(rule: CompiledRule, context: EvaluationContext): { readonly result: 'true' | 'false' | 'unknown'; readonly trace: RuleTrace } {
  const trace: RuleTrace[] = [];
  const value = rule(context, trace);
  return { result: triName(value), trace: trace[0]! };
}

function triName(v: Tri): 'true' | 'false' | 'unknown' {
  return v === undefined ? 'unknown' : v ? 'true' : 'false';
}

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
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear
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
  const at = expr.at;
  switch (expr.kind) {
    case 'logical': {
      const args = expr.args.map(compileRule);
      const op = expr.op;
      const evaluate = op === 'and' ? kleeneAnd : kleeneOr;
      return (ctx, trace) => {
        if (!trace) return evaluate(args, ctx);
        const children: RuleTrace[] = [];
        const v = evaluate(args, ctx, children);
        trace.push({ at, op, result: triName(v), reason: logicalReason(op, v, children, args.length), children });
        return v;
      };
    }
    case 'not': {
      const arg = compileRule(expr.arg);
      return (ctx, trace) => {
        const children: RuleTrace[] | undefined = trace ? [] : undefined;
        const v = arg(ctx, children);
        const result = v === undefined ? undefined : !v;
        if (trace) trace.push({ at, op: 'not', result: triName(result), reason: v === undefined ? 'its argument is unknown, and not keeps it unknown' : `its argument is ${v}`, children });
        return result;
      };
    }
    case 'compare': {
      const left = operandReader(expr.left);
      const right = operandReader(expr.right);
      const op = expr.op;
      return (ctx, trace) => {
        const l = left(ctx);
        const r = right(ctx);
        if (!l || !r) {
          if (trace) trace.push({ at, op, result: 'unknown', reason: unreadableReason([expr.left, expr.right], ctx) });
          return undefined;
        }
        const v = compare(op, l, r);
        if (trace) trace.push({ at, op, result: triName(v), reason: compareReason(op, [expr.left, expr.right], [l, r], v, ctx) });
        return v;
      };
    }
    case 'in': {
      const value = operandReader(expr.value);
      if (expr.list.kind !== 'list') {
        // Context values are scalars (one header value each); a context list cannot exist.
        return (_ctx, trace) => {
          trace?.push({ at, op: 'in', result: 'unknown', reason: 'the list side is not a literal list, and a context value is never a list' });
          return undefined;
        };
      }
      const items = expr.list.items.map(literal);
      return (ctx, trace) => {
        const v = value(ctx);
        if (!v) {
          if (trace) trace.push({ at, op: 'in', result: 'unknown', reason: unreadableReason([expr.value], ctx) });
          return undefined;
        }
        const found = items.some((item) => compare('eq', v, item) === true);
        if (trace) trace.push({ at, op: 'in', result: triName(found), reason: `${operandText(expr.value, ctx)}, ${found ? 'which is in the list' : 'which is none of the list'}` });
        return found;
      };
    }
    case 'matches': {
      const input = operandReader(expr.input);
      // Compiled once, by the parser; `test` on a RegExp without the g or y flag keeps no state.
      const regex = expr.regex;
      return (ctx, trace) => {
        const v = input(ctx);
        if (!v || v.type !== 'string') {
          if (trace) trace.push({ at, op: 'matches', result: 'unknown', reason: v ? `${operandText(expr.input, ctx)}, not a string: matches reads strings only` : unreadableReason([expr.input], ctx) });
          return undefined;
        }
        if (v.value.length > MAX_MATCH_INPUT) {
          if (trace) trace.push({ at, op: 'matches', result: 'unknown', reason: `${operandName(expr.input)} is ${v.value.length} characters; values over ${MAX_MATCH_INPUT} are never matched` });
          return undefined;
        }
        const m = regex.test(v.value);
        if (trace) trace.push({ at, op: 'matches', result: triName(m), reason: `${operandText(expr.input, ctx)}, which ${m ? 'matches' : 'does not match'} /${expr.pattern}/` });
        return m;
      };
    }
    case 'exists': {
      const key = expr.key;
      return (ctx, trace) => {
        const v = Object.prototype.hasOwnProperty.call(ctx, key);
        if (trace) trace.push({ at, op: 'exists', result: triName(v), reason: `$${key} is ${v ? '' : 'not '}in the context` });
        return v;
      };
    }
    case 'split': {
      const { by, pct } = expr;
      const seed = expr.seed ?? '';
      return (ctx, trace) => {
        if (!Object.prototype.hasOwnProperty.call(ctx, by)) {
          if (trace) trace.push({ at, op: 'split', result: 'unknown', reason: `$${by} is not in the context` });
          return undefined;
        }
        const bucket = splitBucket(seed, String(ctx[by]));
        const v = bucket < pct;
        if (trace) trace.push({ at, op: 'split', result: triName(v), reason: `$${by} ${JSON.stringify(String(ctx[by]))} is in bucket ${bucket.toFixed(2)}; the split takes buckets below ${pct}` });
        return v;
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

function kleeneAnd(args: readonly CompiledRule[], ctx: EvaluationContext, trace?: RuleTrace[]): Tri {
  let unknown = false;
  for (const arg of args) {
    const v = arg(ctx, trace);
    if (v === false) return false;
    if (v === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

function kleeneOr(args: readonly CompiledRule[], ctx: EvaluationContext, trace?: RuleTrace[]): Tri {
  let unknown = false;
  for (const arg of args) {
    const v = arg(ctx, trace);
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

// ---- explanations: built only when a trace is asked for ----

function logicalReason(op: 'and' | 'or', v: Tri, children: readonly RuleTrace[], count: number): string {
  const skipped = count - children.length;
  const rest = skipped > 0 ? `; the ${skipped} after it ${skipped === 1 ? 'is' : 'are'} not evaluated` : '';
  const position = (result: string) => children.findIndex((c) => c.result === result) + 1;
  if (op === 'and') {
    if (v === true) return 'every argument is true';
    if (v === false) return `argument ${position('false')} is false${rest}`;
    return `no argument is false, but argument ${position('unknown')} is unknown`;
  }
  if (v === true) return `argument ${position('true')} is true${rest}`;
  if (v === false) return 'every argument is false';
  return `no argument is true, but argument ${position('unknown')} is unknown`;
}

function operandName(operand: Operand): string {
  return operand.kind === 'context' ? `$${operand.key}` : 'the value';
}

/** `$tier is "free"` for a context operand; nothing to say about a literal. */
function operandText(operand: Operand, ctx: EvaluationContext): string {
  if (operand.kind !== 'context') return `${JSON.stringify(operand.kind === 'timestamp' ? operand.value : (operand as { value?: unknown }).value)} is a literal`;
  return `$${operand.key} is ${JSON.stringify(ctx[operand.key])}`;
}

/** Why an operand could not be read: a missing key, or a value of no comparable type. */
function unreadableReason(operands: readonly Operand[], ctx: EvaluationContext): string {
  for (const o of operands) {
    if (o.kind !== 'context') continue;
    if (!Object.prototype.hasOwnProperty.call(ctx, o.key)) return `$${o.key} is not in the context`;
    const v = ctx[o.key];
    if (typeof v === 'number' && !Number.isFinite(v)) return `$${o.key} is ${String(v)}, which compares with nothing`;
  }
  return 'an operand cannot be read';
}

function compareReason(op: string, operands: readonly [Operand, Operand], values: readonly [Typed, Typed], v: Tri, ctx: EvaluationContext): string {
  const said = operands.filter((o) => o.kind === 'context').map((o) => operandText(o, ctx));
  const context = said.length ? said.join(' and ') : 'both sides are literals';
  if (v !== undefined) return context;
  const [l, r] = values;
  if (op === 'begins_with' || op === 'ends_with' || op === 'contains') return `${context}; ${op} compares strings only`;
  if (l.type !== r.type && (l.type === 'string' || r.type === 'string')) {
    const target = l.type === 'string' ? r.type : l.type;
    return `${context}, which cannot be read as a ${target}`;
  }
  if (l.type !== r.type) return `${context}: a ${l.type} and a ${r.type} do not compare`;
  if (l.type === 'boolean') return `${context}: booleans have no order`;
  return context;
}

