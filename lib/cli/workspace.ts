/** Shared by the verbs that read the workspace: --root, loading, and printing diagnostics. */
import * as path from 'node:path';
import { loadWorkspace, DiskTree, type Diagnostic, type LoadOptions, type Model, type SourceTree } from '../model';
import { CommandError, stringOption, type CommandIO, type OptionSpec, type ParsedArgs } from './command';
import { formatDiagnosticStyled, styleFor } from './output';

export const ROOT_OPTION: OptionSpec = {
  root: { type: 'string', default: undefined },
};

export function workspaceRoot(args: ParsedArgs, io: CommandIO): string {
  return path.resolve(io.cwd, stringOption(args, 'root') ?? '.');
}

/** validate's lines, for every verb that stops on a workspace that does not validate (coloured on a TTY, as validate's). */
export function printDiagnostics(diagnostics: readonly Diagnostic[], io: CommandIO): void {
  const s = styleFor(io.stdout, io.env);
  for (const d of diagnostics) io.stdout.write(`${formatDiagnosticStyled(d, s)}\n`);
}

export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const files = new Set(diagnostics.map((d) => d.file)).size;
  if (diagnostics.length === 0) return 'no problems';
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`;
}

/** Load a workspace for a verb that needs a valid model: prints problems and fails otherwise. */
export function requireModel(tree: SourceTree | string, io: CommandIO, options: LoadOptions = {}): Model {
  const result = loadWorkspace(typeof tree === 'string' ? new DiskTree(tree) : tree, options);
  if (!result.model) {
    printDiagnostics(result.diagnostics, io);
    throw new CommandError(`the workspace does not validate (${summary(result.diagnostics)}); run 'dynconf validate'`);
  }
  return result.model;
}
