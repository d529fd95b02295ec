/**
 * `dynconf flags`: every flag of every application across the environments, as compiled
 * from the working tree; `--stale` for the flags to clean up.
 */
import { didYouMean, DiskTree, formatDiagnostic, loadWorkspace, type Model } from '../../model';
import { staleFlags, DEFAULT_STALE_WITHIN_DAYS, type StaleReport, type UniformFlag } from '../../model/flag-hygiene';
import { flagMatrix, isVariants, type FlagMatrix, type FlagRow, type FlagState, type VariantState } from '../../model/flag-matrix';
import { choiceOption, EXIT_FAILURE, EXIT_OK, numberOption, stringOption, UsageError, type Command, type CommandIO, type ParsedArgs } from '../command';
import { ROOT_OPTION, summary, workspaceRoot } from '../workspace';

const FORMATS = ['text', 'json', 'markdown'] as const;

export const flagsCommand: Command = {
  name: 'flags',
  summary: 'every flag in every environment: enabled, variants, attribute values; --stale for cleanup',
  usage: `usage: dynconf flags [--env <env>]... [--app <app>]... [--format text|json|markdown] [--root <dir>]
       dynconf flags --stale [--within <days>] [--as-of <YYYY-MM-DD>] [--app <app>]... [--format text|json|markdown]

A flag x environment table per application, from the documents the working tree compiles
to (what AppConfig hosts and 'dynconf agent' serves): on/off and attribute values; for a
flag with variants, [on,on,off] and [100,10,-] list each variant's in order, and the
variants follow the table.
  --env, --app  only these (repeatable); an unknown name is a usage error listing the known ones
  --format      text (default), json (every flag of every selected application and
                environment, with all values) or markdown

--stale lists the flags to clean up: past "expires", expiring within --within days
(default ${DEFAULT_STALE_WITHIN_DAYS}; validate warns from 14), without "expires", and with the same value in every
environment. It always compares every environment, so it does not take --env.
  --as-of       the date to report for (default: today, UTC)
Exit 0 when the report is printed, whatever it lists: it is a report, and the gate for
expired flags is 'dynconf validate --strict' (exit 1 on a flag past "expires").
Exit 1 when the workspace does not validate (its errors are printed, as by validate), 2 on a usage error.`,
  options: {
    ...ROOT_OPTION,
    env: { type: 'string', multiple: true },
    app: { type: 'string', multiple: true },
    format: { type: 'string' },
    stale: { type: 'boolean', default: false },
    within: { type: 'string' },
    'as-of': { type: 'string' },
  },
  async run(args, io) {
    const format = choiceOption(args, 'format', FORMATS, 'text');
    const stale = args.values.stale === true;
    if (!stale) {
      for (const name of ['within', 'as-of']) if (args.values[name] !== undefined) throw new UsageError(`--${name} applies to --stale only`);
    } else if (args.values.env !== undefined) {
      throw new UsageError('--stale compares every environment; drop --env');
    }
    const within = numberOption(args, 'within', DEFAULT_STALE_WITHIN_DAYS, { min: 0, max: 3650, integer: true });
    const asOf = dateOption(args, 'as-of') ?? new Date().toISOString().slice(0, 10);

    const model = loadModelOrReport(args, io, format, 'flags');
    if (!model) return EXIT_FAILURE;
    const environments = selected(args, 'env', 'environment', model.environments);
    const applications = selected(
      args,
      'app',
      'application',
      model.applications.map((a) => a.name),
    );
    const matrix = flagMatrix(model, { environments, applications });
    if (stale) {
      const report = staleFlags(matrix, { today: asOf, withinDays: within });
      io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? staleMarkdown(report) : staleText(report));
    } else {
      io.stdout.write(format === 'json' ? `${JSON.stringify(matrix, null, 2)}\n` : format === 'markdown' ? matrixMarkdown(matrix) : matrixText(matrix));
    }
    return EXIT_OK;
  },
};

/**
 * Load the workspace for a read-only report. When it does not validate: its located errors,
 * as validate prints them (as a validate-shaped JSON object with --format json, so the output
 * stays JSON), and undefined: the caller exits 1.
 */
export function loadModelOrReport(args: ParsedArgs, io: CommandIO, format: string, verb: string): Model | undefined {
  const result = loadWorkspace(new DiskTree(workspaceRoot(args, io)));
  if (result.model) return result.model;
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ ok: false, errors, warnings: result.diagnostics.length - errors, diagnostics: result.diagnostics }, null, 2)}\n`);
  } else {
    for (const d of result.diagnostics) io.stdout.write(`${formatDiagnostic(d)}\n`);
    io.stderr.write(`dynconf ${verb}: the workspace does not validate (${summary(result.diagnostics)}); fix the errors above, then run 'dynconf validate'\n`);
  }
  return undefined;
}

/** The values of a repeatable name option, each checked against the known names. */
export function selected(args: ParsedArgs, option: string, kind: string, known: readonly string[]): string[] | undefined {
  const raw = args.values[option];
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : [raw]).map(String);
  for (const name of names) checkName(option, kind, name, known);
  return names;
}

export function checkName(option: string, kind: string, name: string, known: readonly string[]): void {
  if (known.includes(name)) return;
  const guess = didYouMean(name, known);
  throw new UsageError(`unknown ${kind} '${name}' for --${option}${guess ? ` (did you mean '${guess}'?)` : ''}; ${kind}s: ${known.join(', ')}`);
}

function dateOption(args: ParsedArgs, name: string): string | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  // A real calendar day: 2027-02-30 would otherwise roll over to March.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`)) || new Date(`${raw}T00:00:00Z`).toISOString().slice(0, 10) !== raw) {
    throw new UsageError(`--${name} must be a date written YYYY-MM-DD (got '${raw}')`);
  }
  return raw;
}

// ---- cells ----

/** Longer cells are cut with an ellipsis; --format json has every value whole. */
const MAX_CELL = 32;

function cut(s: string): string {
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
}

function onOff(enabled: boolean): string {
  return enabled ? 'on' : 'off';
}

function showValue(v: unknown): string {
  if (v === undefined) return '-';
  // Plain words read better bare; anything that could be mistaken for another type is quoted.
  if (typeof v === 'string' && /^[A-Za-z#][\w.#:/@-]*$/.test(v) && v !== 'true' && v !== 'false' && v !== 'null') return v;
  return JSON.stringify(v);
}

function enabledCell(state: FlagState): string {
  return isVariants(state) ? `[${state.variants.map((v) => onOff(v.enabled)).join(',')}]` : onOff(state.enabled);
}

function attributeCell(state: FlagState, attribute: string): string {
  if (isVariants(state)) return `[${state.variants.map((v) => showValue(v.attributes[attribute])).join(',')}]`;
  return showValue(state.attributes[attribute]);
}

function variantAttributes(v: VariantState): string {
  return Object.entries(v.attributes)
    .map(([k, value]) => `${k}=${showValue(value)}`)
    .join(' ');
}

/** Environments whose variant lists are identical share one listing. */
function variantGroups(flag: FlagRow, environments: readonly string[]): { environments: string[]; variants: readonly VariantState[] }[] {
  const groups = new Map<string, { environments: string[]; variants: readonly VariantState[] }>();
  for (const env of environments) {
    const state = flag.environments[env]!;
    if (!isVariants(state)) continue;
    const key = JSON.stringify(state.variants);
    const group = groups.get(key) ?? groups.set(key, { environments: [], variants: state.variants }).get(key)!;
    group.environments.push(env);
  }
  return [...groups.values()];
}

function rowsOf(flag: FlagRow, environments: readonly string[]): { label: string; exposure: string; expires: string; cells: string[] }[] {
  return [
    { label: flag.key, exposure: flag.exposure, expires: flag.expires ?? '-', cells: environments.map((env) => cut(enabledCell(flag.environments[env]!))) },
    ...flag.attributes.map((attribute) => ({ label: `  ${attribute}`, exposure: '', expires: '', cells: environments.map((env) => cut(attributeCell(flag.environments[env]!, attribute))) })),
  ];
}

// ---- the matrix ----

function matrixText(matrix: FlagMatrix): string {
  const out: string[] = [];
  for (const app of matrix.applications) {
    out.push(`${app.name} (${app.owner}): ${app.flags.length} flag${app.flags.length === 1 ? '' : 's'}`);
    if (app.flags.length === 0) {
      out.push('');
      continue;
    }
    const header = ['flag', 'exposure', 'expires', ...matrix.environments];
    const rows = app.flags.flatMap((f) => rowsOf(f, matrix.environments)).map((r) => [r.label, r.exposure, r.expires, ...r.cells]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
    out.push(line(header), ...rows.map(line));
    const withVariants = app.flags.map((f) => ({ flag: f, groups: variantGroups(f, matrix.environments) })).filter((f) => f.groups.length > 0);
    if (withVariants.length) {
      out.push('', '  variants, in the order they are tried (the first whose rule is true is served):');
      for (const { flag, groups } of withVariants) {
        for (const group of groups) {
          out.push(`    ${flag.key} in ${group.environments.join(', ')}:`);
          const nameWidth = Math.max(...group.variants.map((v) => v.name.length));
          const attrs = group.variants.map(variantAttributes);
          const attrWidth = Math.max(...attrs.map((a) => a.length));
          group.variants.forEach((v, i) => {
            const columns = [v.name.padEnd(nameWidth), onOff(v.enabled).padEnd(3), ...(attrWidth ? [attrs[i]!.padEnd(attrWidth)] : []), v.rule ?? '(no rule: served when none matches)'];
            out.push(`      ${columns.join('  ')}`);
          });
        }
      }
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function md(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function matrixMarkdown(matrix: FlagMatrix): string {
  const out: string[] = [];
  for (const app of matrix.applications) {
    out.push(`### ${app.name}`, '', `Owner: ${app.owner}. ${app.flags.length} flag${app.flags.length === 1 ? '' : 's'}.`, '');
    if (app.flags.length === 0) continue;
    out.push(`| flag | exposure | expires | ${matrix.environments.join(' | ')} |`, `| --- | --- | --- |${matrix.environments.map(() => ' --- |').join('')}`);
    for (const flag of app.flags) {
      for (const r of rowsOf(flag, matrix.environments)) {
        const label = r.label.startsWith('  ') ? `↳ ${r.label.trim()}` : `\`${r.label}\``;
        out.push(`| ${label} | ${r.exposure} | ${r.expires} | ${r.cells.map((c) => (c === '' ? '' : `\`${md(c)}\``)).join(' | ')} |`);
      }
    }
    const withVariants = app.flags.map((f) => ({ flag: f, groups: variantGroups(f, matrix.environments) })).filter((f) => f.groups.length > 0);
    if (withVariants.length) {
      out.push('', 'Variants, in the order they are tried (the first whose rule is true is served):', '');
      for (const { flag, groups } of withVariants) {
        for (const group of groups) {
          out.push(`- \`${flag.key}\` in ${group.environments.join(', ')}:`);
          for (const v of group.variants) {
            const attrs = variantAttributes(v);
            out.push(`  - \`${v.name}\` ${onOff(v.enabled)}${attrs ? ` \`${attrs}\`` : ''}: ${v.rule !== undefined ? `\`${v.rule}\`` : 'no rule, served when none matches'}`);
          }
        }
      }
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

// ---- the stale report ----

function ago(days: number): string {
  if (days === 0) return 'today';
  const n = Math.abs(days);
  return days < 0 ? `${n} day${n === 1 ? '' : 's'} ago` : `in ${n} day${n === 1 ? '' : 's'}`;
}

function uniformValue(f: UniformFlag): string {
  const s = f.state;
  if (isVariants(s)) return `the same ${s.variants.length} variants everywhere`;
  const attrs = Object.entries(s.attributes).map(([k, v]) => `${k}=${showValue(v)}`);
  return `${onOff(s.enabled)} everywhere${attrs.length ? ` (${attrs.join(' ')})` : ''}`;
}

interface Section {
  readonly title: string;
  /** What the third column holds. */
  readonly detail: string;
  readonly rows: readonly (readonly string[])[];
}

function staleSections(r: StaleReport): Section[] {
  return [
    { title: 'past expires', detail: 'expired', rows: r.expired.map((f) => [f.application, f.key, `expired ${f.expires} (${ago(f.days)})`]) },
    { title: `expiring within ${r.withinDays} days`, detail: 'expires', rows: r.expiringSoon.map((f) => [f.application, f.key, `expires ${f.expires} (${ago(f.days)})`]) },
    { title: 'no expires', detail: 'name', rows: r.noExpiry.map((f) => [f.application, f.key, f.name]) },
    {
      title: r.environments.length >= 2 ? `the same value in all ${r.environments.length} environments` : 'the same value in every environment (not checked: one environment)',
      detail: 'value',
      rows: r.sameEverywhere.map((f) => [f.application, f.key, uniformValue(f)]),
    },
  ];
}

function staleText(r: StaleReport): string {
  const out = [`dynconf flags --stale: as of ${r.asOf}, looking ${r.withinDays} days ahead`, ''];
  for (const s of staleSections(r)) {
    out.push(`${s.title} (${s.rows.length})${s.rows.length ? ':' : ''}`);
    const widths = [0, 1].map((i) => Math.max(0, ...s.rows.map((row) => row[i]!.length)));
    for (const row of s.rows) out.push(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function staleMarkdown(r: StaleReport): string {
  const out = [`### Flag hygiene as of ${r.asOf}`, ''];
  for (const s of staleSections(r)) {
    out.push(`**${s.title}** (${s.rows.length})`, '');
    if (s.rows.length) {
      out.push(`| application | flag | ${s.detail} |`, '| --- | --- | --- |', ...s.rows.map((row) => `| ${md(row[0]!)} | \`${md(row[1]!)}\` | ${md(row[2]!)} |`));
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
