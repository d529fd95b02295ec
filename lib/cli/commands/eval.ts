/**
 * `dynconf eval`: what the agent returns for one flag and one context, and why. It runs the
 * local agent's own code (CompiledFeatureFlags over the compiled document, the rules compiled
 * by rule-evaluator.ts), asking it to record how each variant's rule evaluated: an explanation
 * that a second evaluator produced could disagree with what services get.
 */
import { didYouMean, findDocument, parseRule, contextKeys } from '../../model';
import { CompiledFeatureFlags, parseContextHeaders, type FlagExplanation, type VariantStep } from '../../runtime/feature-flags';
import type { RuleTrace } from '../../runtime/rule-evaluator';
import { choiceOption, EXIT_FAILURE, EXIT_OK, requiredOption, UsageError, type Command, type ParsedArgs } from '../command';
import { ROOT_OPTION } from '../workspace';
import { checkName, loadModelOrReport } from './flags';

export const evalCommand: Command = {
  name: 'eval',
  summary: "what the agent returns for a flag and a context, and which variant's rule matched and why",
  usage: `usage: dynconf eval --env <env> --app <app> --flag <flag> [--context key=value]... [--format text|json] [--root <dir>]

Evaluates one flag of the working tree's compiled 'flags' document for <env>, as
'dynconf agent --env <env>' does for
  GET /applications/<app>/environments/<env>/configurations/flags?flag=<flag>
  Context: key=value ...
and prints the body the agent returns, the variant served, and for each variant in order
whether its rule was true, false or unknown, down to each comparison and what the context held.
  --context  one evaluation key (repeatable), exactly as a Context header carries it: the
             value is text, read as a number, boolean or timestamp only where a rule compares
             it with one ("42" against 40); a comma separates entries, so a value cannot hold one
  --format   text (default) or json
Exit 0 when the flag was evaluated, 1 when the workspace does not validate (its errors are
printed, as by validate), 2 on a usage error (an unknown environment, application or flag
is named with the known ones).`,
  options: {
    ...ROOT_OPTION,
    env: { type: 'string' },
    app: { type: 'string' },
    flag: { type: 'string' },
    context: { type: 'string', multiple: true },
    format: { type: 'string' },
  },
  async run(args, io) {
    const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
    const env = requiredOption(args, 'env');
    const app = requiredOption(args, 'app');
    const flag = requiredOption(args, 'flag');
    const context = contextOption(args);

    const model = loadModelOrReport(args, io, format, 'eval');
    if (!model) return EXIT_FAILURE;
    checkName('env', 'environment', env, model.environments);
    checkName(
      'app',
      'application',
      app,
      model.applications.map((a) => a.name),
    );
    // The same document and the same compiled form the local agent serves from (local-agent.ts buildState).
    const flags = CompiledFeatureFlags.fromContent(findDocument(model, env, app, 'flags')!.content);
    if (!flags.has(flag)) {
      const known = model.applications.find((a) => a.name === app)!.flagKeys;
      const guess = didYouMean(flag, known);
      throw new UsageError(`application '${app}' has no flag '${flag}'${guess ? ` (did you mean '${guess}'?)` : ''}; its flags: ${known.join(', ') || '(none)'}`);
    }
    const report = evalReport(env, app, flag, context, flags.explain(flag, context));
    io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
    return EXIT_OK;
  },
};

/** --context values, parsed by the agent's own Context header parser, so eval accepts and refuses what the agent does. */
function contextOption(args: ParsedArgs): Record<string, string> {
  const raw = args.values.context;
  const values = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
  const parsed = parseContextHeaders(values);
  if ('error' in parsed) throw new UsageError(`--context: ${parsed.error} (as in the agent's Context header: key=value, and a comma separates entries)`);
  // A plain object for printing; the agent's null-prototype one holds the same pairs.
  return { ...parsed.context };
}

export interface TraceNode {
  /** The sub-expression as written in the rule. */
  readonly text: string;
  readonly op: string;
  readonly result: 'true' | 'false' | 'unknown';
  readonly reason: string;
  readonly children?: readonly TraceNode[];
}

export interface EvalReport {
  readonly environment: string;
  readonly application: string;
  readonly flag: string;
  readonly context: Readonly<Record<string, string>>;
  /** The body the agent returns for ?flag=<flag> with this context. */
  readonly result: unknown;
  /** The variant served; null for a flag without variants. */
  readonly variant: string | null;
  /**
   * no-variants: the flag has one value for every context; matched: the served variant's rule
   * is true; default: no rule was true and the last variant, which has none, is served;
   * last-without-rule-match: no rule was true and the last variant has a rule (the model
   * refuses such a document; the agent serves the last variant).
   */
  readonly why: 'no-variants' | 'matched' | 'default' | 'last-without-rule-match';
  readonly variants: readonly (Omit<VariantStep, 'trace'> & { readonly trace?: TraceNode })[];
  /** Context keys no rule of the flag reads (a typo, or a key for another flag). */
  readonly unreadKeys: readonly string[];
  /** Keys the flag's rules read. */
  readonly readKeys: readonly string[];
}

function evalReport(environment: string, application: string, flag: string, context: Record<string, string>, explanation: FlagExplanation): EvalReport {
  const steps = explanation.variants ?? [];
  const readKeys = [
    ...new Set(
      steps.flatMap((s) => {
        if (s.rule === undefined) return [];
        const parsed = parseRule(s.rule);
        return parsed.ok ? contextKeys(parsed.expr) : [];
      }),
    ),
  ].sort();
  const served = steps.find((s) => s.outcome === 'matched' || s.outcome === 'default');
  return {
    environment,
    application,
    flag,
    context,
    result: explanation.result,
    variant: explanation.variants ? (explanation.result._variant ?? null) : null,
    why: !explanation.variants ? 'no-variants' : served?.outcome === 'matched' ? 'matched' : served ? 'default' : 'last-without-rule-match',
    variants: steps.map((s) => {
      const { trace, ...rest } = s;
      return trace ? { ...rest, trace: traceNode(s.rule!, trace) } : rest;
    }),
    unreadKeys: Object.keys(context).filter((k) => !readKeys.includes(k)),
    readKeys,
  };
}

function traceNode(rule: string, t: RuleTrace): TraceNode {
  return {
    text: sourceAt(rule, t.at),
    op: t.op,
    result: t.result,
    reason: t.reason,
    ...(t.children ? { children: t.children.map((c) => traceNode(rule, c)) } : {}),
  };
}

/** The sub-expression that starts at `at`: up to its matching parenthesis, strings skipped. */
export function sourceAt(rule: string, at: number): string {
  if (rule[at] !== '(') return rule.slice(at);
  let depth = 0;
  for (let i = at; i < rule.length; i++) {
    const c = rule[i];
    if (c === '"') {
      for (i++; i < rule.length && rule[i] !== '"'; i++) if (rule[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return rule.slice(at, i + 1);
  }
  return rule.slice(at);
}

const OUTCOME: Readonly<Record<VariantStep['outcome'], string>> = {
  matched: 'MATCHED',
  'no-match': 'no match',
  unknown: 'unknown (not a match)',
  default: 'served (no rule)',
  'not-evaluated': 'not evaluated',
};

function reportText(r: EvalReport): string {
  const context = Object.entries(r.context).map(([k, v]) => `${k}=${v}`);
  const out = [`${r.application} / ${r.environment} / ${r.flag}, context: ${context.length ? context.join(' ') : '(none)'}`, `the agent returns: ${JSON.stringify(r.result)}`];
  if (r.why === 'no-variants') {
    out.push('the flag has no variants in this environment: every context gets this value');
  } else {
    const why = {
      matched: 'its rule is true',
      default: 'no rule before it is true, and it has none',
      'last-without-rule-match': 'no rule is true; the last variant is served',
    }[r.why];
    out.push(`variant served: ${r.variant} (${why})`, '', 'variants, in the order they are tried:');
    const nameWidth = Math.max(...r.variants.map((v) => v.name.length));
    const outcomeWidth = Math.max(...r.variants.map((v) => OUTCOME[v.outcome].length));
    r.variants.forEach((v, i) => {
      out.push(`  ${i + 1}. ${v.name.padEnd(nameWidth)}  ${OUTCOME[v.outcome].padEnd(outcomeWidth)}  ${v.rule ?? '(no rule)'}`.trimEnd());
      if (v.trace) traceLines(v.trace, 7, true, out);
    });
  }
  if (r.unreadKeys.length) {
    const hints = r.unreadKeys.map((k) => {
      const guess = didYouMean(k, r.readKeys);
      return guess ? `${k} (did you mean ${guess}?)` : k;
    });
    out.push('', `note: no rule of this flag reads ${hints.join(', ')}${r.readKeys.length ? `; its rules read ${r.readKeys.join(', ')}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

/** The root's text is the variant's rule, printed above it; children show their own. */
function traceLines(t: TraceNode, indent: number, root: boolean, out: string[]): void {
  out.push(`${' '.repeat(indent)}${t.result}${root ? '' : ` ${t.text}`}: ${t.reason}`);
  for (const c of t.children ?? []) traceLines(c, indent + 2, false, out);
}
