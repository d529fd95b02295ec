import { loadWorkspace, DiskTree } from '../../model';
import { choiceOption, EXIT_FAILURE, EXIT_OK, type Command } from '../command';
import { formatDiagnosticStyled, styleFor } from '../output';
import { schemaCacheFor } from '../schema-cache';
import { ROOT_OPTION, summary, workspaceRoot } from '../workspace';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check config/ and flags/: schemas, references, rules, constraints, safety policy',
  usage: `usage: dynconf validate [--strict] [--format text|json] [--root <dir>]

Checks every file of the workspace and prints one line per problem:
  <file>:<line>:<col> <error|warning> <field>: <message> (fix: <how>)
Exit 0 when there is no error, 1 when there is one, 2 on a usage error.
  --strict   expired flags, and prod environments without a canary, are errors, not warnings
  --format   text (default) or json
File arguments (as lint-staged passes them) are accepted; the whole workspace is checked,
because a change to one file can break another.`,
  options: { ...ROOT_OPTION, strict: { type: 'boolean', default: false }, format: { type: 'string' } },
  allowPositionals: true,
  async run(args, io) {
    const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
    // Compiled ops-schema validators from earlier runs (not in CI): see ../schema-cache.
    const compiledSchemaCache = schemaCacheFor(io.env, (line) => io.stderr.write(`${line}\n`));
    const result = loadWorkspace(new DiskTree(workspaceRoot(args, io)), { strict: args.values.strict === true, compiledSchemaCache });
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ ok: errors === 0, errors, warnings: result.diagnostics.length - errors, diagnostics: result.diagnostics }, null, 2)}\n`);
    } else {
      // Colour only on a terminal (see colourEnabled); piped or in CI the lines are plain.
      const s = styleFor(io.stdout, io.env);
      for (const d of result.diagnostics) io.stdout.write(`${formatDiagnosticStyled(d, s)}\n`);
      const docs = result.model ? `; ${result.model.documents.length} documents for ${result.model.environments.length} environments` : '';
      const counts = summary(result.diagnostics);
      const shown = errors ? s.red(counts) : result.diagnostics.length ? s.yellow(counts) : counts;
      io.stdout.write(`dynconf validate: ${shown}${docs}\n`);
    }
    return errors === 0 ? EXIT_OK : EXIT_FAILURE;
  },
};
