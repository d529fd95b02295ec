/**
 * The `rollout` and `drift` verbs end to end through `main`, against the mocked SDK:
 * output, exit codes, and AWS errors as one line. The default commands build a real
 * AppConfigClient; aws-sdk-client-mock stubs every client's send, so nothing leaves the
 * process. Waits that must sleep use the injectable clock instead.
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { parseArgs } from 'node:util';
import { main } from '../../lib/cli/main';
import { makeRolloutCommand } from '../../lib/cli/commands/rollout';
import { rolloutTarget } from '../../lib/rollout/targets';
import { captureIO, REPO_ROOT } from '../support/workspace';
import { event, FakeAppConfig, FakeClock, noCredentials, sampleModel } from './fake-appconfig';

let fake: FakeAppConfig;
beforeEach(() => {
  fake = new FakeAppConfig();
});
afterEach(() => fake.restore());

const payments = () => rolloutTarget(sampleModel(), 'prod-01', { application: 'payment-service-v2' });

async function dynconf(...argv: string[]) {
  const c = captureIO(REPO_ROOT);
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('dynconf rollout status', () => {
  test('state, percentage, events and content per profile; exit 0', async () => {
    const [flags] = fake.deployTarget(payments(), 'DEPLOYING');
    flags!.events.push(event('PERCENTAGE_UPDATED', 'APPCONFIG', 'Deployment percentage updated to 40', 6));
    flags!.percentage = 40;
    const r = await dynconf('rollout', 'status', '--env', 'prod-01', '--app', 'payment-service-v2');
    expect(r.code).toBe(0);
    expect(r.out).toContain('prod-01 in account 333333333333 region us-east-1');
    expect(r.out).toMatch(/^ {2}payment-service-v2\/flags {2}#1 DEPLOYING 40% {2}version 1 {2}carries what this checkout compiles$/m);
    expect(r.out).toContain('      2026-01-15T10:06:00.000Z PERCENTAGE_UPDATED by APPCONFIG: Deployment percentage updated to 40');
    expect(r.out).toContain('0 complete, 2 in progress, 0 rolled back or reverted, 0 never deployed; 0 with other content than this checkout');
  });

  test('--format json for scripts', async () => {
    fake.deployTarget(payments(), 'COMPLETE');
    const r = await dynconf('rollout', 'status', '--env', 'prod-01', '--app', 'payment-service-v2', '--profile', 'ops', '--format', 'json');
    expect(JSON.parse(r.out)).toMatchObject({ environment: 'prod-01', items: [{ application: 'payment-service-v2', profile: 'ops', state: 'COMPLETE', contentMatches: true }] });
  });

  test('no credentials: one line naming the account, exit 1', async () => {
    fake.fail('ListApplications', noCredentials());
    const r = await dynconf('rollout', 'status', '--env', 'prod-01');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^dynconf rollout: no usable AWS credentials for account 333333333333 region us-east-1 \(CredentialsProviderError/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('dynconf rollout wait', () => {
  test('exit 0 when everything is COMPLETE with the compiled content', async () => {
    fake.deployTarget(rolloutTarget(sampleModel(), 'gamma'), 'COMPLETE');
    const r = await dynconf('rollout', 'wait', '--env', 'gamma');
    expect(r.code).toBe(0);
    expect(r.out).toContain('dynconf rollout wait: gamma: all 9 profiles COMPLETE with the content this run compiled (0 min)');
  });

  test('exit 1 on a rollback, with the reason', async () => {
    const [flags] = fake.deployTarget(payments(), 'COMPLETE');
    flags!.state = 'ROLLED_BACK';
    flags!.events.push(event('ROLLBACK_STARTED', 'CLOUDWATCH_ALARM', 'Alarm g360-prod-01-api-5xx', 3));
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--app', 'payment-service-v2');
    expect(r.code).toBe(1);
    expect(r.err).toContain('dynconf rollout wait: prod-01: the rollout failed after 0 min:\n  payment-service-v2/flags: deployment #1 was rolled back (ROLLBACK_STARTED by CLOUDWATCH_ALARM: Alarm g360-prod-01-api-5xx)');
  });

  test('exit 1 on timeout, saying what is pending and how to follow or stop it; plain lines in CI', async () => {
    const clock = new FakeClock();
    const [, ops] = fake.deployTarget(payments(), 'COMPLETE');
    Object.assign(ops!, { state: 'BAKING', percentage: 100 });
    const command = makeRolloutCommand({ clock, client: (region) => new AppConfigClient({ region }) });
    const c = captureIO(REPO_ROOT);
    const args = parseArgs({ args: ['wait', '--env', 'prod-01', '--app', 'payment-service-v2', '--timeout', '2', '--interval', '30'], options: command.options, allowPositionals: true });
    expect(await command.run(args, c.io)).toBe(1);
    expect(clock.sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
    expect(c.out()).toContain('2026-01-15T10:00:00.000Z prod-01 payment-service-v2/ops BAKING 100% #2');
    expect(c.err()).toBe(
      [
        'dynconf rollout wait: prod-01: timed out after 2 min; still pending:',
        '  payment-service-v2/ops: deployment #2 still BAKING at 100%',
        "the rollout goes on in AppConfig: follow it with 'dynconf rollout status --env prod-01', stop it with 'dynconf rollout stop --env prod-01'",
        '',
      ].join('\n'),
    );
  });

  test('a progress bar on a terminal', async () => {
    const clock = new FakeClock();
    fake.deployTarget(payments(), 'COMPLETE');
    const command = makeRolloutCommand({ clock, client: (region) => new AppConfigClient({ region }) });
    const c = captureIO(REPO_ROOT);
    Object.assign(c.io.stdout, { isTTY: true });
    const args = parseArgs({ args: ['wait', '--env', 'prod-01', '--app', 'payment-service-v2'], options: command.options, allowPositionals: true });
    expect(await command.run(args, c.io)).toBe(0);
    expect(c.out()).toContain('  payment-service-v2/flags  [####################] COMPLETE 100% #1');
  });
});

describe('dynconf rollout stop', () => {
  test('stops in-progress deployments; exit 0', async () => {
    fake.deployTarget(payments(), 'DEPLOYING');
    const r = await dynconf('rollout', 'stop', '--env', 'prod-01', '--app', 'payment-service-v2');
    expect(r.code).toBe(0);
    expect(r.out).toContain('prod-01 payment-service-v2/flags #1 DEPLOYING: stopped (now ROLLED_BACK): stopped; AppConfig rolls it back to the previous version');
  });

  test('--revert reverts COMPLETE deployments with AllowRevert', async () => {
    fake.deployTarget(payments(), 'COMPLETE');
    const r = await dynconf('rollout', 'stop', '--env', 'prod-01', '--app', 'payment-service-v2', '--profile', 'flags', '--revert');
    expect(r.code).toBe(0);
    expect(r.out).toBe('prod-01 payment-service-v2/flags #1 COMPLETE: reverted (now REVERTED): reverted to the previous version\n');
    expect(fake.stopCalls()).toEqual([expect.objectContaining({ DeploymentNumber: 1, AllowRevert: true })]);
  });

  test('exit 1 when a stop fails', async () => {
    const [flags] = fake.deployTarget(payments(), 'DEPLOYING');
    flags!.state = 'BAKING';
    const r = await dynconf('rollout', 'stop', '--env', 'prod-01', '--app', 'payment-service-v2');
    expect(r.code).toBe(1);
    expect(r.err).toContain('1 of 2 profiles could not be stopped');
  });
});

describe('dynconf rollout usage', () => {
  test.each([
    [['rollout'], 'say what to do: status, wait, stop'],
    [['rollout', 'pause', '--env', 'beta'], "unknown action 'pause'"],
    [['rollout', 'status'], '--env is required'],
    [['rollout', 'status', '--env', 'prod-1'], "unknown environment 'prod-1' (did you mean 'prod-01'?)"],
    [['rollout', 'wait', '--env', 'beta', '--revert'], '--revert is for stop only'],
    [['rollout', 'status', '--env', 'beta', '--interval', '5'], '--interval is for wait only'],
    [['rollout', 'wait', '--env', 'beta', '--timeout', '0'], '--timeout must be a number from 1 to 1440'],
  ])('%j: exit 2, %s', async (argv, message) => {
    const r = await dynconf(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('dynconf drift', () => {
  test('exit 0 when AppConfig serves what the checkout compiles', async () => {
    fake.deployTarget(rolloutTarget(sampleModel(), 'prod-02'), 'COMPLETE');
    const r = await dynconf('drift', '--env', 'prod-02');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('prod-02 (account 333333333333 region us-east-1): all 9 profiles match this checkout');
  });

  test('exit 1 on a console edit, listing the difference', async () => {
    const t = payments();
    fake.deployTarget(t, 'COMPLETE');
    fake.deploy('payment-service-v2', 'prod-01', 'ops', JSON.stringify({ ...(JSON.parse(t.items[1]!.content) as object), hotfix: true }), 'COMPLETE');
    const r = await dynconf('drift', '--env', 'prod-01', '--app', 'payment-service-v2');
    expect(r.code).toBe(1);
    expect(r.out).toContain('prod-01 (account 333333333333 region us-east-1): 1 of 2 profiles differ from this checkout');
    expect(r.out).toMatch(/ {2}payment-service-v2\/ops: DRIFT in deployment #3, version 2 \(sha256 [0-9a-f]{12}, compiled [0-9a-f]{12}\); checkout -> AppConfig:\n {4}hotfix: added: true\n/);
  });
});
