import { ControlPlane } from '../../lib/rollout/control-plane';
import { detectDrift, differences } from '../../lib/rollout/drift';
import { rolloutTarget, type RolloutTarget } from '../../lib/rollout/targets';
import { noCredentials, sampleModel, throttling, freshFakesPerTest } from './fake-appconfig';

const aws = freshFakesPerTest();

const target = (app = 'payment-service-v2') => rolloutTarget(sampleModel(), 'prod-01', { application: app });
const drift = (t: RolloutTarget) => detectDrift(new ControlPlane({ client: aws.client, account: t.account, region: t.region, clock: aws.clock, retry: { random: () => 0.5 } }), t);

type FlagsDoc = { values: Record<string, { enabled?: boolean }> };

/** The first flag of a compiled flags document with a plain on/off value (no variants). */
function plainFlag(content: string): { key: string; enabled: boolean } {
  const [key, value] = Object.entries((JSON.parse(content) as FlagsDoc).values).find(([, v]) => typeof v.enabled === 'boolean')!;
  return { key, enabled: value.enabled! };
}

/** What a console edit does: flip one flag, add another, and write the JSON its own way. */
function consoleEdit(content: string): string {
  const doc = JSON.parse(content) as FlagsDoc;
  const { key, enabled } = plainFlag(content);
  doc.values[key] = { ...doc.values[key], enabled: !enabled };
  doc.values['console-only'] = { enabled: true };
  return JSON.stringify(doc, null, 2);
}

test('in sync: every profile live with the compiled bytes', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'COMPLETE');
  const r = await drift(t);
  expect(r.drifted).toBe(0);
  expect(r.items.map((i) => [i.profile, i.status, i.deploymentNumber])).toEqual([
    ['flags', 'in-sync', 1],
    ['ops', 'in-sync', 2],
  ]);
});

test('a console edit: drift, with every changed value from checkout to AppConfig', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'COMPLETE');
  const compiled = t.items[0]!.content;
  const { key, enabled: before } = plainFlag(compiled);
  aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', consoleEdit(compiled), 'COMPLETE');
  const r = await drift(t);
  expect(r.drifted).toBe(1);
  const flags = r.items[0]!;
  expect(flags).toMatchObject({ profile: 'flags', status: 'drifted', deploymentNumber: 3, configurationVersion: '2' });
  expect(flags.differences).toEqual([
    { path: `values.${key}.enabled`, kind: 'changed', detail: `${before} -> ${!before}` },
    { path: 'values.console-only', kind: 'added', detail: 'added: {"enabled":true}' },
  ]);
  expect(r.items[1]!.status).toBe('in-sync');
});

test('the live version is the newest COMPLETE one: a rolled-back deployment after it is noted, not compared', async () => {
  const t = target('sso-service');
  aws.fake.deployTarget(t, 'COMPLETE');
  aws.fake.deploy('sso-service', 'prod-01', 'flags', '{"bad":true}', 'ROLLED_BACK');
  const r = await drift(t);
  expect(r.items[0]).toMatchObject({ status: 'in-sync', deploymentNumber: 1, newer: { deploymentNumber: 3, state: 'ROLLED_BACK' } });
  expect(r.drifted).toBe(0);
});

test('a rollout in progress: the live version still differs, and the newer deployment is named', async () => {
  const t = target('sso-service');
  aws.fake.deploy('sso-service', 'prod-01', 'flags', '{"old":true}', 'COMPLETE');
  aws.fake.deploy('sso-service', 'prod-01', 'ops', t.items[1]!.content, 'COMPLETE');
  aws.fake.deploy('sso-service', 'prod-01', 'flags', t.items[0]!.content, 'DEPLOYING');
  const r = await drift(t);
  expect(r.items[0]).toMatchObject({ status: 'drifted', deploymentNumber: 1, newer: { deploymentNumber: 3, state: 'DEPLOYING' } });
});

test('never deployed, and missing in AppConfig, are drift too', async () => {
  const t = target();
  aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', '{}', 'ROLLED_BACK');
  aws.fake.profile('payment-service-v2', 'ops');
  const r = await drift(t);
  expect(r.items.map((i) => [i.profile, i.status, i.reason])).toEqual([
    ['flags', 'not-deployed', 'no COMPLETE deployment in prod-01'],
    ['ops', 'not-deployed', 'no COMPLETE deployment in prod-01'],
  ]);
  const missing = await drift(target('sso-service'));
  expect(missing.drifted).toBe(2);
  expect(missing.items[0]).toMatchObject({ status: 'missing', reason: expect.stringContaining("no AppConfig application 'sso-service'") });
});

test('throttling is retried; no credentials ends it with the reason', async () => {
  const t = target();
  aws.fake.deployTarget(t, 'COMPLETE');
  aws.fake.fail('ListDeployments', throttling());
  await expect(drift(t)).resolves.toMatchObject({ drifted: 0 });
  aws.fake.fail('ListApplications', noCredentials());
  await expect(drift(target('sso-service'))).rejects.toMatchObject({ kind: 'credentials' });
});

describe('differences', () => {
  test('same JSON, other bytes: a formatting difference is still drift', () => {
    expect(differences('{"a":1,"b":2}', '{"b":2,"a":1}')).toEqual([{ path: '(document)', kind: 'changed', detail: 'same JSON, different bytes (formatting or key order)' }]);
  });

  test('deployed content that is not JSON', () => {
    expect(differences('{"a":1}', 'a: 1')[0]!.detail).toMatch(/^the deployed content is not JSON/);
  });

  test('removed and changed leaves', () => {
    expect(differences('{"a":{"b":1,"c":2}}', '{"a":{"b":5}}')).toEqual([
      { path: 'a.b', kind: 'changed', detail: '1 -> 5' },
      { path: 'a.c', kind: 'removed', detail: 'removed (was 2)' },
    ]);
  });
});

describe('emergency deployments', () => {
  const COMMIT = 'c'.repeat(40);
  const marker = `dynconf emergency ${COMMIT}`;

  test('drift: an emergency deployment is named as such, with its commit, not as unexplained drift', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'COMPLETE');
    const compiled = t.items[0]!.content;
    const { key, enabled } = plainFlag(compiled);
    const doc = JSON.parse(compiled) as FlagsDoc;
    doc.values[key] = { ...doc.values[key], enabled: !enabled };
    aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', JSON.stringify(doc), 'COMPLETE', 100, marker);
    const asked: string[] = [];
    const r = await detectDrift(
      new ControlPlane({ client: aws.client, account: t.account, region: t.region, clock: aws.clock, retry: { random: () => 0.5 } }),
      t,
      { isMerged: (c) => (asked.push(c), false) },
    );
    expect(asked).toEqual([COMMIT]);
    expect(r).toMatchObject({ drifted: 1, emergency: 1 });
    expect(r.items[0]).toMatchObject({ status: 'emergency', deploymentNumber: 3, emergency: { commit: COMMIT, merged: false } });
    expect(r.items[0]!.differences).toEqual([{ path: `values.${key}.enabled`, kind: 'changed', detail: `${enabled} -> ${!enabled}` }]);
    // A console edit described otherwise stays unexplained drift.
    aws.fake.deploy('payment-service-v2', 'prod-01', 'ops', '{"edited":true}', 'COMPLETE', 100, 'edited in the console');
    const again = await drift(t);
    expect(again.items.map((i) => i.status)).toEqual(['emergency', 'drifted']);
    expect(again.emergency).toBe(1);
  });

  test('drift: once the checkout compiles the emergency bytes, the profile is in sync', async () => {
    const t = target();
    aws.fake.deployTarget(t, 'COMPLETE');
    // What the lane deployed is what this checkout (main, after the merge) compiles.
    aws.fake.deploy('payment-service-v2', 'prod-01', 'flags', t.items[0]!.content, 'COMPLETE', 100, marker);
    const r = await drift(t);
    expect(r).toMatchObject({ drifted: 0, emergency: 0 });
    expect(r.items[0]).toMatchObject({ status: 'in-sync', deploymentNumber: 3 });
  });
});
