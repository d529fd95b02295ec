import { ControlPlane } from '../../lib/rollout/control-plane';
import { failureOf, inspect, phaseOf, resolveItems } from '../../lib/rollout/status';
import { stopRollout } from '../../lib/rollout/stop';
import { rolloutTarget, TargetError, type RolloutTarget } from '../../lib/rollout/targets';
import { awsError, event, noCredentials, sampleModel, freshFakesPerTest } from './fake-appconfig';

const aws = freshFakesPerTest();

function plane(t: RolloutTarget): ControlPlane {
  return new ControlPlane({ client: aws.client, account: t.account, region: t.region, clock: aws.clock, retry: { random: () => 0.5 } });
}

const target = (app = 'payment-service-v2') => rolloutTarget(sampleModel(), 'prod-01', { application: app });

describe('rolloutTarget', () => {
  test('an environment: where it lives and every profile of every application', () => {
    const t = rolloutTarget(sampleModel(), 'gamma');
    expect([t.account, t.region]).toEqual(['222222222222', 'us-west-2']);
    expect(t.items.map((i) => `${i.application}/${i.profile}`)).toEqual([
      'search-service-net/flags',
      'search-service-net/ops',
      'payment-service-v2/flags',
      'payment-service-v2/ops',
      'sso-service/flags',
      'sso-service/ops',
      'groupsync-v3/flags',
      'groupsync-v3/ops',
      'groupsync-v3/browser',
    ]);
  });

  test('--profile browser picks the one application that has it', () => {
    expect(rolloutTarget(sampleModel(), 'beta', { profile: 'browser' }).items.map((i) => i.application)).toEqual(['groupsync-v3']);
  });

  test.each<[{ env: string; app?: string; profile?: string }, string]>([
    [{ env: 'prod-1' }, "unknown environment 'prod-1' (did you mean 'prod-01'?)"],
    [{ env: 'prod-01', app: 'payments' }, "unknown application 'payments'"],
    [{ env: 'prod-01', profile: 'flag' }, "unknown profile 'flag' (did you mean 'flags'?); profiles are flags, ops, browser"],
    [{ env: 'prod-01', app: 'sso-service', profile: 'browser' }, "application 'sso-service' has profile 'browser' in prod-01; its profiles are flags, ops"],
  ])('%j is refused: %s', (sel, message) => {
    const run = () => rolloutTarget(sampleModel(), sel.env, { application: sel.app, profile: sel.profile });
    expect(run).toThrow(TargetError);
    expect(run).toThrow(message);
  });
});

describe('inspect (rollout status)', () => {
  test('state, percentage, version, events oldest first, and whether the bytes match', async () => {
    const t = target();
    const [flags, ops] = aws.fake.deployTarget(t, 'DEPLOYING');
    flags!.events.push(event('PERCENTAGE_UPDATED', 'APPCONFIG', 'Deployment percentage updated to 40', 6));
    ops!.state = 'COMPLETE';
    aws.fake.deploy('payment-service-v2', 'prod-01', 'ops', '{"other":true}', 'COMPLETE');
    const p = plane(t);
    const items = await inspect(p, t, await resolveItems(p, t));
    expect(items[0]).toMatchObject({ profile: 'flags', phase: 'in-progress', deploymentNumber: 1, state: 'DEPLOYING', percentage: 20, configurationVersion: '1', contentMatches: true });
    expect(items[0]!.events.map((e) => e.type)).toEqual(['DEPLOYMENT_STARTED', 'PERCENTAGE_UPDATED']);
    expect(items[1]).toMatchObject({ profile: 'ops', phase: 'complete', deploymentNumber: 3, configurationVersion: '2', contentMatches: false });
    expect(items[1]!.deployedFingerprint).not.toBe(items[1]!.compiledFingerprint);
  });

  test('phases: what a gate makes of each AppConfig state', () => {
    expect(['COMPLETE', 'DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK', 'ROLLED_BACK', 'REVERTED', undefined, 'PAUSED'].map(phaseOf)).toEqual([
      'complete',
      'in-progress',
      'in-progress',
      'in-progress',
      'failed',
      'failed',
      'failed',
      'none',
      'in-progress',
    ]);
  });

  test('an in-progress deployment of the right bytes is not a failure yet', () => {
    expect(failureOf({ application: 'a', profile: 'flags', phase: 'in-progress', state: 'BAKING', events: [], contentMatches: true, compiledFingerprint: 'x' }, 'prod-01')).toBeUndefined();
  });
});

describe('stopRollout', () => {
  test('stops what is in progress; AppConfig rolls it back', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'DEPLOYING');
    const out = await stopRollout(plane(t), t, false);
    expect(out.map((o) => [o.profile, o.action, o.before, o.after])).toEqual([
      ['flags', 'stopped', 'DEPLOYING', 'ROLLED_BACK'],
      ['ops', 'stopped', 'DEPLOYING', 'ROLLED_BACK'],
    ]);
    expect(aws.fake.stopCalls()).toEqual([
      expect.objectContaining({ DeploymentNumber: 1, AllowRevert: false }),
      expect.objectContaining({ DeploymentNumber: 2, AllowRevert: false }),
    ]);
  });

  test('leaves COMPLETE deployments alone without --revert, and says how to revert', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'COMPLETE');
    const out = await stopRollout(plane(t), t, false);
    expect(out.map((o) => [o.action, o.note])).toEqual([
      ['skipped', 'COMPLETE; --revert rolls it back to the previous version'],
      ['skipped', 'COMPLETE; --revert rolls it back to the previous version'],
    ]);
    expect(aws.fake.stopCalls()).toEqual([]);
  });

  test('--revert reverts COMPLETE deployments with AllowRevert', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'COMPLETE');
    const out = await stopRollout(plane(t), t, true);
    expect(out.map((o) => [o.action, o.after])).toEqual([
      ['reverted', 'REVERTED'],
      ['reverted', 'REVERTED'],
    ]);
    expect(aws.fake.stopCalls().map((c) => c.AllowRevert)).toEqual([true, true]);
  });

  test('skips what is already rolled back and what was never deployed', async () => {
    const t = target();
    aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', '{}', 'ROLLED_BACK');
    aws.fake.profile('payment-service-v2', 'ops');
    const out = await stopRollout(plane(t), t, true);
    expect(out.map((o) => [o.profile, o.action, o.note])).toEqual([
      ['flags', 'skipped', 'already ROLLED_BACK'],
      ['ops', 'skipped', 'never deployed to prod-01'],
    ]);
  });

  test('a conflict fails that profile with a hint and goes on with the next', async () => {
    const t = target();
    const [flags] = aws.fake.deployTarget(t, 'DEPLOYING');
    flags!.state = 'BAKING';
    const out = await stopRollout(plane(t), t, false);
    expect(out[0]).toMatchObject({ profile: 'flags', action: 'failed' });
    expect(out[0]!.note).toMatch(/conflicts with its current state .*AppConfig stops only DEPLOYING deployments without AllowRevert; this one was BAKING: run again with --revert$/);
    expect(out[1]).toMatchObject({ profile: 'ops', action: 'stopped' });
  });

  test('a revert past 72 hours explains what to do instead', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'COMPLETE');
    aws.fake.fail('StopDeployment', awsError('ConflictException', 'Deployment can no longer be reverted', 409));
    const out = await stopRollout(plane(t), t, true);
    expect(out[0]!.action).toBe('failed');
    expect(out[0]!.note).toMatch(/72 hours .*revert the commit/);
    expect(out[1]!.action).toBe('reverted');
  });

  test('no credentials: one error, not one per profile', async () => {
    const t = target();
    aws.fake.fail('ListApplications', noCredentials());
    await expect(stopRollout(plane(t), t, false)).rejects.toMatchObject({ kind: 'credentials' });
  });
});
