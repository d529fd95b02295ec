import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { AppConfigError } from '../../lib/rollout/errors';
import { ControlPlane } from '../../lib/rollout/control-plane';
import { awsError, FakeAppConfig, FakeClock, noCredentials, throttling } from './fake-appconfig';

let fake: FakeAppConfig;
let clock: FakeClock;
let client: AppConfigClient;
let retries: string[];

beforeEach(() => {
  fake = new FakeAppConfig();
  clock = new FakeClock();
  client = new AppConfigClient({ region: 'us-east-1' });
  retries = [];
});
afterEach(() => {
  client.destroy();
  fake.restore();
});

function plane(): ControlPlane {
  return new ControlPlane({ client, account: '333333333333', region: 'us-east-1', clock, retry: { random: () => 0.5 }, onRetry: (m) => retries.push(m) });
}

/** Five applications, each with three environments and three profiles: every list takes pages of two. */
function populate(): void {
  for (const app of ['a1', 'a2', 'a3', 'a4', 'payment-service-v2']) {
    for (const env of ['beta', 'gamma', 'prod-01']) fake.environment(app, env);
    for (const profile of ['browser', 'flags', 'ops']) fake.profile(app, profile);
  }
}

describe('resolve', () => {
  test('finds the IDs by name across pages of every list', async () => {
    populate();
    const ref = await plane().resolve('payment-service-v2', 'prod-01', 'ops');
    const app = fake.app('payment-service-v2');
    expect(ref).toEqual({
      application: 'payment-service-v2',
      environment: 'prod-01',
      profile: 'ops',
      applicationId: app.id,
      environmentId: app.environments.find((e) => e.name === 'prod-01')!.id,
      profileId: app.profiles.find((p) => p.name === 'ops')!.id,
    });
    expect(fake.calls('ListApplications')).toBe(3);
  });

  test('lists applications once for many lookups', async () => {
    populate();
    const p = plane();
    await p.resolve('a1', 'beta', 'flags');
    await p.resolve('payment-service-v2', 'gamma', 'flags');
    expect(fake.calls('ListApplications')).toBe(3);
  });

  test('a missing application names what exists and the likely causes', async () => {
    populate();
    await expect(plane().resolve('sso-service', 'prod-01', 'flags')).rejects.toThrow(
      "no AppConfig application 'sso-service' in account 333333333333 region us-east-1 (found: a1, a2, a3, a4, payment-service-v2); check that the stage has deployed it and that the credentials are for account 333333333333",
    );
  });

  test('a missing environment or profile is named with its application', async () => {
    populate();
    await expect(plane().resolve('a1', 'prod-09', 'flags')).rejects.toThrow("no environment 'prod-09' of application 'a1' in account 333333333333 region us-east-1 (found: beta, gamma, prod-01)");
    await expect(plane().resolve('a1', 'beta', 'secrets')).rejects.toMatchObject({ kind: 'not-found', message: expect.stringContaining("no configuration profile 'secrets' of application 'a1'") });
  });

  test('two applications with one name are an error, not a guess', async () => {
    fake.app('a1');
    fake.apps.push({ name: 'a1', id: 'dup0001', environments: [], profiles: [] });
    await expect(plane().resolve('a1', 'beta', 'flags')).rejects.toThrow(/2 of AppConfig's resources are named like the AppConfig application 'a1' .*ids id0001, dup0001/);
  });

  test('throttling is retried with backoff and logged', async () => {
    populate();
    fake.fail('ListApplications', throttling(), throttling());
    await expect(plane().resolve('a1', 'beta', 'flags')).resolves.toMatchObject({ application: 'a1' });
    expect(clock.sleeps).toEqual([750, 1500]);
    expect(retries[0]).toBe('ListApplications on the application list: ThrottlingException (attempt 1); retrying in 0.8 s');
  });

  test('persistent throttling ends with a message that says so', async () => {
    populate();
    fake.fail('ListApplications', ...Array.from({ length: 5 }, throttling));
    await expect(plane().resolve('a1', 'beta', 'flags')).rejects.toMatchObject({ kind: 'throttled', message: expect.stringContaining('after 5 attempts') });
  });

  test('no credentials: one clear error, no retry', async () => {
    fake.fail('ListApplications', noCredentials());
    const e = await plane()
      .resolve('a1', 'beta', 'flags')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppConfigError);
    expect((e as AppConfigError).message).toMatch(/^no usable AWS credentials for account 333333333333 region us-east-1/);
    expect(clock.sleeps).toEqual([]);
  });

  test('a failed lookup is asked again next time, not cached', async () => {
    populate();
    const p = plane();
    fake.fail('ListApplications', awsError('AccessDeniedException', 'not authorized', 403));
    await expect(p.resolve('a1', 'beta', 'flags')).rejects.toMatchObject({ kind: 'access-denied' });
    await expect(p.resolve('a1', 'beta', 'flags')).resolves.toMatchObject({ application: 'a1' });
  });
});

describe('deployments and content', () => {
  test('recentDeployments: the newest per profile, paging only as far as needed', async () => {
    for (let i = 0; i < 6; i++) fake.deploy('app', 'prod-01', 'ops', `{"v":${i}}`, 'COMPLETE');
    fake.deploy('app', 'prod-01', 'flags', '{}', 'DEPLOYING');
    fake.deploy('app', 'prod-01', 'ops', '{"v":6}', 'BAKING');
    const p = plane();
    const refs = [await p.resolve('app', 'prod-01', 'flags'), await p.resolve('app', 'prod-01', 'ops')];
    const recent = await p.recentDeployments(refs);
    expect(recent.get(refs[0]!.profileId)!.map((d) => [d.DeploymentNumber, d.State])).toEqual([[7, 'DEPLOYING']]);
    expect(recent.get(refs[1]!.profileId)!.map((d) => [d.DeploymentNumber, d.State])).toEqual([[8, 'BAKING']]);
    // 8 deployments in pages of 2: both profiles are on the first page.
    expect(fake.calls('ListDeployments')).toBe(1);
  });

  test('recentDeployments with a filter goes back to the first accepted one', async () => {
    fake.deploy('app', 'prod-01', 'ops', '{"v":1}', 'COMPLETE');
    for (let i = 2; i < 6; i++) fake.deploy('app', 'prod-01', 'ops', `{"v":${i}}`, 'ROLLED_BACK');
    const p = plane();
    const ref = await p.resolve('app', 'prod-01', 'ops');
    const seen = (await p.recentDeployments([ref], (d) => d.State === 'COMPLETE')).get(ref.profileId)!;
    expect(seen.map((d) => d.DeploymentNumber)).toEqual([5, 4, 3, 2, 1]);
    expect(fake.calls('ListDeployments')).toBe(3);
  });

  test('hostedContent returns the bytes and fetches each version once', async () => {
    const d = fake.deploy('app', 'prod-01', 'flags', '{"flags":{}}', 'COMPLETE');
    const p = plane();
    const ref = await p.resolve('app', 'prod-01', 'flags');
    const bytes = await p.hostedContent(ref, String(d.version), d.number);
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"flags":{}}');
    await p.hostedContent(ref, String(d.version), d.number);
    expect(fake.calls('GetHostedConfigurationVersion')).toBe(1);
  });

  test('a deployment of something other than a hosted version is named', async () => {
    fake.deploy('app', 'prod-01', 'flags', '{}', 'COMPLETE');
    const p = plane();
    const ref = await p.resolve('app', 'prod-01', 'flags');
    await expect(p.hostedContent(ref, 'arn:aws:ssm:us-east-1:333333333333:parameter/x', 1)).rejects.toThrow(
      "deployment #1 of app/prod-01 profile flags carries configuration version 'arn:aws:ssm:us-east-1:333333333333:parameter/x', which is not a hosted version number",
    );
  });

  test('a vanished deployment is a not-found naming it', async () => {
    fake.deploy('app', 'prod-01', 'flags', '{}', 'COMPLETE');
    const p = plane();
    const ref = await p.resolve('app', 'prod-01', 'flags');
    await expect(p.deployment(ref, 42)).rejects.toMatchObject({ kind: 'not-found', message: expect.stringMatching(/^deployment #42 of app\/prod-01 profile flags was not found/) });
  });
});
