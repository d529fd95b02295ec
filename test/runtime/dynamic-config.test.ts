import type * as http from 'node:http';
import { agentBaseUrlFromEnv } from '../../lib/runtime/agent-client';
import { DynamicConfig, type ChangeEvent } from '../../lib/runtime/dynamic-config';
import type { EvaluatedFlags } from '../../lib/runtime/feature-flags';
import { copySample, REPO_ROOT, rmrf } from '../support/workspace';
import { listen } from './helpers';

type Mode = 'ok' | 'slow' | 'garbage' | 'status500' | 'midstream' | 'not-flags';

/** A stand-in agent whose behaviour the test switches, recording what it was asked. */
class FakeAgent {
  mode: Mode = 'ok';
  body = JSON.stringify({ checkout: { enabled: true, rolloutPercent: 20 }, theme: { enabled: false } });
  version = '1';
  readonly requests: http.IncomingMessage[] = [];
  server!: Awaited<ReturnType<typeof listen>>;

  async start(port = 0): Promise<this> {
    this.server = await listen((req, res) => this.handle(req, res), port);
    return this;
  }

  get url(): string {
    return this.server.url;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(req);
    switch (this.mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': this.version }).end(this.body);
        return;
      case 'slow':
        return; // never answers; the client's timeout must fire
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': '99' }).end('<html>proxy error</html>');
        return;
      case 'not-flags':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"checkout": true}');
        return;
      case 'status500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'midstream': {
        // Promise a full body, send half of it, then drop the connection.
        const full = Buffer.from(this.body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': full.length });
        res.write(full.subarray(0, full.length >> 1), () => res.socket?.destroy());
        return;
      }
    }
  }
}

const PROFILE = { application: 'payment-service-v2', environment: 'beta', profile: 'flags' } as const;

describe('DynamicConfig in agent mode: last known good under faults', () => {
  let agent: FakeAgent;
  let config: DynamicConfig<EvaluatedFlags>;

  beforeEach(async () => {
    agent = await new FakeAgent().start();
    config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, agent: { baseUrl: agent.url, env: {} }, timeoutMs: 300, refreshIntervalMs: 60_000 });
  });
  afterEach(async () => {
    await config.close();
    await agent.server.close();
  });

  test('reads the profile and answers flag lookups', async () => {
    const status = await config.start();
    expect(status).toMatchObject({ source: 'remote', version: '1', consecutiveFailures: 0 });
    expect(config.isEnabled('checkout')).toBe(true);
    expect(config.attribute('checkout', 'rolloutPercent', 0)).toBe(20);
    expect(agent.requests[0]!.url).toBe('/applications/payment-service-v2/environments/beta/configurations/flags');
  });

  test.each([
    ['a timeout', 'slow', 'timeout', /did not answer within 300 ms/],
    ['a body that does not parse', 'garbage', 'parse', /does not parse/],
    ['a body that is JSON but not feature flags', 'not-flags', 'parse', /flag 'checkout' has no boolean "enabled"/],
    ['a 500', 'status500', 'http', /answered 500/],
    ['a connection dropped in the middle of the body', 'midstream', 'connection', /./],
  ] as const)('%s keeps the last good value and reports its age and the error', async (_name, mode, kind, message) => {
    await config.start();
    const failures: string[] = [];
    config.on('failure', (f) => failures.push(f.kind));
    agent.mode = mode;
    expect(await config.refresh()).toBe(false);
    const status = config.status();
    expect(status.source).toBe('remote');
    expect(status.version).toBe('1');
    expect(status.lastError).toMatchObject({ kind });
    expect(status.lastError!.message).toMatch(message);
    expect(status.consecutiveFailures).toBe(1);
    expect(status.ageMs).toBeGreaterThanOrEqual(0);
    expect(failures).toEqual([kind]);
    expect(config.isEnabled('checkout')).toBe(true);
    expect(config.flag('theme')).toEqual({ enabled: false });
  });

  test('a refused connection keeps the last good value; a restarted agent is picked up', async () => {
    await config.start();
    const port = agent.server.port;
    await agent.server.close();
    expect(await config.refresh()).toBe(false);
    expect(config.status().lastError).toMatchObject({ kind: 'connection', message: expect.stringMatching(/connection refused .*is the agent running/) });
    expect(await config.refresh()).toBe(false);
    expect(config.status().consecutiveFailures).toBe(2);
    expect(config.isEnabled('checkout')).toBe(true);

    // The agent comes back (same port) with new content.
    agent = await new FakeAgent().start(port);
    agent.body = JSON.stringify({ checkout: { enabled: false } });
    agent.version = '2';
    const changes: ChangeEvent<EvaluatedFlags>[] = [];
    config.on('change', (e) => changes.push(e));
    expect(await config.refresh()).toBe(true);
    expect(config.isEnabled('checkout', true)).toBe(false);
    expect(config.status()).toMatchObject({ version: '2', consecutiveFailures: 0 });
    expect(config.status().lastError).toBeUndefined();
    expect(changes).toHaveLength(1);
    expect(changes[0]!.previous).toEqual({ checkout: { enabled: true, rolloutPercent: 20 }, theme: { enabled: false } });
  });

  test('lookups never throw and fall back, whatever is asked', async () => {
    await config.start();
    expect(config.flag('nope')).toBeUndefined();
    expect(config.flag('__proto__')).toBeUndefined();
    expect(config.isEnabled('nope', true)).toBe(true);
    expect(config.attribute('checkout', 'rolloutPercent', 'x')).toBe('x');
    expect(config.attribute('checkout', 'missing', 7)).toBe(7);
  });

  test('background refresh emits change events', async () => {
    await config.close();
    config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, agent: { baseUrl: agent.url, env: {} }, refreshIntervalMs: 30 });
    await config.start();
    const changed = new Promise<ChangeEvent<EvaluatedFlags>>((resolve) => config.once('change', resolve));
    agent.body = JSON.stringify({ checkout: { enabled: false } });
    agent.version = '2';
    const e = await changed;
    expect(e.version).toBe('2');
    expect(e.value).toEqual({ checkout: { enabled: false } });
  });

  test('a new version with the same context-free body is a change (variants may be what changed)', async () => {
    await config.start();
    const changes: unknown[] = [];
    config.on('change', (e) => changes.push(e.version));
    agent.version = '2';
    expect(await config.refresh()).toBe(true);
    expect(changes).toEqual(['2']);
  });

  test('an unchanged body is not a change', async () => {
    await config.start();
    const changes: unknown[] = [];
    config.on('change', (e) => changes.push(e));
    expect(await config.refresh()).toBe(false);
    expect(changes).toEqual([]);
  });
});

describe('DynamicConfig: what it sends', () => {
  let agent: FakeAgent;
  beforeEach(async () => {
    agent = await new FakeAgent().start();
  });
  afterEach(async () => {
    await agent.server.close();
  });

  test('the token from APPCONFIG_AGENT_TOKEN as a bearer token', async () => {
    const config = new DynamicConfig({ ...PROFILE, agent: { baseUrl: agent.url, env: { APPCONFIG_AGENT_TOKEN: 'tok-1' } } });
    await config.start();
    await config.close();
    expect(agent.requests[0]!.headers.authorization).toBe('Bearer tok-1');
  });

  test('flags: reads only the named flags (?flag=), also with a context', async () => {
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, flags: ['checkout', 'new theme'], agent: { baseUrl: agent.url, env: {} } });
    await config.start();
    await config.flagsFor({ tier: 'pro' });
    await config.close();
    expect(agent.requests.map((r) => r.url)).toEqual([
      '/applications/payment-service-v2/environments/beta/configurations/flags?flag=checkout&flag=new%20theme',
      '/applications/payment-service-v2/environments/beta/configurations/flags?flag=checkout&flag=new%20theme',
    ]);
  });

  test('flagsFor sends the context as Context headers, caches it, and falls back when the read fails', async () => {
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, agent: { baseUrl: agent.url, env: {} }, timeoutMs: 300 });
    await config.start();
    agent.body = JSON.stringify({ checkout: { enabled: true, _variant: 'pro' } });
    const flags = await config.flagsFor({ tier: 'pro', userId: 'u-1' });
    expect(flags).toEqual({ checkout: { enabled: true, _variant: 'pro' } });
    const last = agent.requests[agent.requests.length - 1]!;
    expect(last.headersDistinct.context).toEqual(['tier=pro', 'userId=u-1']);
    const count = agent.requests.length;
    expect(await config.flagsFor({ userId: 'u-1', tier: 'pro' })).toBe(flags);
    expect(agent.requests.length).toBe(count);

    agent.mode = 'status500';
    // Another caller with no good result of its own gets the context-free value.
    expect(await config.flagsFor({ tier: 'free' })).toEqual({ checkout: { enabled: true, rolloutPercent: 20 }, theme: { enabled: false } });
    // A context the header format cannot carry is not an exception either.
    expect(await config.flagsFor({ list: 'a,b' })).toEqual(config.value());
    await config.close();
  });
});

describe('DynamicConfig: one ?flag= in either response shape', () => {
  let agent: FakeAgent;
  beforeEach(async () => {
    agent = await new FakeAgent().start();
  });
  afterEach(async () => {
    await agent.server.close();
  });

  test.each([
    ['the flag object itself (AppConfig Agent 2.0.x)', { enabled: true, rolloutPercent: 20 }],
    ['a map keyed by the flag', { checkout: { enabled: true, rolloutPercent: 20 } }],
  ])('contract: one flag asked, answered with %s, loads', async (_shape, body) => {
    agent.body = JSON.stringify(body);
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, flags: ['checkout'], agent: { baseUrl: agent.url, env: {} } });
    const status = await config.start();
    expect(status.source).toBe('remote');
    expect(status.lastError).toBeUndefined();
    expect(config.isEnabled('checkout')).toBe(true);
    expect(config.attribute('checkout', 'rolloutPercent', 0)).toBe(20);
    // The context-specific read takes the same shapes.
    agent.body = JSON.stringify('enabled' in body ? { enabled: false, _variant: 'off' } : { checkout: { enabled: false, _variant: 'off' } });
    expect(await config.flagsFor({ tier: 'free' })).toEqual({ checkout: { enabled: false, _variant: 'off' } });
    await config.close();
  });

  test('contract: a flag named "enabled", asked alone, is told apart in both shapes', async () => {
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, flags: ['enabled'], agent: { baseUrl: agent.url, env: {} } });
    agent.body = JSON.stringify({ enabled: { enabled: true } });
    await config.start();
    expect(config.value()).toEqual({ enabled: { enabled: true } });
    agent.body = JSON.stringify({ enabled: false });
    await config.refresh();
    expect(config.value()).toEqual({ enabled: { enabled: false } });
    await config.close();
  });

  test('contract: a single-flag body that is neither shape fails to parse and keeps the last good value', async () => {
    agent.body = JSON.stringify({ enabled: true });
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, flags: ['checkout'], agent: { baseUrl: agent.url, env: {} } });
    await config.start();
    agent.body = JSON.stringify({ enabled: 'yes' });
    await config.refresh();
    expect(config.status().lastError?.kind).toBe('parse');
    expect(config.isEnabled('checkout')).toBe(true);
    await config.close();
  });

  test('contract: two flags asked are read as the map, and a key asked twice is sent once', async () => {
    agent.body = JSON.stringify({ checkout: { enabled: true }, theme: { enabled: false } });
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, flags: ['checkout', 'theme', 'checkout'], agent: { baseUrl: agent.url, env: {} } });
    await config.start();
    expect(config.value()).toEqual({ checkout: { enabled: true }, theme: { enabled: false } });
    expect(agent.requests[0]!.url).toMatch(/\?flag=checkout&flag=theme$/);
    await config.close();
  });
});

describe('DynamicConfig: bundled defaults', () => {
  test('serve the compiled document of a named environment until the first success', async () => {
    const down = await listen(() => undefined);
    const port = down.port;
    await down.close();
    const config = new DynamicConfig<EvaluatedFlags>({
      application: 'groupsync-v3',
      environment: 'prod-01',
      profile: 'browser',
      agent: { baseUrl: `http://127.0.0.1:${port}`, env: {} },
      defaults: { root: REPO_ROOT, environment: 'prod-01' },
    });
    await config.start();
    expect(config.status()).toMatchObject({ source: 'defaults', consecutiveFailures: 1, lastError: { kind: 'connection' } });
    expect(config.status().ageMs).toBeUndefined();
    expect(config.flag('realtime-presence')).toEqual({ enabled: false, _variant: 'off' });
    expect(config.isEnabled('theme')).toBe(true);

    const agent = await new FakeAgent().start(port);
    agent.body = JSON.stringify({ theme: { enabled: false } });
    expect(await config.refresh()).toBe(true);
    expect(config.status().source).toBe('remote');
    expect(config.isEnabled('theme', true)).toBe(false);
    await config.close();
    await agent.server.close();
  });

  test('without defaults nothing is served before the first success, and lookups fall back', async () => {
    const down = await listen(() => undefined);
    await down.close();
    const config = new DynamicConfig({ ...PROFILE, agent: { baseUrl: down.url, env: {} } });
    await config.start();
    expect(config.status().source).toBe('none');
    expect(config.value()).toBeUndefined();
    expect(config.isEnabled('checkout', true)).toBe(true);
    await config.close();
  });

  test('defaults that do not exist are refused at construction, naming what is missing', () => {
    const root = copySample();
    try {
      expect(() => new DynamicConfig({ application: 'sso-service', environment: 'beta', profile: 'browser', agent: { baseUrl: 'http://127.0.0.1:9', env: {} }, defaults: { root, environment: 'beta' } })).toThrow(
        /no compiled document beta\/sso-service\/browser/,
      );
    } finally {
      rmrf(root);
    }
  });

  test('raw content defaults in the stored format are evaluated like the agent would', async () => {
    const content = JSON.stringify({ version: '1', flags: { a: { name: 'A' } }, values: { a: { _variants: [{ name: 'x', rule: '(eq $t "1")', enabled: true }, { name: 'd', enabled: false }] } } });
    const config = new DynamicConfig<EvaluatedFlags>({ ...PROFILE, agent: { baseUrl: 'http://127.0.0.1:9', env: {} }, defaults: { content } });
    expect(config.flag('a')).toEqual({ enabled: false, _variant: 'd' });
    await config.close();
  });
});

describe('agent URL from the environment', () => {
  test.each([
    [{}, 'http://localhost:2772'],
    [{ APPCONFIG_AGENT_HOST: '10.0.3.7' }, 'http://10.0.3.7:2772'],
    [{ APPCONFIG_AGENT_HOST: '10.0.3.7', APPCONFIG_AGENT_PORT: '2800' }, 'http://10.0.3.7:2800'],
    [{ APPCONFIG_AGENT_HOST: 'fd00::7' }, 'http://[fd00::7]:2772'],
    [{ APPCONFIG_AGENT_HOST: '[fd00::7]' }, 'http://[fd00::7]:2772'],
  ])('%j -> %s', (env, url) => {
    expect(agentBaseUrlFromEnv(env)).toBe(url);
  });

  test.each(['0', '70000', 'http'])('port %s is refused with the variable named', (port) => {
    expect(() => agentBaseUrlFromEnv({ APPCONFIG_AGENT_PORT: port })).toThrow(/APPCONFIG_AGENT_PORT must be a port number/);
  });
});
