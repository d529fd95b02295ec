/**
 * Stop the rollout of an environment: StopDeployment on the latest deployment of each
 * profile that is still in progress (AppConfig rolls it back), and with `revert` also on
 * COMPLETE ones (AllowRevert: back to the previous version; AppConfig allows that for 72
 * hours after completion). Every profile is tried even when one fails: this is the
 * emergency brake, and half a stop is better than none.
 */
import type { ControlPlane } from './control-plane';
import { AppConfigError } from './errors';
import { phaseOf } from './status';
import type { RolloutTarget } from './targets';

export interface StopOutcome {
  readonly application: string;
  readonly profile: string;
  readonly deploymentNumber?: number;
  /** The state before the call. */
  readonly before?: string;
  readonly action: 'stopped' | 'reverted' | 'skipped' | 'failed';
  /** The state AppConfig answered with, after a stop. */
  readonly after?: string;
  readonly note: string;
}

export async function stopRollout(plane: ControlPlane, target: RolloutTarget, revert: boolean): Promise<StopOutcome[]> {
  const out: StopOutcome[] = [];
  for (const item of target.items) {
    const base = { application: item.application, profile: item.profile };
    try {
      const ref = await plane.resolve(item.application, target.environment, item.profile);
      const latest = (await plane.recentDeployments([ref])).get(ref.profileId)?.[0];
      if (latest?.DeploymentNumber === undefined) {
        out.push({ ...base, action: 'skipped', note: `never deployed to ${target.environment}` });
        continue;
      }
      const n = latest.DeploymentNumber;
      const phase = phaseOf(latest.State);
      const known = { ...base, deploymentNumber: n, before: latest.State };
      if (phase === 'failed') {
        out.push({ ...known, action: 'skipped', note: `already ${latest.State}` });
        continue;
      }
      if (phase === 'complete' && !revert) {
        out.push({ ...known, action: 'skipped', note: 'COMPLETE; --revert rolls it back to the previous version' });
        continue;
      }
      try {
        const answer = await plane.stop(ref, n, revert);
        const reverting = phase === 'complete';
        out.push({
          ...known,
          action: reverting ? 'reverted' : 'stopped',
          after: answer.state,
          note: reverting ? 'reverted to the previous version' : 'stopped; AppConfig rolls it back to the previous version',
        });
      } catch (e) {
        if (!(e instanceof AppConfigError) || (e.kind !== 'conflict' && e.kind !== 'bad-request')) throw e;
        out.push({ ...known, action: 'failed', note: `${e.message}; ${conflictHint(latest.State, revert)}` });
      }
    } catch (e) {
      // Without credentials or permission every other profile fails the same way: say it once.
      if (e instanceof AppConfigError && (e.kind === 'credentials' || e.kind === 'access-denied')) throw e;
      if (!(e instanceof AppConfigError)) throw e;
      out.push({ ...base, action: 'failed', note: e.message });
    }
  }
  return out;
}

function conflictHint(state: string | undefined, revert: boolean): string {
  if (state === 'COMPLETE') return 'AppConfig reverts only within 72 hours of completion; past that, revert the commit and let the pipeline deploy the previous content';
  if (!revert) return `AppConfig stops only DEPLOYING deployments without AllowRevert; this one was ${state}: run again with --revert`;
  return 'it may have finished meanwhile: run dynconf rollout status';
}
