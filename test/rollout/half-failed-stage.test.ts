/**
 * A stage that fails half-way: CloudFormation deploys an application's flags (AppConfig
 * takes the deployment to COMPLETE), then its ops deployment is rolled back by an alarm,
 * so that AWS::AppConfig::Deployment fails and CloudFormation rolls the stack back to the
 * previous commit's template. AppConfig has no API that undoes a COMPLETE deployment except StopDeployment
 * with AllowRevert, so whatever the stack rollback does to its resources, AppConfig keeps
 * serving the new flags: it is ahead of the stack. These tests pin down what dynconf
 * reports then, and what the next pipeline run does (see the README, "When a stage fails
 * half-way").
 */
import { ControlPlane } from '../../lib/rollout/control-plane';
import { detectDrift } from '../../lib/rollout/drift';
import { failureOf, inspect, resolveItems } from '../../lib/rollout/status';
import { fingerprint, rolloutTarget, type RolloutTarget } from '../../lib/rollout/targets';
import { waitForRollout } from '../../lib/rollout/wait';
import { event, freshFakesPerTest, sampleModel } from './fake-appconfig';

const aws = freshFakesPerTest();
const APP = 'payment-service-v2';
const ENV = 'prod-01';

function plane(t: RolloutTarget): ControlPlane {
  return new ControlPlane({ client: aws.client, account: t.account, region: t.region, clock: aws.clock, retry: { random: () => 0.5, attempts: 2 } });
}

/** The same target with other bytes for some profiles: what another commit compiles. */
function withContent(t: RolloutTarget, content: Partial<Record<'flags' | 'ops', string>>): RolloutTarget {
  return { ...t, items: t.items.map((i) => ({ ...i, content: content[i.profile as 'flags' | 'ops'] ?? i.content })) };
}

/** A commit's document that differs from `content` in one top-level field. */
function changed(content: string, field: string, value: unknown): string {
  return JSON.stringify({ ...(JSON.parse(content) as object), [field]: value });
}

/**
 * Commit N-1 is live everywhere; commit N's flags COMPLETE, then its ops deployment is
 * rolled back by prod-01's alarm. Returns the targets of both commits.
 */
function halfFailedStage(): { before: RolloutTarget; failed: RolloutTarget } {
  const failed = rolloutTarget(sampleModel(), ENV, { application: APP });
  const [flagsN, opsN] = failed.items.map((i) => i.content) as [string, string];
  const before = withContent(failed, { flags: changed(flagsN, 'commit', 'N-1'), ops: changed(opsN, 'commit', 'N-1') });
  aws.fake.deployTarget(before, 'COMPLETE'); // #1 flags, #2 ops
  aws.fake.deploy(APP, ENV, 'flags', flagsN, 'COMPLETE'); // #3
  const ops = aws.fake.deploy(APP, ENV, 'ops', opsN, 'ROLLED_BACK', 40); // #4
  ops.events.push(
    event('ROLLBACK_STARTED', 'CLOUDWATCH_ALARM', 'Alarm g360-prod-01-api-5xx went into ALARM', 12),
    event('ROLLBACK_COMPLETED', 'APPCONFIG', 'Rollback completed', 13),
  );
  return { before, failed };
}

test('the failed run: status shows flags COMPLETE with its bytes and ops ROLLED_BACK, and status and the gate name the alarm', async () => {
  const { failed } = halfFailedStage();
  const p = plane(failed);
  const items = await inspect(p, failed, await resolveItems(p, failed));
  expect(items.map((s) => [s.profile, s.state, s.deploymentNumber, s.contentMatches])).toEqual([
    ['flags', 'COMPLETE', 3, true],
    ['ops', 'ROLLED_BACK', 4, true],
  ]);
  expect(failureOf(items[0]!, ENV)).toBeUndefined();
  expect(failureOf(items[1]!, ENV)).toBe(`${APP}/ops: deployment #4 was rolled back (ROLLBACK_STARTED by CLOUDWATCH_ALARM: Alarm g360-prod-01-api-5xx went into ALARM)`);

  const gate = await waitForRollout({ plane: p, target: failed, clock: aws.clock, timeoutMs: 60 * 60_000, intervalMs: 15_000 });
  expect(gate.outcome).toBe('failed');
  expect(gate.problems).toEqual([`${APP}/ops: deployment #4 was rolled back (ROLLBACK_STARTED by CLOUDWATCH_ALARM: Alarm g360-prod-01-api-5xx went into ALARM)`]);
});

test('drift from the failed commit: flags in sync (AppConfig ahead of the rolled-back stack), ops still on N-1 with the rolled-back deployment noted', async () => {
  const { failed } = halfFailedStage();
  const r = await detectDrift(plane(failed), failed);
  expect(r.items.map((i) => [i.profile, i.status, i.deploymentNumber, i.newer])).toEqual([
    ['flags', 'in-sync', 3, undefined],
    ['ops', 'drifted', 2, { deploymentNumber: 4, state: 'ROLLED_BACK' }],
  ]);
  expect(r.items[1]!.differences).toEqual([{ path: 'commit', kind: 'added', detail: 'added: "N-1"' }]);
});

test('drift from the previous commit (what the rolled-back stack holds): flags drifted to N, ops in sync', async () => {
  const { before } = halfFailedStage();
  const r = await detectDrift(plane(before), before);
  expect(r.items.map((i) => [i.profile, i.status, i.deploymentNumber])).toEqual([
    ['flags', 'drifted', 3],
    ['ops', 'in-sync', 2],
  ]);
  expect(r.items[0]!.differences).toEqual([{ path: 'commit', kind: 'removed', detail: 'removed (was "N-1")' }]);
  expect(r.drifted).toBe(1);
});

test('the next run fixes forward: CloudFormation redeploys both profiles, the gate passes and nothing drifts', async () => {
  const { failed } = halfFailedStage();
  // The rolled-back stack's template holds N-1's bytes, so a fix of ops that keeps N's flags
  // changes both profiles in the template: CloudFormation deploys the flags again (the same
  // bytes AppConfig already serves), then the fixed ops.
  const fixed = withContent(failed, { ops: changed(failed.items[1]!.content, 'fixed', true) });
  aws.fake.deployTarget(fixed, 'COMPLETE'); // #5 flags, #6 ops
  const p = plane(fixed);
  const gate = await waitForRollout({ plane: p, target: fixed, clock: aws.clock, timeoutMs: 60 * 60_000, intervalMs: 15_000 });
  expect(gate.outcome).toBe('complete');
  const r = await detectDrift(p, fixed);
  expect(r.items.map((i) => [i.profile, i.status, i.deploymentNumber])).toEqual([
    ['flags', 'in-sync', 5],
    ['ops', 'in-sync', 6],
  ]);
});

test('a revert of the failed commit does not converge: CloudFormation sees no change to flags, and the gate says why and what to do', async () => {
  const { before } = halfFailedStage();
  // The revert compiles N-1, which is what the rolled-back stack already holds: no new
  // hosted version, no deployment. AppConfig keeps serving N's flags.
  const p = plane(before);
  const items = await inspect(p, before, await resolveItems(p, before));
  expect(items.map((s) => [s.profile, s.state, s.contentMatches])).toEqual([
    ['flags', 'COMPLETE', false],
    ['ops', 'ROLLED_BACK', false],
  ]);
  const flags = failureOf(items[0]!, ENV)!;
  expect(flags).toContain(`${APP}/flags: the latest deployment #3 (COMPLETE) carries version 2`);
  expect(flags).toContain("AppConfig serves bytes this stack's template does not hold");
  expect(flags).toContain('the next run will not fix it');
  expect(flags).toContain(`hosted version whose description contains 'sha256 ${fingerprint(before.items[0]!.content)}'`);
  expect(flags).toContain(`'dynconf drift --env ${ENV}'`);

  const gate = await waitForRollout({ plane: p, target: before, clock: aws.clock, timeoutMs: 60 * 60_000, intervalMs: 15_000 });
  expect(gate.outcome).toBe('failed');

  // Deploying N-1's hosted version by hand (what the message says) converges it.
  aws.fake.deployTarget(before, 'COMPLETE');
  expect((await waitForRollout({ plane: p, target: before, clock: aws.clock, timeoutMs: 60 * 60_000, intervalMs: 15_000 })).outcome).toBe('complete');
});
