/**
 * `dynconf emergency <subcommand>`: the emergency lane. `check` says whether a change may
 * take it (lib/model/emergency.ts decides); `deploy` ships it (added with the lane).
 */
import { DiskTree, emergencyChanges, formatDiagnostic, loadWorkspace, type EmergencyChange, type EmergencyReport, type LoadOptions, type Model, type SourceTree } from '../../model';
import { choiceOption, CommandError, EXIT_FAILURE, EXIT_OK, requiredOption, UsageError, type Command, type CommandIO, type OptionSpec, type ParsedArgs } from '../command';
import { GitTree } from '../git-tree';
import { ROOT_OPTION, summary, workspaceRoot } from '../workspace';
import { makeEmergencyDeploySubcommand } from './emergency-deploy';

/** One `dynconf emergency <name>`: its own options, checked by the dispatcher. */
interface Subcommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

const checkSubcommand: Subcommand = {
  name: 'check',
  summary: 'does every difference against a git ref qualify for the emergency lane?',
  usage: `usage: dynconf emergency check --base <git-ref> [--format text|json] [--root <dir>]

Compiles the workspace at <git-ref> (what is deployed) and the working tree, and lists
every difference with whether it may take the emergency lane, and why:
  - a flag switched off in an environment (enabled true -> false, or every variant
    disabled), nothing else about it changing;
  - an ops key marked "x-dynconf-emergency" in the app's schema.json ("any", "decrease",
    "increase"), changing in that direction, with schema.json itself unchanged.
Anything else (additions, removals, switching on, rules, variants, attributes, exposure,
unmarked keys, schema.json, workload.json, layout.json) is an ordinary change.
Exit 0 when every difference qualifies (also when there is none: nothing to deploy),
1 when one does not or a side does not validate, 2 on a usage error (such as a bad ref).
  --format   text (default) or json`,
  options: { ...ROOT_OPTION, base: { type: 'string' }, format: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const ref = requiredOption(args, 'base');
    const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
    const { report } = emergencyCheck(root, ref, io);
    io.stdout.write(format === 'json' ? `${JSON.stringify(jsonReport(report, ref), null, 2)}\n` : renderCheck(report, ref));
    return report.qualifies ? EXIT_OK : EXIT_FAILURE;
  },
};

/**
 * The subcommands, in the order `dynconf emergency --help` lists them. `deploy` joins
 * here: it runs emergencyCheck first and deploys report.changedDocuments.
 */
const SUBCOMMANDS: readonly Subcommand[] = [checkSubcommand, makeEmergencyDeploySubcommand(emergencyCheck)];

/**
 * Load <ref> and the working tree and compare them. Throws a UsageError for a ref git
 * cannot read, and a CommandError (after printing the diagnostics) when either side does
 * not validate: the check never judges a workspace the pipeline would refuse.
 */
export function emergencyCheck(root: string, ref: string, io: CommandIO): { base: Model; head: Model; report: EmergencyReport } {
  let baseTree: GitTree;
  try {
    baseTree = new GitTree(root, ref);
  } catch (e) {
    if (e instanceof CommandError) throw new UsageError(`--base: ${e.message}`);
    throw e;
  }
  const headTree = new DiskTree(root);
  const head = loadSide(headTree, 'the working tree', io);
  const base = loadSide(baseTree, ref, io);
  return { base, head, report: emergencyChanges(base, head, { base: baseTree, head: headTree }) };
}

function loadSide(tree: SourceTree, name: string, io: CommandIO, options: LoadOptions = {}): Model {
  const result = loadWorkspace(tree, options);
  if (result.model) return result.model;
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) io.stdout.write(`${name === 'the working tree' ? '' : `${name}: `}${formatDiagnostic(d)}\n`);
  throw new CommandError(`${name} does not validate (${summary(errors)}); an emergency change starts from a valid workspace and stays valid: run 'dynconf validate'`);
}

function label(c: EmergencyChange): string {
  const scope = [c.application, c.environment].filter((s) => s !== '*');
  return `${scope.length === 2 ? `${scope[0]} (${scope[1]})` : scope.join(' ')}${scope.length ? ' ' : ''}[${c.profile}] ${c.key}`;
}

export function renderCheck(report: EmergencyReport, ref: string): string {
  if (report.changes.length === 0) return `dynconf emergency check: nothing to deploy: no document, schema, workload or layout differs from ${ref}.\n`;
  const out: string[] = [];
  const failing = report.changes.filter((c) => !c.qualifies);
  for (const c of failing) out.push(`${c.file}:${c.line}:${c.column} not-emergency ${label(c)}: ${c.why}`);
  for (const c of report.changes.filter((x) => x.qualifies)) out.push(`${c.file}:${c.line}:${c.column} emergency ${label(c)}: ${c.why}`);
  const docs = report.changedDocuments.length;
  const targets = `${docs} document${docs === 1 ? '' : 's'} in ${new Set(report.changedDocuments.map((d) => d.environment)).size} environment${new Set(report.changedDocuments.map((d) => d.environment)).size === 1 ? '' : 's'}`;
  out.push(
    '',
    failing.length === 0
      ? `dynconf emergency check: all ${report.changes.length} change${report.changes.length === 1 ? '' : 's'} against ${ref} qualify; the lane would deploy ${targets}.`
      : `dynconf emergency check: ${failing.length} of ${report.changes.length} change${report.changes.length === 1 ? '' : 's'} against ${ref} ${failing.length === 1 ? 'does' : 'do'} not qualify: ship ${failing.length === 1 ? 'it' : 'them'} through the pipeline, or take ${failing.length === 1 ? 'it' : 'them'} out of this change.`,
  );
  return `${out.join('\n')}\n`;
}

function jsonReport(report: EmergencyReport, ref: string): unknown {
  return {
    ok: report.qualifies,
    base: ref,
    qualifies: report.qualifies,
    nothingToDeploy: report.changes.length === 0,
    changes: report.changes,
    // The bytes themselves are what `build` writes; the size says what would ship.
    changedDocuments: report.changedDocuments.map((d) => ({ environment: d.environment, application: d.application, profile: d.profile, bytes: Buffer.byteLength(d.content) })),
  };
}

function allOptions(): OptionSpec {
  const out: OptionSpec = {};
  for (const s of SUBCOMMANDS) Object.assign(out, s.options);
  return out;
}

function overview(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return `usage: dynconf emergency <${SUBCOMMANDS.map((s) => s.name).join('|')}> [options]

The emergency lane ships a change that only makes things safer (a flag switched off, a
marked ops key moved in its safe direction) to every environment at once.
${SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join('\n')}

${SUBCOMMANDS.map((s) => s.usage).join('\n\n')}`;
}

export const emergencyCommand: Command = {
  name: 'emergency',
  summary: 'the emergency lane: check whether a change only switches flags off or dials marked ops keys',
  get usage() {
    return overview();
  },
  get options() {
    return allOptions();
  },
  allowPositionals: true,
  async run(args, io) {
    const [name, ...extra] = args.positionals;
    if (!name) throw new UsageError(`a subcommand is required: ${SUBCOMMANDS.map((s) => s.name).join(', ')}`);
    const sub = SUBCOMMANDS.find((s) => s.name === name);
    if (!sub) throw new UsageError(`unknown subcommand '${name}'; use one of ${SUBCOMMANDS.map((s) => s.name).join(', ')}`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    // The verb parses the union of every subcommand's options; each accepts only its own.
    for (const [option, value] of Object.entries(args.values)) {
      if (value !== undefined && !Object.hasOwn(sub.options, option)) throw new UsageError(`--${option} is not an option of 'emergency ${sub.name}'`);
    }
    return sub.run(args, io);
  },
};
