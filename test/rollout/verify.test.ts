/**
 * `dynconf verify` against an in-memory AppConfig data plane behind aws-sdk-client-mock:
 * sessions by name, single-use configuration tokens, feature flags served in the retrieval
 * format (values only), and failures to inject per call. Retries sleep on a fake clock.
 */
import {
  AppConfigDataClient,
  AppConfigDataServiceException,
  BadRequestException,
  GetLatestConfigurationCommand,
  ResourceNotFoundException,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeVerifyCommand } from '../../lib/cli/commands/verify';
import { main } from '../../lib/cli/main';
import { rolloutTarget, type RolloutTarget } from '../../lib/rollout/targets';
import { DataPlane, verifyTarget, type VerifyItem } from '../../lib/rollout/verify';
import { captureIO, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { FakeClock, noCredentials, sampleModel } from './fake-appconfig';
import { readCases } from './junit-reader';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };
type FlagValue = { enabled?: boolean; _variants?: { name: string; enabled: boolean; attributeValues?: JsonObject }[]; [k: string]: Json | undefined };

const throttled = () => new AppConfigDataServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 429 } });

class FakeDataPlane {
  readonly mock = mockClient(AppConfigDataClient);
  /** `app/env/profile` -> what GetLatestConfiguration returns. */
  readonly served = new Map<string, { content: string; contentType: string; versionLabel?: string }>();
  private readonly tokens = new Map<string, string>();
  private readonly failures = new Map<string, unknown[]>();
  private issued = 0;

  constructor() {
    this.mock.on(StartConfigurationSessionCommand).callsFake((i) =>
      this.handle('StartConfigurationSession', () => {
        const key = `${i.ApplicationIdentifier}/${i.EnvironmentIdentifier}/${i.ConfigurationProfileIdentifier}`;
        if (!this.served.has(key)) {
          throw new ResourceNotFoundException({ message: `Configuration profile ${i.ConfigurationProfileIdentifier} not found`, ResourceType: 'ConfigurationProfile', $metadata: { httpStatusCode: 404 } });
        }
        const token = `token-${++this.issued}`;
        this.tokens.set(token, key);
        return { InitialConfigurationToken: token };
      }),
    );
    this.mock.on(GetLatestConfigurationCommand).callsFake((i) => {
      // A token is spent by the call that carries it, whatever that call's fate.
      const key = this.tokens.get(i.ConfigurationToken ?? '');
      this.tokens.delete(i.ConfigurationToken ?? '');
      return this.handle('GetLatestConfiguration', () => {
        if (!key) throw new BadRequestException({ message: 'Token is invalid or expired', $metadata: { httpStatusCode: 400 } });
        const s = this.served.get(key)!;
        return { Configuration: new TextEncoder().encode(s.content), ContentType: s.contentType, VersionLabel: s.versionLabel, NextPollConfigurationToken: 'next', NextPollIntervalInSeconds: 60 };
      });
    });
  }

  restore(): void {
    this.mock.restore();
  }

  fail(command: 'StartConfigurationSession' | 'GetLatestConfiguration', ...errors: unknown[]): void {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...errors]);
  }

  calls(command: 'StartConfigurationSession' | 'GetLatestConfiguration'): number {
    return command === 'StartConfigurationSession' ? this.mock.commandCalls(StartConfigurationSessionCommand).length : this.mock.commandCalls(GetLatestConfigurationCommand).length;
  }

  serve(app: string, env: string, profile: string, content: string, contentType = 'application/json'): void {
    this.served.set(`${app}/${env}/${profile}`, { content, contentType, versionLabel: 'v1' });
  }

  /** Serve what AppConfig would for what the target compiled: ops as is, flags in retrieval format. */
  serveTarget(target: RolloutTarget, variants: 'left-out' | 'default-variant' = 'left-out'): void {
    for (const i of target.items) this.serve(i.application, target.environment, i.profile, i.profile === 'ops' ? i.content : JSON.stringify(retrievalView(i.content, variants)));
  }

  private handle<T>(command: string, fn: () => T): T {
    const queued = this.failures.get(command);
    if (queued?.length) throw queued.shift();
    return fn();
  }
}

/** The values of a compiled flags document as the data plane returns them. */
function retrievalView(content: string, variants: 'left-out' | 'default-variant'): Record<string, FlagValue> {
  const out: Record<string, FlagValue> = {};
  for (const [key, value] of Object.entries((JSON.parse(content) as { values: Record<string, FlagValue> }).values)) {
    if (!value._variants) out[key] = value;
    else if (variants === 'default-variant') {
      const last = value._variants[value._variants.length - 1]!;
      out[key] = { enabled: last.enabled, ...(last.attributeValues ?? {}), _variant: last.name };
    }
  }
  return out;
}

let fake: FakeDataPlane;
let clock: FakeClock;
let client: AppConfigDataClient;
beforeEach(() => {
  fake = new FakeDataPlane();
  clock = new FakeClock();
  client = new AppConfigDataClient({ region: 'us-east-1' });
});
afterEach(() => {
  client.destroy();
  fake.restore();
});

const gamma = (filter: { application?: string; profile?: string } = {}) => rolloutTarget(sampleModel(), 'gamma', filter);
const plane = (t: RolloutTarget) => new DataPlane({ client, account: t.account, region: t.region, clock, retry: { random: () => 0.5 } });
const verify = (t: RolloutTarget, acceptance = false) => verifyTarget(plane(t), sampleModel(), t, { acceptance });
const item = (items: readonly VerifyItem[], app: string, profile: string) => items.find((i) => i.application === app && i.profile === profile)!;
const compiled = (t: RolloutTarget, app: string, profile: string) => t.items.find((i) => i.application === app && i.profile === profile)!.content;

/** A served flag map built from the compiled one, then edited. */
function editedFlags(t: RolloutTarget, app: string, profile: string, edit: (flags: Record<string, FlagValue>) => void): string {
  const view = retrievalView(compiled(t, app, profile), 'left-out');
  edit(view);
  return JSON.stringify(view);
}

describe('verifyTarget', () => {
  test('match: every profile of every application, read by name', async () => {
    const t = gamma();
    fake.serveTarget(t);
    const r = await verify(t);
    expect(r.failed).toBe(0);
    expect(r.items.map((i) => `${i.application}/${i.profile} ${i.status}`)).toEqual(t.items.map((i) => `${i.application}/${i.profile} match`));
    expect(fake.mock.commandCalls(StartConfigurationSessionCommand)[0]!.args[0].input).toEqual({
      ApplicationIdentifier: 'search-service-net',
      EnvironmentIdentifier: 'gamma',
      ConfigurationProfileIdentifier: 'flags',
    });
    // Multi-variant flags are set aside, never compared.
    expect(item(r.items, 'sso-service', 'flags').notComparable).toEqual([{ flag: 'mfa-enforcement' }]);
    expect(item(r.items, 'groupsync-v3', 'browser').notComparable).toEqual([{ flag: 'realtime-presence' }]);
  });

  test('a multi-variant flag the data plane does show is not comparable either, whatever it shows', async () => {
    const t = gamma({ application: 'sso-service' });
    fake.serveTarget(t, 'default-variant');
    const r = await verify(t, true);
    expect(r.failed).toBe(0);
    expect(r.items[0]!.notComparable).toEqual([{ flag: 'mfa-enforcement', served: '{"enabled":false,"_variant":"others"}' }]);
  });

  test('ops must be byte-identical: the same JSON written otherwise is a mismatch, and so is a changed value', async () => {
    const t = gamma({ application: 'payment-service-v2' });
    fake.serveTarget(t);
    const ops = JSON.parse(compiled(t, 'payment-service-v2', 'ops')) as { logLevel: string };
    fake.serve('payment-service-v2', 'gamma', 'ops', JSON.stringify(ops, null, 2));
    let r = await verify(t);
    expect(item(r.items, 'payment-service-v2', 'ops')).toMatchObject({
      status: 'mismatch',
      differences: [{ path: '(document)', kind: 'changed', detail: 'same JSON, different bytes (formatting or key order)' }],
    });
    fake.serve('payment-service-v2', 'gamma', 'ops', JSON.stringify({ ...ops, logLevel: 'DEBUG' }));
    r = await verify(t);
    expect(r.failed).toBe(1);
    expect(item(r.items, 'payment-service-v2', 'ops').differences).toEqual([{ path: 'logLevel', kind: 'changed', detail: `"${ops.logLevel}" -> "DEBUG"` }]);
    expect(item(r.items, 'payment-service-v2', 'flags').status).toBe('match');
  });

  test('a flag value that differs, and a flag the checkout does not have', async () => {
    const t = gamma({ application: 'payment-service-v2', profile: 'flags' });
    fake.serveTarget(t);
    const before = retrievalView(compiled(t, 'payment-service-v2', 'flags'), 'left-out')['payment-retry-policy']!;
    fake.serve(
      'payment-service-v2',
      'gamma',
      'flags',
      editedFlags(t, 'payment-service-v2', 'flags', (f) => {
        f['payment-retry-policy'] = { ...before, maxRetries: 9 };
        f['console-only'] = { enabled: true };
      }),
    );
    const r = await verify(t);
    expect(r.failed).toBe(1);
    expect(r.items[0]!.status).toBe('mismatch');
    expect(r.items[0]!.differences).toEqual([
      { path: 'payment-retry-policy.maxRetries', kind: 'changed', detail: `${before.maxRetries} -> 9` },
      { path: 'console-only', kind: 'added', detail: 'added: {"enabled":true}' },
    ]);
  });

  test('a simple flag the data plane leaves out is a mismatch; with --acceptance, a missing flag too', async () => {
    const t = gamma({ application: 'sso-service', profile: 'flags' });
    fake.serve('sso-service', 'gamma', 'flags', editedFlags(t, 'sso-service', 'flags', (f) => delete f['session-ttl']));
    const r = await verify(t, true);
    expect(r.items[0]!.differences).toEqual([{ path: 'session-ttl', kind: 'removed', detail: expect.stringMatching(/^removed \(was \{"enabled":/) }]);
    expect(r.items[0]!.acceptance).toEqual(["flag 'session-ttl' of the model is missing"]);
  });

  describe('--acceptance', () => {
    test('passes on what gamma should serve', async () => {
      const t = gamma();
      fake.serveTarget(t);
      const r = await verify(t, true);
      expect(r).toMatchObject({ acceptance: true, failed: 0 });
      expect(r.items.every((i) => i.acceptance.length === 0)).toBe(true);
    });

    test('a browser profile leaking a server-only flag fails it; without --acceptance only the extra flag shows', async () => {
      const t = gamma({ application: 'groupsync-v3' });
      fake.serveTarget(t);
      fake.serve(
        'groupsync-v3',
        'gamma',
        'browser',
        editedFlags(t, 'groupsync-v3', 'browser', (f) => {
          f['bulk-sync-batch'] = { enabled: true, batchSize: 500 };
          delete f.theme;
        }),
      );
      const r = await verify(t, true);
      const browser = item(r.items, 'groupsync-v3', 'browser');
      expect(browser.acceptance).toEqual(["browser flag 'theme' of the model is missing", "server-only flag 'bulk-sync-batch' is in the browser profile"]);
      expect(browser.differences.map((d) => `${d.path} ${d.kind}`)).toEqual(['theme removed', 'bulk-sync-batch added']);
      expect(r.failed).toBe(1);
      const plain = await verify(t);
      expect(item(plain.items, 'groupsync-v3', 'browser').acceptance).toEqual([]);
    });

    test('a flag of no application in the browser profile', async () => {
      const t = gamma({ application: 'groupsync-v3', profile: 'browser' });
      fake.serve('groupsync-v3', 'gamma', 'browser', editedFlags(t, 'groupsync-v3', 'browser', (f) => (f['mystery'] = { enabled: false })));
      const r = await verify(t, true);
      expect(r.items[0]!.acceptance).toEqual(["flag 'mystery' is not a flag of groupsync-v3"]);
    });

    test('an ops document that breaks its schema, and one that is not JSON', async () => {
      const t = gamma({ application: 'payment-service-v2', profile: 'ops' });
      const ops = JSON.parse(compiled(t, 'payment-service-v2', 'ops')) as Record<string, unknown>;
      fake.serve('payment-service-v2', 'gamma', 'ops', JSON.stringify({ ...ops, logLevel: 'LOUD', hotfix: true }));
      let r = await verify(t, true);
      expect(r.items[0]!.status).toBe('mismatch');
      expect(r.items[0]!.acceptance).toEqual([
        "the ops document breaks config/ops/payment-service-v2/schema.json at (root): must NOT have additional properties ('hotfix')",
        'the ops document breaks config/ops/payment-service-v2/schema.json at /logLevel: must be equal to one of the allowed values',
      ]);
      fake.serve('payment-service-v2', 'gamma', 'ops', 'logLevel: INFO');
      r = await verify(t, true);
      expect(r.items[0]!.acceptance).toEqual([expect.stringMatching(/^the ops document is not JSON \(/)]);
    });
  });

  test('a missing profile (ResourceNotFoundException) is reported by name, and the others are still read', async () => {
    const t = gamma({ application: 'groupsync-v3' });
    fake.serveTarget(t);
    fake.served.delete('groupsync-v3/gamma/browser');
    const r = await verify(t);
    expect(r.failed).toBe(1);
    expect(r.items.map((i) => i.status)).toEqual(['match', 'match', 'missing']);
    expect(item(r.items, 'groupsync-v3', 'browser').reason).toBe(
      "profile 'browser' of application 'groupsync-v3' in environment 'gamma' was not found in account 222222222222 region us-west-2 (StartConfigurationSession: ResourceNotFoundException: Configuration profile browser not found); check that the stage for it has deployed and that the credentials are for account 222222222222",
    );
  });

  test('what cannot be read as flags: nothing, the stored document, not JSON', async () => {
    const t = gamma({ application: 'sso-service', profile: 'flags' });
    const reasonFor = async (content: string, type?: string) => {
      fake.serve('sso-service', 'gamma', 'flags', content, type);
      const [only] = (await verify(t)).items;
      expect(only!.status).toBe('unreadable');
      return only!.reason;
    };
    expect(await reasonFor('')).toBe('AppConfig served nothing for it in gamma; has a deployment of it completed there?');
    expect(await reasonFor(compiled(t, 'sso-service', 'flags'))).toMatch(/^AppConfig served the stored feature flags document .* not of type AWS\.AppConfig\.FeatureFlags/);
    expect(await reasonFor("'session-ttl'::'''{}'''", 'application/ion; type=AWS.AppConfig.FeatureFlags')).toMatch(
      /^AppConfig served content of type application\/ion; type=AWS\.AppConfig\.FeatureFlags that is not JSON/,
    );
  });

  describe('AWS errors', () => {
    test('throttling is retried with backoff on the injected clock; a spent token means a new session', async () => {
      const t = gamma({ application: 'sso-service', profile: 'ops' });
      fake.serveTarget(t);
      fake.fail('StartConfigurationSession', throttled());
      fake.fail('GetLatestConfiguration', throttled());
      const r = await verify(t);
      expect(r.items[0]!.status).toBe('match');
      expect(clock.sleeps).toEqual([750, 1500]);
      expect(fake.calls('StartConfigurationSession')).toBe(3);
      expect(fake.calls('GetLatestConfiguration')).toBe(2);
    });

    test('throttling that does not pass ends with the attempts counted', async () => {
      const t = gamma({ application: 'sso-service', profile: 'ops' });
      fake.serveTarget(t);
      fake.fail('StartConfigurationSession', ...Array.from({ length: 5 }, throttled));
      await expect(verify(t)).rejects.toMatchObject({
        kind: 'throttled',
        message: expect.stringMatching(/^AppConfig throttled StartConfigurationSession on profile 'ops' of application 'sso-service' in environment 'gamma' in account 222222222222 region us-west-2 after 5 attempts/),
      });
    });

    test('no credentials ends it at once, naming the account', async () => {
      const t = gamma();
      fake.serveTarget(t);
      fake.fail('StartConfigurationSession', noCredentials());
      await expect(verify(t)).rejects.toMatchObject({ kind: 'credentials', message: expect.stringMatching(/^no usable AWS credentials for account 222222222222 region us-west-2/) });
      expect(clock.sleeps).toEqual([]);
    });
  });
});

describe('dynconf verify', () => {
  async function dynconf(...argv: string[]) {
    const c = captureIO(REPO_ROOT);
    const code = await main(argv, c.io);
    return { code, out: c.out(), err: c.err() };
  }

  test('exit 0 when the data plane serves what the checkout compiles', async () => {
    fake.serveTarget(gamma());
    const r = await dynconf('verify', '--env', 'gamma', '--acceptance');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('gamma (account 222222222222 region us-west-2) through the AppConfig data plane: all 9 profiles match this checkout and pass the acceptance checks');
    expect(r.out).toContain('  sso-service/flags: matches the compiled document (version label v1)\n');
    expect(r.out).toContain('    not comparable on the data plane (multi-variant; SDK calls do not retrieve variant data): mfa-enforcement (left out)\n');
  });

  test('exit 1 on a difference, listing it; --format json for scripts', async () => {
    const t = gamma({ application: 'payment-service-v2' });
    fake.serveTarget(t);
    fake.serve('payment-service-v2', 'gamma', 'ops', JSON.stringify({ ...(JSON.parse(compiled(t, 'payment-service-v2', 'ops')) as object), hotfix: true }));
    const r = await dynconf('verify', '--env', 'gamma', '--app', 'payment-service-v2');
    expect(r.code).toBe(1);
    expect(r.out).toContain('gamma (account 222222222222 region us-west-2) through the AppConfig data plane: 1 of 2 profiles fail verification');
    expect(r.out).toMatch(/ {2}payment-service-v2\/ops: MISMATCH \(version label v1\) \(served sha256 [0-9a-f]{12}, compiled [0-9a-f]{12}\); compiled -> data plane:\n {4}hotfix: added: true\n/);
    const json = await dynconf('verify', '--env', 'gamma', '--app', 'payment-service-v2', '--profile', 'ops', '--format', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ environment: 'gamma', failed: 1, items: [{ profile: 'ops', status: 'mismatch', differences: [{ path: 'hotfix', kind: 'added' }] }] });
  });

  test('exit 1 when --acceptance finds a server-only flag in the browser profile', async () => {
    const t = gamma({ application: 'groupsync-v3', profile: 'browser' });
    fake.serve('groupsync-v3', 'gamma', 'browser', editedFlags(t, 'groupsync-v3', 'browser', (f) => (f['directory-connector-v2'] = { enabled: true })));
    const r = await dynconf('verify', '--env', 'gamma', '--app', 'groupsync-v3', '--profile', 'browser', '--acceptance');
    expect(r.code).toBe(1);
    expect(r.out).toContain("    ACCEPTANCE: server-only flag 'directory-connector-v2' is in the browser profile\n");
  });

  test('exit 1 on a missing profile, naming it', async () => {
    const r = await dynconf('verify', '--env', 'beta', '--app', 'sso-service', '--profile', 'ops');
    expect(r.code).toBe(1);
    expect(r.out).toContain("  sso-service/ops: MISSING: profile 'ops' of application 'sso-service' in environment 'beta' was not found in account 222222222222 region us-west-2");
  });

  test('no credentials: one line, exit 1', async () => {
    fake.fail('StartConfigurationSession', noCredentials());
    const r = await dynconf('verify', '--env', 'gamma');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^dynconf verify: no usable AWS credentials for account 222222222222 region us-west-2 \(CredentialsProviderError/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  test('throttling: retries are logged on stderr, and the run still passes', async () => {
    fake.serveTarget(gamma({ application: 'sso-service' }));
    fake.fail('GetLatestConfiguration', throttled());
    const command = makeVerifyCommand({ clock, client: (region) => new AppConfigDataClient({ region }), retry: { random: () => 0.5 } });
    const c = captureIO(REPO_ROOT);
    const args = parseArgs({ args: ['--env', 'gamma', '--app', 'sso-service'], options: command.options });
    expect(await command.run(args, c.io)).toBe(0);
    expect(c.err()).toBe("GetLatestConfiguration on profile 'flags' of application 'sso-service' in environment 'gamma': ThrottlingException (attempt 1); retrying in 0.8 s\n");
  });

  test.each([
    [['verify'], '--env is required'],
    [['verify', '--env', 'gama'], "unknown environment 'gama' (did you mean 'gamma'?)"],
    [['verify', '--env', 'gamma', '--format', 'yaml'], '--format must be one of text, json'],
    [['verify', '--env', 'gamma', '--app', 'sso-service', '--profile', 'browser'], "application 'sso-service' has profile 'browser' in gamma; its profiles are flags, ops"],
  ])('%j: exit 2, %s', async (argv, message) => {
    const r = await dynconf(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('dynconf verify --junit (what the verify and acceptance steps publish)', () => {
  let dir: string;
  let report: string;
  beforeEach(() => {
    dir = tempDir('dynconf-verify-junit-');
    report = path.join(dir, 'reports', 'dynconf-junit.xml');
  });
  afterEach(() => rmrf(dir));

  async function dynconf(...argv: string[]) {
    const c = captureIO(REPO_ROOT);
    const code = await main(argv, c.io);
    return { code, out: c.out(), err: c.err(), cases: readCases(fs.readFileSync(report, 'utf8')) };
  }

  test('with --acceptance: a content case and an acceptance case per profile, all passing', async () => {
    const t = rolloutTarget(sampleModel(), 'prod-02');
    fake.serveTarget(t);
    const r = await dynconf('verify', '--env', 'prod-02', '--acceptance', '--junit', report);
    expect(r.code).toBe(0);
    expect(r.cases.map((c) => [c.classname, c.name, c.failure ?? c.error ?? c.skipped])).toEqual(
      t.items.flatMap((i) => [
        ['dynconf.verify.prod-02', `${i.application}/${i.profile}`, undefined],
        ['dynconf.verify.prod-02', `${i.application}/${i.profile} acceptance`, undefined],
      ]),
    );
    expect(fs.readFileSync(report, 'utf8')).toContain(`<testsuite name="dynconf verify --env prod-02 --acceptance" tests="${2 * t.items.length}" failures="0" errors="0" skipped="0"`);
  });

  test('a content mismatch is a <failure> naming the first difference, every difference in its text', async () => {
    const t = gamma({ application: 'payment-service-v2' });
    fake.serveTarget(t);
    fake.serve('payment-service-v2', 'gamma', 'ops', JSON.stringify({ ...(JSON.parse(compiled(t, 'payment-service-v2', 'ops')) as object), hotfix: true }));
    const r = await dynconf('verify', '--env', 'gamma', '--app', 'payment-service-v2', '--junit', report);
    expect(r.code).toBe(1);
    const ops = r.cases.find((c) => c.name === 'payment-service-v2/ops')!;
    expect(ops.failure).toMatchObject({
      type: 'content-mismatch',
      message: 'payment-service-v2/ops: the data plane serves other content than this checkout compiled (version label v1): 1 difference, first hotfix: added: true',
      text: expect.stringMatching(/compiled -> data plane:\n {2}hotfix: added: true$/),
    });
    expect(r.cases.find((c) => c.name === 'payment-service-v2/flags')!.failure).toBeUndefined();
  });

  test('a failed acceptance check is a <failure> of type acceptance on that profile’s acceptance case', async () => {
    const t = gamma({ application: 'groupsync-v3', profile: 'browser' });
    fake.serve('groupsync-v3', 'gamma', 'browser', editedFlags(t, 'groupsync-v3', 'browser', (f) => (f['directory-connector-v2'] = { enabled: true })));
    const r = await dynconf('verify', '--env', 'gamma', '--app', 'groupsync-v3', '--profile', 'browser', '--acceptance', '--junit', report);
    expect(r.code).toBe(1);
    expect(r.cases).toEqual([
      expect.objectContaining({ name: 'groupsync-v3/browser', failure: expect.objectContaining({ type: 'content-mismatch' }) }),
      expect.objectContaining({
        name: 'groupsync-v3/browser acceptance',
        failure: expect.objectContaining({ type: 'acceptance', message: "groupsync-v3/browser: 1 acceptance check failed: server-only flag 'directory-connector-v2' is in the browser profile" }),
      }),
    ]);
  });

  test('a missing profile fails its content case and skips its acceptance case', async () => {
    const r = await dynconf('verify', '--env', 'beta', '--app', 'sso-service', '--profile', 'ops', '--acceptance', '--junit', report);
    expect(r.code).toBe(1);
    expect(r.cases).toEqual([
      expect.objectContaining({ name: 'sso-service/ops', failure: expect.objectContaining({ type: 'missing', message: expect.stringContaining("sso-service/ops: missing: profile 'ops' of application 'sso-service' in environment 'beta' was not found") }) }),
      expect.objectContaining({ name: 'sso-service/ops acceptance', skipped: 'sso-service/ops could not be read from the data plane (missing); see its content check' }),
    ]);
  });

  test('no credentials: the report holds one <error> with the one-line reason; exit 1 as before', async () => {
    fake.fail('StartConfigurationSession', noCredentials());
    const r = await dynconf('verify', '--env', 'gamma', '--acceptance', '--junit', report);
    expect(r.code).toBe(1);
    expect(r.cases).toEqual([{ classname: 'dynconf.verify.gamma', name: 'dynconf verify', error: { type: 'CommandError', message: expect.stringMatching(/^no usable AWS credentials for account 222222222222 region us-west-2/) } }]);
  });
});
