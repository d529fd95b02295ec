/**
 * The shape of a `dynconf` verb. Each verb lives in commands/<verb>.ts and is listed in
 * commands/index.ts; main.ts knows nothing else about them.
 */
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandIO {
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM; long-running verbs (agent, bff, rollout wait) stop on it. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** One line for `dynconf --help`. */
  readonly summary: string;
  /** Usage text for `dynconf <verb> --help` and usage errors. */
  readonly usage: string;
  readonly options: OptionSpec;
  readonly allowPositionals?: boolean;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Exit codes: 0 success, 1 the checked thing is bad (validation, rollback, drift), 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends Error {}

/** A failure to report in one line without a stack trace, exit 1. */
export class CommandError extends Error {}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} takes a value`);
  return v;
}

export function requiredOption(args: ParsedArgs, name: string): string {
  const v = stringOption(args, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const v = stringOption(args, name) ?? fallback;
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got '${v}')`);
  return v as T;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, range: { min: number; max: number; integer?: boolean }): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < range.min || n > range.max || (range.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a ${range.integer ? 'whole number' : 'number'} from ${range.min} to ${range.max} (got '${raw}')`);
  }
  return n;
}
