import { AppConfigDataClient, BadRequestException, GetLatestConfigurationCommand, InternalServerException, StartConfigurationSessionCommand, type GetLatestConfigurationCommandOutput } from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamicConfig } from '../../lib/runtime/dynamic-config';
import type { EvaluatedFlags } from '../../lib/runtime/feature-flags';

// The SDK wraps the body in a Uint8Array subclass; the client only needs the bytes.
const bytes = (s: string) => new TextEncoder().encode(s) as unknown as GetLatestConfigurationCommandOutput['Configuration'];
const PROFILE = { application: 'payment-service-v2', environment: 'prod-01', profile: 'flags', mode: 'direct' } as const;

describe('DynamicConfig in direct mode (AppConfig data plane)', () => {
  const mock = mockClient(AppConfigDataClient);
  let now = 1_000_000;
  let dateSpy: jest.SpyInstance;

  beforeEach(() => {
    mock.reset();
    now = 1_000_000;
    dateSpy = jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => dateSpy.mockRestore());

  const make = () => new DynamicConfig<EvaluatedFlags>({ ...PROFILE, direct: { client: new AppConfigDataClient({ region: 'us-east-1' }), minimumPollIntervalSeconds: 30 }, refreshIntervalMs: 1000 });

  test('starts a session, follows the next-poll token, and treats an empty body as unchanged', async () => {
    mock.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 't0' });
    mock
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't0' })
      .resolves({ Configuration: bytes('{"checkout":{"enabled":true}}'), ContentType: 'application/json', NextPollConfigurationToken: 't1', NextPollIntervalInSeconds: 30, VersionLabel: 'v7' })
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't1' })
      .resolves({ Configuration: bytes(''), NextPollConfigurationToken: 't2', NextPollIntervalInSeconds: 30 })
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't2' })
      .resolves({ Configuration: bytes('{"checkout":{"enabled":false}}'), ContentType: 'application/json', NextPollConfigurationToken: 't3', NextPollIntervalInSeconds: 30, VersionLabel: 'v8' });
    const config = make();
    await config.start();
    expect(mock.commandCalls(StartConfigurationSessionCommand)[0]!.args[0].input).toEqual({
      ApplicationIdentifier: 'payment-service-v2',
      EnvironmentIdentifier: 'prod-01',
      ConfigurationProfileIdentifier: 'flags',
      RequiredMinimumPollIntervalInSeconds: 30,
    });
    expect(config.isEnabled('checkout')).toBe(true);
    expect(config.status().version).toBe('v7');

    now += 30_000;
    expect(await config.refresh()).toBe(false);
    expect(config.isEnabled('checkout')).toBe(true);
    expect(config.status().lastError).toBeUndefined();

    now += 30_000;
    expect(await config.refresh()).toBe(true);
    expect(config.isEnabled('checkout', true)).toBe(false);
    expect(mock.commandCalls(StartConfigurationSessionCommand)).toHaveLength(1);
    expect(mock.commandCalls(GetLatestConfigurationCommand).map((c) => c.args[0].input.ConfigurationToken)).toEqual(['t0', 't1', 't2']);
    await config.close();
  });

  test('never polls sooner than the interval the service asked for', async () => {
    mock.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 't0' });
    mock.on(GetLatestConfigurationCommand).resolves({ Configuration: bytes('{"a":{"enabled":true}}'), NextPollConfigurationToken: 'tn', NextPollIntervalInSeconds: 60 });
    const config = make();
    await config.start();
    now += 59_000;
    await config.refresh();
    expect(mock.commandCalls(GetLatestConfigurationCommand)).toHaveLength(1);
    now += 1_000;
    await config.refresh();
    expect(mock.commandCalls(GetLatestConfigurationCommand)).toHaveLength(2);
    await config.close();
  });

  test('an expired token (BadRequestException) starts a new session on the next poll; the value stays meanwhile', async () => {
    mock.on(StartConfigurationSessionCommand).resolvesOnce({ InitialConfigurationToken: 't0' }).resolvesOnce({ InitialConfigurationToken: 's2' });
    mock
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't0' })
      .resolves({ Configuration: bytes('{"a":{"enabled":true}}'), NextPollConfigurationToken: 't1', NextPollIntervalInSeconds: 15 })
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't1' })
      .rejects(new BadRequestException({ message: 'token expired', $metadata: { httpStatusCode: 400 } }))
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 's2' })
      .resolves({ Configuration: bytes('{"a":{"enabled":false}}'), NextPollConfigurationToken: 's3', NextPollIntervalInSeconds: 15 });
    const config = make();
    await config.start();
    now += 15_000;
    await config.refresh();
    expect(config.status().lastError).toMatchObject({ kind: 'http', message: expect.stringMatching(/new session/) });
    expect(config.isEnabled('a')).toBe(true);
    await config.refresh();
    expect(config.isEnabled('a', true)).toBe(false);
    expect(mock.commandCalls(StartConfigurationSessionCommand)).toHaveLength(2);
    await config.close();
  });

  test('a 5xx from the service keeps the last good value', async () => {
    mock.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 't0' });
    mock
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't0' })
      .resolves({ Configuration: bytes('{"a":{"enabled":true}}'), NextPollConfigurationToken: 't1', NextPollIntervalInSeconds: 15 })
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 't1' })
      .rejects(new InternalServerException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));
    const config = make();
    await config.start();
    now += 15_000;
    await config.refresh();
    expect(config.status()).toMatchObject({ source: 'remote', consecutiveFailures: 1, lastError: { kind: 'http', status: 500 } });
    expect(config.isEnabled('a')).toBe(true);
    await config.close();
  });

  test('multi-variant flags arrive as Amazon Ion, which direct mode refuses with the fix named', async () => {
    mock.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 't0' });
    mock.on(GetLatestConfigurationCommand).resolves({ Configuration: bytes("'checkout'::[]"), ContentType: 'application/ion;type=AWS.AppConfig.FeatureFlags', NextPollConfigurationToken: 't1' });
    const config = make();
    await config.start();
    expect(config.status()).toMatchObject({ source: 'none', lastError: { kind: 'parse', message: expect.stringMatching(/Amazon Ion.*mode 'agent'/) } });
    await config.close();
  });
});
