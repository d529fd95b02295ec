import { ControlPlane } from '../../lib/rollout/control-plane';
import { rolloutTarget, type RolloutTarget } from '../../lib/rollout/targets';
import { waitForRollout, type WaitOptions, type WaitSnapshot } from '../../lib/rollout/wait';
import { event, noCredentials, sampleModel, throttling, type FakeDeployment, freshFakesPerTest } from './fake-appconfig';

const MINUTE = 60_000;
const aws = freshFakesPerTest();

function target(app = 'payment-service-v2'): RolloutTarget {
  return rolloutTarget(sampleModel(), 'prod-01', { application: app });
}

function wait(t: RolloutTarget, extra: Partial<WaitOptions> = {}) {
  const plane = new ControlPlane({ client: aws.client, account: t.account, region: t.region, clock: aws.clock, retry: { random: () => 0.5, attempts: 2 } });
  return waitForRollout({ plane, target: t, clock: aws.clock, timeoutMs: 60 * MINUTE, intervalMs: 15_000, ...extra });
}

/** Play a rollout forward one poll at a time: step n runs after the n-th sleep. */
function script(steps: ((d: FakeDeployment[]) => void)[], deployments: FakeDeployment[]): void {
  aws.clock.onSleep = (n) => steps[n - 1]?.(deployments);
}

test('COMPLETE everywhere with the compiled bytes: done at the first poll, no sleeping', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'COMPLETE');
  const result = await wait(t);
  expect(result.outcome).toBe('complete');
  expect(result.items.map((s) => [s.profile, s.state, s.contentMatches])).toEqual([
    ['flags', 'COMPLETE', true],
    ['ops', 'COMPLETE', true],
  ]);
  expect(aws.clock.sleeps).toEqual([]);
});

test('waits through DEPLOYING and BAKING, polling at the interval, and reports progress', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'DEPLOYING');
  script(
    [
      (d) => Object.assign(d[0]!, { percentage: 60 }),
      (d) => Object.assign(d[0]!, { state: 'BAKING', percentage: 100 }),
      (d) => {
        Object.assign(d[0]!, { state: 'COMPLETE' });
        Object.assign(d[1]!, { state: 'COMPLETE', percentage: 100 });
      },
    ],
    ds,
  );
  const seen: string[] = [];
  const result = await wait(t, { onPoll: (s: WaitSnapshot) => seen.push(s.items.map((i) => `${i.profile}:${i.state}:${i.percentage}`).join(' ')) });
  expect(result.outcome).toBe('complete');
  expect(seen).toEqual([
    'flags:DEPLOYING:20 ops:DEPLOYING:20',
    'flags:DEPLOYING:60 ops:DEPLOYING:20',
    'flags:BAKING:100 ops:DEPLOYING:20',
    'flags:COMPLETE:100 ops:COMPLETE:100',
  ]);
  expect(aws.clock.sleeps).toEqual([15_000, 15_000, 15_000]);
  expect(result.elapsedMs).toBe(45_000);
});

test('a profile already COMPLETE is not asked about again', async () => {
  const t = target();
  const [flags, ops] = aws.fake.deployTarget(t, 'COMPLETE');
  Object.assign(ops!, { state: 'DEPLOYING', percentage: 20 });
  script([(d) => Object.assign(d[1]!, { state: 'COMPLETE', percentage: 100 })], [flags!, ops!]);
  await expect(wait(t)).resolves.toMatchObject({ outcome: 'complete' });
  // flags once, ops twice.
  expect(aws.fake.calls('GetDeployment')).toBe(3);
});

test('rolled back by an alarm: fails at once and names the alarm', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'DEPLOYING');
  script(
    [
      (d) => {
        d[0]!.state = 'ROLLED_BACK';
        d[0]!.events.push(
          event('ROLLBACK_STARTED', 'CLOUDWATCH_ALARM', 'Rollback initiated by alarm arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-api-5xx', 4),
          event('ROLLBACK_COMPLETED', 'APPCONFIG', 'Rollback completed', 5),
        );
      },
    ],
    ds,
  );
  const result = await wait(t);
  expect(result.outcome).toBe('failed');
  expect(result.problems).toEqual([
    'payment-service-v2/flags: deployment #1 was rolled back (ROLLBACK_STARTED by CLOUDWATCH_ALARM: Rollback initiated by alarm arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-api-5xx)',
  ]);
  expect(aws.clock.sleeps).toHaveLength(1);
});

test('ROLLING_BACK already fails the gate: the outcome is decided', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'DEPLOYING');
  ds[1]!.state = 'ROLLING_BACK';
  const result = await wait(t);
  expect(result.outcome).toBe('failed');
  expect(result.problems).toEqual(['payment-service-v2/ops: deployment #2 is rolling back']);
});

test('reverted by a user: fails', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'COMPLETE');
  ds[0]!.state = 'REVERTED';
  ds[0]!.events.push(event('ROLLBACK_STARTED', 'USER', 'Revert requested', 30), event('REVERT_COMPLETED', 'USER', 'Revert completed', 31));
  const result = await wait(t);
  expect(result.outcome).toBe('failed');
  expect(result.problems).toEqual(['payment-service-v2/flags: deployment #1 was reverted (ROLLBACK_STARTED by USER: Revert requested)']);
});

test('COMPLETE with other bytes than this run compiled: fails, naming both fingerprints', async () => {
  const t = target();
  aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', t.items[0]!.content, 'COMPLETE');
  aws.fake.deploy('payment-service-v2', 'prod-01', 'ops', '{"edited":"in the console"}', 'COMPLETE');
  const result = await wait(t);
  expect(result.outcome).toBe('failed');
  expect(result.problems).toHaveLength(1);
  expect(result.problems[0]).toMatch(
    /^payment-service-v2\/ops: the latest deployment #2 \(COMPLETE\) carries version 1 \(sha256 [0-9a-f]{12}\), not the content this run compiled \(sha256 [0-9a-f]{12}\); .*dynconf drift --env prod-01/,
  );
});

test('a profile never deployed fails instead of waiting for nothing', async () => {
  const t = target();
  aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', t.items[0]!.content, 'COMPLETE');
  aws.fake.profile('payment-service-v2', 'ops');
  const result = await wait(t);
  expect(result.outcome).toBe('failed');
  expect(result.problems).toEqual(['payment-service-v2/ops: never deployed to prod-01; deploy its stage first']);
});

test('timeout: stops at the deadline, listing what is still pending', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'COMPLETE');
  Object.assign(ds[1]!, { state: 'BAKING', percentage: 100 });
  const result = await wait(t, { timeoutMs: MINUTE, intervalMs: 25_000 });
  expect(result.outcome).toBe('timeout');
  expect(result.problems).toEqual(['payment-service-v2/ops: deployment #2 still BAKING at 100%']);
  // 25 + 25 + the 10 s left, then one last poll at the deadline.
  expect(aws.clock.sleeps).toEqual([25_000, 25_000, 10_000]);
  expect(result.elapsedMs).toBe(MINUTE);
});

test('throttling costs a poll, not the gate', async () => {
  const t = target();
  const ds = aws.fake.deployTarget(t, 'DEPLOYING');
  aws.fake.fail('ListDeployments', throttling(), throttling());
  script([(d) => d.forEach((x) => Object.assign(x, { state: 'COMPLETE', percentage: 100 }))], ds);
  const notices: string[] = [];
  const result = await wait(t, { onNotice: (m) => notices.push(m) });
  expect(result.outcome).toBe('complete');
  expect(notices).toHaveLength(1);
  expect(notices[0]).toMatch(/^poll failed; polling again: AppConfig throttled ListDeployments on deployments of payment-service-v2\/prod-01 .* after 2 attempts/);
});

test('throttled until the deadline: a timeout that says the last poll failed', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'DEPLOYING');
  aws.fake.fail('ListDeployments', ...Array.from({ length: 50 }, throttling));
  const result = await wait(t, { timeoutMs: MINUTE });
  expect(result.outcome).toBe('timeout');
  expect(result.problems.at(-1)).toMatch(/^the last poll failed: AppConfig throttled ListDeployments/);
});

test('no credentials: ends the wait at once with the reason', async () => {
  const t = target();
  aws.fake.fail('ListApplications', noCredentials());
  await expect(wait(t)).rejects.toMatchObject({ kind: 'credentials' });
  expect(aws.clock.sleeps).toEqual([]);
});

test('the application missing in AppConfig ends the wait at once', async () => {
  await expect(wait(target())).rejects.toMatchObject({ kind: 'not-found', message: expect.stringContaining("no AppConfig application 'payment-service-v2'") });
});

test('an abort (SIGINT) ends the wait as interrupted', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'DEPLOYING');
  const controller = new AbortController();
  aws.clock.onSleep = () => controller.abort();
  const result = await wait(t, { signal: controller.signal });
  expect(result.outcome).toBe('interrupted');
});

test('a whole environment: every application and profile of the sample', async () => {
  const t = rolloutTarget(sampleModel(), 'prod-01');
  aws.fake.deployTarget(t, 'COMPLETE');
  const result = await wait(t);
  expect(result.outcome).toBe('complete');
  expect(result.items.map((s) => `${s.application}/${s.profile}`)).toEqual(t.items.map((i) => `${i.application}/${i.profile}`));
  expect(result.items).toHaveLength(9);
});
