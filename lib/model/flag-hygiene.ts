/**
 * Flag hygiene: which flags are past their `expires`, which will be soon, which have no
 * `expires` at all, and which have the same value in every environment (a flag that no longer
 * varies is a constant behind an `if`). What `dynconf flags --stale` reports.
 */
import { canonicalJson } from './canonical';
import type { FlagMatrix, FlagState } from './flag-matrix';
import { addDays, daysBetween } from './flags';

/**
 * `--stale` looks 30 days ahead by default: validate already warns 14 days before expiry
 * (EXPIRY_WARNING_DAYS) on every run, and a report is for planning, so it names flags early
 * enough to schedule their removal a sprint or two before that warning starts.
 */
export const DEFAULT_STALE_WITHIN_DAYS = 30;

export interface StaleFlag {
  readonly application: string;
  readonly key: string;
  readonly name: string;
}

export interface DatedFlag extends StaleFlag {
  readonly expires: string;
  /** Days from the report's date to `expires`: negative when past it, 0 on the day. */
  readonly days: number;
}

export interface UniformFlag extends StaleFlag {
  /** The value every environment has. */
  readonly state: FlagState;
}

export interface StaleReport {
  /** YYYY-MM-DD the report is made for. */
  readonly asOf: string;
  readonly withinDays: number;
  /** The environments compared for `sameEverywhere`. */
  readonly environments: readonly string[];
  /** Past `expires` (the day after it and later), oldest first. */
  readonly expired: readonly DatedFlag[];
  /** `expires` from asOf to asOf + withinDays, soonest first. */
  readonly expiringSoon: readonly DatedFlag[];
  readonly noExpiry: readonly StaleFlag[];
  /** Empty with fewer than two environments, where "the same everywhere" says nothing. */
  readonly sameEverywhere: readonly UniformFlag[];
}

export interface StaleOptions {
  /** YYYY-MM-DD. */
  readonly today: string;
  readonly withinDays: number;
}

/** The hygiene report over a matrix that holds every environment the flags are deployed to. */
export function staleFlags(matrix: FlagMatrix, opts: StaleOptions): StaleReport {
  const until = addDays(opts.today, opts.withinDays);
  const expired: DatedFlag[] = [];
  const expiringSoon: DatedFlag[] = [];
  const noExpiry: StaleFlag[] = [];
  const sameEverywhere: UniformFlag[] = [];
  for (const app of matrix.applications) {
    for (const flag of app.flags) {
      const base: StaleFlag = { application: app.name, key: flag.key, name: flag.name };
      // Same comparison as validate's flags/expired: past the day, not on it.
      if (!flag.expires) noExpiry.push(base);
      else if (flag.expires < opts.today) expired.push({ ...base, expires: flag.expires, days: daysBetween(opts.today, flag.expires) });
      else if (flag.expires <= until) expiringSoon.push({ ...base, expires: flag.expires, days: daysBetween(opts.today, flag.expires) });
      if (matrix.environments.length >= 2) {
        const states = matrix.environments.map((env) => flag.environments[env]!);
        const first = canonicalJson(states[0]);
        if (states.every((s) => canonicalJson(s) === first)) sameEverywhere.push({ ...base, state: states[0]! });
      }
    }
  }
  const byDate = (a: DatedFlag, b: DatedFlag) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0);
  return { asOf: opts.today, withinDays: opts.withinDays, environments: matrix.environments, expired: expired.sort(byDate), expiringSoon: expiringSoon.sort(byDate), noExpiry, sameEverywhere };
}
