/** The `dynconf` dispatcher: parse the verb, its options, run it, map failures to exit codes. */
import { parseArgs } from 'node:util';
import { COMMANDS } from './commands';
import { CommandError, EXIT_FAILURE, EXIT_USAGE, UsageError, type CommandIO } from './command';

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(overview());
    return verb ? 0 : EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (!command) {
    io.stderr.write(`dynconf: unknown command '${verb}'\n\n${overview()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    const parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: command.allowPositionals ?? false, strict: true });
    return await command.run(parsed, io);
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      io.stderr.write(`dynconf ${verb}: ${(e as Error).message}\n\n${command.usage.trimEnd()}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CommandError) {
      io.stderr.write(`dynconf ${verb}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    const err = e as Error;
    io.stderr.write(`dynconf ${verb}: unexpected error: ${err.message}\n${io.env.DYNCONF_DEBUG ? `${err.stack}\n` : 'set DYNCONF_DEBUG=1 for a stack trace\n'}`);
    return EXIT_FAILURE;
  }
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS');
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: dynconf <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'dynconf <command> --help' for its options.",
    '',
  ].join('\n');
}
