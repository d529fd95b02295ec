/** The `dynconf` dispatcher: parse the verb, its options, run it, map failures to exit codes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { didYouMean } from '../model/diagnostics';
import { CommandError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type Command, type CommandIO } from './command';
import type * as CommandsModule from './commands';
import type * as VerbValidate from './commands/validate';
import type * as VerbNew from './commands/new';
import type * as VerbLayout from './commands/layout';
import type * as VerbBuild from './commands/build';
import type * as VerbFlags from './commands/flags';
import type * as VerbEval from './commands/eval';
import type * as VerbManifests from './commands/manifests';
import type * as VerbDiff from './commands/diff';
import type * as VerbPlan from './commands/plan';
import type * as VerbRollout from './commands/rollout';
import type * as VerbDrift from './commands/drift';
import type * as VerbEmergency from './commands/emergency';
import type * as VerbVerify from './commands/verify';
import type * as VerbAgent from './commands/agent';
import type * as VerbBff from './commands/bff';
import type * as VerbSecrets from './commands/secrets';
import { styleFor } from './output';

export interface MainOptions {
  /** The verbs; by default every one in commands/index.ts. Tests pass verbs built with fakes. */
  readonly commands?: readonly Command[];
}

/** How a run failed, for `--format json`: what the caller did wrong, what failed, or a dynconf bug. */
export type ErrorKind = 'usage' | 'failure' | 'unexpected';

/** What `--format json` prints on stdout when a verb fails instead of printing its report. */
export interface JsonError {
  readonly error: {
    readonly command: string;
    readonly kind: ErrorKind;
    readonly message: string;
    readonly exitCode: number;
    /** Text the verb printed before it failed (e.g. the workspace's validation errors), line by line. */
    readonly details?: readonly string[];
  };
}

export async function main(argv: readonly string[], io: CommandIO, options: MainOptions = {}): Promise<number> {
  const [verb, ...rest] = argv;
  // Answered before any verb is loaded: loading them all costs most of a second.
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(`dynconf ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(overview(options.commands ?? loadCommands()));
    return verb ? EXIT_OK : EXIT_USAGE;
  }
  const command = options.commands ? options.commands.find((c) => c.name === verb) : loadVerb(verb);
  if (!command) {
    const commands = options.commands ?? loadCommands();
    const option = verb.startsWith('-');
    // -v is how node, npm and git spell it; -V is ours (commander's), --version both.
    const guess = option ? (verb === '-v' ? 'version' : suggest(verb.replace(/^-+/, ''), ['version', 'help'])) : suggest(verb, commands.map((c) => c.name));
    const message = option
      ? `unknown option '${verb}'${guess ? `; did you mean '--${guess}'?` : ''} (a command's options go after the command)`
      : `unknown command '${verb}'${guess ? `; did you mean '${guess}'?` : ''}`;
    if (wantsJson(rest)) writeJsonError(io, verb, 'usage', message, EXIT_USAGE);
    io.stderr.write(`${errorPrefix(io, 'dynconf')}${message}\n\n${overview(commands)}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage.trimEnd()}\n`);
    return EXIT_OK;
  }
  // A verb asked for JSON prints JSON, also when it fails: its report is held back until it
  // returns, so that a failure half-way does not leave text in front of the error object.
  const json = command.options.format !== undefined && wantsJson(rest);
  const held = json ? holdStdout(io) : undefined;
  const runIO = held?.io ?? io;
  const fail = (kind: ErrorKind, message: string, code: number, human: string): number => {
    if (held) writeJsonError(io, verb, kind, message, code, held.text());
    io.stderr.write(human);
    return code;
  };
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: command.allowPositionals ?? false, strict: true });
    } catch (e) {
      if (isParseArgsError(e)) throw new UsageError(parseArgsMessage(e as Error & { code: string }, command));
      throw e;
    }
    const code = await command.run(parsed, runIO);
    held?.flush();
    return code;
  } catch (e) {
    const prefix = errorPrefix(io, `dynconf ${verb}`);
    if (e instanceof UsageError) {
      return fail('usage', e.message, EXIT_USAGE, `${prefix}${e.message}\n\n${command.usage.trimEnd()}\n`);
    }
    if (e instanceof CommandError) {
      return fail('failure', e.message, EXIT_FAILURE, `${prefix}${e.message}\n`);
    }
    const err = e as Error;
    const message = `unexpected error: ${err.message}`;
    return fail('unexpected', message, EXIT_FAILURE, `${prefix}${message}\n${io.env.DYNCONF_DEBUG ? `${err.stack}\n` : 'set DYNCONF_DEBUG=1 for a stack trace\n'}`);
  }
}

function loadCommands(): readonly Command[] {
  // Loaded on demand, not imported at the top, so that --version does not pay for every verb.
  return (require('./commands') as typeof CommandsModule).COMMANDS;
}

/**
 * Each verb's module by name, loaded only when that verb runs: loading them all (the AWS SDK,
 * aws-cdk-lib, cdk8s) costs seconds, and `validate` in the pre-commit hook needs none of them.
 * In the order `--help` lists them (commands/index.ts loads them all from here); the
 * standalone build's list, scripts/build-cli.js ALL_VERBS, is checked against this one.
 */
export const VERBS: Readonly<Record<string, () => Command>> = {
  validate: () => (require('./commands/validate') as typeof VerbValidate).validateCommand,
  new: () => (require('./commands/new') as typeof VerbNew).newCommand,
  layout: () => (require('./commands/layout') as typeof VerbLayout).layoutCommand,
  build: () => (require('./commands/build') as typeof VerbBuild).buildCommand,
  flags: () => (require('./commands/flags') as typeof VerbFlags).flagsCommand,
  eval: () => (require('./commands/eval') as typeof VerbEval).evalCommand,
  manifests: () => (require('./commands/manifests') as typeof VerbManifests).manifestsCommand,
  diff: () => (require('./commands/diff') as typeof VerbDiff).diffCommand,
  plan: () => (require('./commands/plan') as typeof VerbPlan).planCommand,
  rollout: () => (require('./commands/rollout') as typeof VerbRollout).rolloutCommand,
  drift: () => (require('./commands/drift') as typeof VerbDrift).driftCommand,
  emergency: () => (require('./commands/emergency') as typeof VerbEmergency).emergencyCommand,
  verify: () => (require('./commands/verify') as typeof VerbVerify).verifyCommand,
  agent: () => (require('./commands/agent') as typeof VerbAgent).agentCommand,
  bff: () => (require('./commands/bff') as typeof VerbBff).bffCommand,
  secrets: () => (require('./commands/secrets') as typeof VerbSecrets).secretsCommand,
};

function loadVerb(name: string): Command | undefined {
  return Object.hasOwn(VERBS, name) ? VERBS[name]!() : undefined;
}

/**
 * The version, written into the compiled entry by scripts/build-cli.mjs (the standalone
 * bundle has no package.json beside it); read from package.json when run from the sources.
 */
declare const DYNCONF_BUILD_VERSION: string | undefined;

let version: string | undefined;
export function packageVersion(): string {
  if (typeof DYNCONF_BUILD_VERSION === 'string') return DYNCONF_BUILD_VERSION;
  return (version ??= (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version);
}

/** `--format json` or `--format=json` among a verb's arguments, before any `--`. */
function wantsJson(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return false;
    if (a === '--format=json' || (a === '--format' && args[i + 1] === 'json')) return true;
  }
  return false;
}

function writeJsonError(io: CommandIO, command: string, kind: ErrorKind, message: string, exitCode: number, before = ''): void {
  const details = before.split('\n').filter((l) => l.trim() !== '');
  const body: JsonError = { error: { command, kind, message, exitCode, ...(details.length ? { details } : {}) } };
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

/** Stdout held back until the verb returns; `isTTY` is false, as for any stream that is not a terminal. */
function holdStdout(io: CommandIO): { io: CommandIO; text: () => string; flush: () => void } {
  const chunks: string[] = [];
  const stdout = {
    isTTY: false,
    write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    },
  } as unknown as CommandIO['stdout'];
  const take = () => chunks.splice(0).join('');
  return {
    io: { ...io, stdout },
    text: take,
    flush: () => {
      const t = take();
      if (t) io.stdout.write(t);
    },
  };
}

function errorPrefix(io: CommandIO, who: string): string {
  return styleFor(io.stderr, io.env).red(`${who}: `);
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS');
}

/** node:util's message, shortened, with a did-you-mean for an unknown option. */
function parseArgsMessage(e: Error & { code: string }, command: Command): string {
  if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return e.message;
  const written = /Unknown option '([^']+)'/.exec(e.message)?.[1] ?? '';
  const known = Object.entries(command.options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
  const name = written.replace(/^-+/, '').split('=')[0]!;
  const guess = suggest(name, Object.keys(command.options));
  const list = known.filter((k) => k.startsWith('--')).join(', ');
  return `unknown option '${written}'${guess ? `; did you mean '--${guess}'?` : ''} (${command.name} takes ${list || 'no options'})`;
}

/**
 * The known name meant by a mistyped one: the closest by edit distance, or one that the
 * written name starts with or abbreviates (`--environment` for --env, `roll` for rollout).
 */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const close = didYouMean(lower, known);
  if (close) return close;
  if (lower.length < 3) return undefined;
  return known.find((k) => lower.startsWith(k) || k.startsWith(lower));
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: dynconf <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'dynconf <command> --help' for its options, 'dynconf --version' for the version.",
    '',
  ].join('\n');
}
