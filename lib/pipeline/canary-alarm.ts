/**
 * When an environment's canary alarm can fire, without CDK: canary.ts builds the alarm
 * from these figures, and the plan (plan.ts, which `dynconf plan` and `diff` load without
 * aws-cdk-lib) times it beside the workload's own monitors.
 */
import type { CanaryConfig } from '../model';

/**
 * Consecutive failed runs that put the alarm in ALARM: one failed run may be a network
 * blip on the canary's side, two in a row are the service. With one run per period, the
 * alarm can fire `CANARY_FAILED_RUNS_TO_ALARM x rateMinutes` after a bad change lands.
 */
export const CANARY_FAILED_RUNS_TO_ALARM = 2;

/** Earliest minute after a bad change lands that the canary's alarm can be in ALARM: period (one run) times the runs it needs. */
export function canaryDetectionMinutes(canary: CanaryConfig): number {
  return CANARY_FAILED_RUNS_TO_ALARM * canary.rateMinutes;
}
