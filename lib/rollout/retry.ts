/**
 * Retry with exponential backoff for the failures that pass on their own: throttling and
 * server faults. Many gates poll the same account at once, so the delay is jittered to
 * keep them from retrying in step.
 */
import { systemClock, type Clock } from './clock';
import { awsCause, classifyAwsError, describeAwsError, isRetryable } from './errors';

export interface RetryOptions {
  /**
   * Attempts in all, the first one included.
   * @default 5
   */
  readonly attempts?: number;
  /**
   * Delay before the first retry; each further retry doubles it.
   * @default 1000
   */
  readonly baseDelayMs?: number;
  /**
   * Longest delay between two attempts.
   * @default 20000
   */
  readonly maxDelayMs?: number;
  /**
   * Source of jitter in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
}

export interface RetryContext {
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** No retry is started that would sleep past this instant (ms since the epoch). */
  readonly deadline?: number;
  /** Told about each retry before its sleep, for logs. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** The delay before retry number `retry` (1-based): half fixed, half jitter. */
export function backoffDelay(retry: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 20000;
  const full = Math.min(max, base * 2 ** (retry - 1));
  return Math.round(full / 2 + (options.random ?? Math.random)() * (full / 2));
}

/**
 * Run `fn` until it succeeds, fails with an error no retry can help, or runs out of
 * attempts or time; then throw RetryGaveUp with the last error and the attempt count, for
 * the caller to turn into a message.
 */
export async function withRetry<T>(fn: () => Promise<T>, ctx: RetryContext, options: RetryOptions = {}): Promise<{ value: T; attempts: number }> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(), attempts: attempt };
    } catch (e) {
      const delayMs = backoffDelay(attempt, options);
      const outOfTime = ctx.deadline !== undefined && ctx.clock.now() + delayMs > ctx.deadline;
      if (attempt >= attempts || !isRetryable(classifyAwsError(e)) || outOfTime) throw new RetryGaveUp(e, attempt);
      ctx.onRetry?.({ attempt, delayMs, error: e });
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}

/** The last error of a call that will not be retried again, and how many attempts it took. */
export class RetryGaveUp extends Error {
  constructor(
    readonly error: unknown,
    readonly attempts: number,
  ) {
    super((error as Error)?.message ?? String(error));
    this.name = 'RetryGaveUp';
  }
}

/** What every AWS-facing part of lib/rollout takes besides its client. */
export interface AwsCallOptions {
  readonly account: string;
  readonly region: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default RetryOptions defaults: 5 attempts, 1 s doubling to 20 s */
  readonly retry?: RetryOptions;
  /** Aborts calls in flight and retry sleeps. @default - never aborted */
  readonly signal?: AbortSignal;
  /** No retry sleeps past this instant (ms since the epoch). @default - no limit */
  readonly deadline?: number;
  /** Told about each retry, for logs. @default - silent */
  readonly onRetry?: (message: string) => void;
}

/**
 * One AWS request (or a short sequence that must be retried as a whole) with retries;
 * when it gives up, the error becomes one line naming the action and its subject.
 * `describe` is read at failure time, so a sequence can say which step failed.
 */
export async function awsCall<T>(options: AwsCallOptions, describe: () => { action: string; subject: string }, fn: () => Promise<T>): Promise<T> {
  try {
    const { value } = await withRetry(
      fn,
      {
        clock: options.clock ?? systemClock,
        signal: options.signal,
        deadline: options.deadline,
        onRetry: ({ attempt, delayMs, error }) => {
          const { action, subject } = describe();
          // The cause, not just the error's class name: a DNS failure's name is plain 'Error'.
          // Where the network failed, also what to check: retrying alone may not fix it.
          const cause = awsCause(error, options.region);
          options.onRetry?.(`${action} on ${subject}: ${cause.what}${cause.network ? `: ${cause.hint}` : ''} (attempt ${attempt}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
        },
      },
      options.retry,
    );
    return value;
  } catch (e) {
    if (e instanceof RetryGaveUp) throw describeAwsError(e.error, { ...describe(), account: options.account, region: options.region }, e.attempts);
    throw e;
  }
}
