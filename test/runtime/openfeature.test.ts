import { ErrorCode, OpenFeature, ProviderEvents, StandardResolutionReasons } from '@openfeature/server-sdk';
import { DynamicConfig } from '../../lib/runtime/dynamic-config';
import type { EvaluatedFlags } from '../../lib/runtime/feature-flags';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { DynconfProvider } from '../../lib/runtime/openfeature';
import { copySample, rmrf } from '../support/workspace';

describe('DynconfProvider (OpenFeature) over the local agent', () => {
  let root: string;
  let agent: LocalAgent;
  let config: DynamicConfig<EvaluatedFlags>;
  const client = () => OpenFeature.getClient('dynconf-test');

  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'prod-01', port: 0, watch: false });
    config = new DynamicConfig<EvaluatedFlags>({ application: 'groupsync-v3', environment: 'prod-01', profile: 'flags', agent: { baseUrl: agent.url, env: {} } });
    await OpenFeature.setProviderAndWait('dynconf-test', new DynconfProvider(config, { targetingKeyName: 'userId' }));
  });
  afterAll(async () => {
    await OpenFeature.close();
    await agent.close();
    rmrf(root);
  });

  test('a boolean is the flag\'s enabled', async () => {
    expect(await client().getBooleanDetails('theme', false)).toMatchObject({ value: true, reason: StandardResolutionReasons.STATIC });
    expect(await client().getBooleanValue('new-group-editor', true)).toBe(false);
  });

  test('<flag>.<attribute> reads attributes as strings and numbers', async () => {
    expect(await client().getStringValue('theme.scheme', 'light')).toBe('system');
    expect(await client().getNumberValue('bulk-sync-batch.batchSize', 0)).toBe(1000);
  });

  test('an object is the whole evaluated flag', async () => {
    expect(await client().getObjectValue('theme', {})).toEqual({ enabled: true, scheme: 'system', accent: '#1f6feb' });
  });

  test('the evaluation context chooses the variant; targetingKey is sent as userId', async () => {
    const paid = await client().getBooleanDetails('realtime-presence', false, { targetingKey: 'u-1', plan: 'enterprise' });
    expect(paid).toMatchObject({ value: true, variant: 'paid-plans', reason: StandardResolutionReasons.TARGETING_MATCH });
    expect(await client().getNumberValue('realtime-presence.heartbeatSeconds', 0, { targetingKey: 'u-1', plan: 'team' })).toBe(15);
    const none = await client().getBooleanDetails('realtime-presence', true);
    expect(none).toMatchObject({ value: false, variant: 'off' });
  });

  test('an unknown flag or attribute gives the default with FLAG_NOT_FOUND', async () => {
    expect(await client().getBooleanDetails('nope', true)).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client().getStringDetails('theme.nope', 'x')).toMatchObject({ value: 'x', errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  test('a value of another type gives the default with TYPE_MISMATCH', async () => {
    expect(await client().getNumberDetails('theme.scheme', 3)).toMatchObject({ value: 3, errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client().getStringDetails('theme', 'd')).toMatchObject({ value: 'd', errorCode: ErrorCode.TYPE_MISMATCH });
  });

  test('a configuration change is announced with the flags that changed', async () => {
    const other = new DynamicConfig<EvaluatedFlags>({ application: 'x', environment: 'y', profile: 'flags', agent: { baseUrl: 'http://127.0.0.1:9', env: {} } });
    const provider = new DynconfProvider(other);
    const seen: unknown[] = [];
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, (e) => seen.push(e?.flagsChanged));
    other.emit('change', { value: { a: { enabled: true }, b: { enabled: true } }, previous: { a: { enabled: true }, b: { enabled: false } } });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([['b']]);
  });
});
