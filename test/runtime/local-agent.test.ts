import type * as NodeCrypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findDocument, loadWorkspaceFromDisk } from '../../lib/model';
import { DynamicConfig } from '../../lib/runtime/dynamic-config';
import type { EvaluatedFlags } from '../../lib/runtime/feature-flags';
import { LocalAgent, LocalAgentError } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, waitFor } from './helpers';

const APP = 'groupsync-v3';
const path_ = (env: string, profile: string, app = APP) => `/applications/${app}/environments/${env}/configurations/${profile}`;

describe('local agent: the agent HTTP contract', () => {
  let root: string;
  let agent: LocalAgent;
  const url = (p: string) => `${agent.url}${p}`;

  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'prod-01', port: 0, watch: false });
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test('a feature-flag profile is served evaluated: enabled, attributes, _variant', async () => {
    const res = await get(url(path_('prod-01', 'browser')));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({
      'new-group-editor': { enabled: false },
      'realtime-presence': { enabled: false, _variant: 'off' },
      theme: { enabled: true, scheme: 'system', accent: '#1f6feb' },
    });
  });

  test('a freeform profile is served byte for byte as compiled', async () => {
    const model = loadWorkspaceFromDisk(root).model!;
    const res = await get(url(path_('prod-01', 'ops')));
    expect(res.status).toBe(200);
    expect(res.body).toBe(findDocument(model, 'prod-01', APP, 'ops')!.content);
  });

  test('?flag= picks flags', async () => {
    const res = await get(url(`${path_('prod-01', 'flags')}?flag=theme&flag=bulk-sync-batch`));
    expect(JSON.parse(res.body)).toEqual({ theme: { enabled: true, scheme: 'system', accent: '#1f6feb' }, 'bulk-sync-batch': { enabled: true, batchSize: 1000 } });
  });

  test('contract: one ?flag= returns that flag\'s object itself, as the AppConfig Agent 2.0.x does; two or more the map', async () => {
    const one = await get(url(`${path_('prod-01', 'flags')}?flag=bulk-sync-batch`));
    expect(one.status).toBe(200);
    expect(JSON.parse(one.body)).toEqual({ enabled: true, batchSize: 1000 });
    // The same key twice is still one flag.
    expect(JSON.parse((await get(url(`${path_('prod-01', 'flags')}?flag=bulk-sync-batch&flag=bulk-sync-batch`))).body)).toEqual({ enabled: true, batchSize: 1000 });
    const two = await get(url(`${path_('prod-01', 'flags')}?flag=bulk-sync-batch&flag=theme`));
    expect(Object.keys(JSON.parse(two.body)).sort()).toEqual(['bulk-sync-batch', 'theme']);
  });

  test('contract: the Node client asking one flag of the local agent loads it (it used to stay at source none)', async () => {
    const config = new DynamicConfig<EvaluatedFlags>({ application: APP, environment: 'prod-01', profile: 'flags', flags: ['bulk-sync-batch'], agent: { baseUrl: agent.url, env: {} } });
    try {
      expect((await config.start()).source).toBe('remote');
      expect(config.isEnabled('bulk-sync-batch')).toBe(true);
      expect(config.attribute('bulk-sync-batch', 'batchSize', 0)).toBe(1000);
      expect(await config.flagsFor({ plan: 'team' })).toEqual({ 'bulk-sync-batch': { enabled: true, batchSize: 1000 } });
    } finally {
      await config.close();
    }
  });

  test('Context headers choose variants: one header per key, or comma-separated', async () => {
    const paid = await get(url(`${path_('prod-01', 'browser')}?flag=realtime-presence`), { context: ['plan=team', 'userId=u-1'] });
    expect(JSON.parse(paid.body)).toEqual({ enabled: true, heartbeatSeconds: 15, _variant: 'paid-plans' });
    const free = await get(url(`${path_('prod-01', 'browser')}?flag=realtime-presence`), { context: 'plan=free, userId=u-1' });
    expect(JSON.parse(free.body)._variant).not.toBe('paid-plans');
  });

  test('a malformed Context header is a 400 naming the entry', async () => {
    const res = await get(url(path_('prod-01', 'browser')), { context: 'plan' });
    expect(res.status).toBe(400);
    expect(res.body).toContain("'plan'");
  });

  test.each([
    ['an unknown application', path_('prod-01', 'flags', 'nope'), /application 'nope' not found/],
    ['an unknown environment', path_('nope', 'flags'), /environment 'nope' not found/],
    ['an environment this agent does not serve', path_('beta', 'flags'), /not served by this agent.*--env beta/],
    ['an unknown profile', path_('prod-01', 'nope'), /profile 'nope' not found/],
    ['a browser profile of an app without browser flags', path_('prod-01', 'browser', 'sso-service'), /profile 'browser' not found/],
    ['an unknown ?flag=', `${path_('prod-01', 'flags')}?flag=nope`, /flag 'nope' not found/],
    ['another path', '/healthz', /use GET \/applications/],
  ])('%s is a 404 that says what is wrong', async (_name, p, message) => {
    const res = await get(url(p));
    expect(res.status).toBe(404);
    expect(res.body).toMatch(message);
  });

  test('?flag= on a freeform profile is a 400', async () => {
    const res = await get(url(`${path_('prod-01', 'ops')}?flag=x`));
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/feature flag profiles/);
  });

  test('only GET and HEAD', async () => {
    const post = await get(url(path_('prod-01', 'flags')), {}, 'POST');
    expect(post.status).toBe(405);
    const head = await get(url(path_('prod-01', 'flags')), {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['configuration-version']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('Configuration-Version differs between documents and is stable for one', async () => {
    const a = await get(url(path_('prod-01', 'flags')));
    const b = await get(url(path_('prod-01', 'flags')));
    const c = await get(url(path_('prod-01', 'ops')));
    expect(a.headers['configuration-version']).toBe(b.headers['configuration-version']);
    expect(a.headers['configuration-version']).not.toBe(c.headers['configuration-version']);
  });
});

describe('local agent: token', () => {
  let root: string;
  let agent: LocalAgent;
  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, token: 's3cret-token' });
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test('401 without the token, 403 with another, 200 with it', async () => {
    const u = `${agent.url}${path_('beta', 'flags')}`;
    const none = await get(u);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await get(u, { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await get(u, { authorization: 'Bearer s3cret-token-but-longer' })).status).toBe(403);
    expect((await get(u, { authorization: 'Bearer s3cret-token' })).status).toBe(200);
  });

  test('token: the Bearer scheme is matched in any case (RFC 9110 §11.1)', async () => {
    const u = `${agent.url}${path_('beta', 'flags')}`;
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) expect((await get(u, { authorization: `${scheme} s3cret-token` })).status).toBe(200);
  });

  test('token: one or more spaces between scheme and token are accepted (RFC 9110 §11.4: 1*SP)', async () => {
    const u = `${agent.url}${path_('beta', 'flags')}`;
    expect((await get(u, { authorization: 'Bearer    s3cret-token' })).status).toBe(200);
    expect((await get(u, { authorization: 'Bearer s3cret-token   ' })).status).toBe(200);
    // No separator, another scheme, or no token: not Bearer credentials at all.
    for (const value of ['Bearers3cret-token', 'Basic czNjcmV0LXRva2Vu', 'Bearer', 'Bearer    ']) {
      const res = await get(u, { authorization: value });
      expect([value, res.status, res.headers['www-authenticate']]).toEqual([value, 401, 'Bearer']);
    }
    // A space inside is not part of a token68: a different token.
    expect((await get(u, { authorization: 'Bearer s3cret -token' })).status).toBe(403);
  });

  test('token: compared in constant time, whatever the length of the token sent', async () => {
    // The module object itself (an `import * as` namespace would be a copy).
    const spy = jest.spyOn(jest.requireActual<typeof NodeCrypto>('node:crypto'), 'timingSafeEqual');
    try {
      const u = `${agent.url}${path_('beta', 'flags')}`;
      for (const given of ['x', 's3cret-tokeX', 'y'.repeat(4096)]) expect((await get(u, { authorization: `Bearer ${given}` })).status).toBe(403);
      // Every wrong token was compared (no early exit on length), over buffers of one size.
      expect(spy).toHaveBeenCalledTimes(3);
      for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    } finally {
      spy.mockRestore();
    }
  });

  test('an unknown application is not revealed without the token', async () => {
    expect((await get(`${agent.url}${path_('beta', 'flags', 'nope')}`)).status).toBe(401);
  });
});

describe('local agent: live on edit', () => {
  let root: string;
  let agent: LocalAgent;
  let logs: string[];
  const flagsFile = () => path.join(root, 'flags', `${APP}.json`);
  const editFlags = (edit: (doc: { flags: Record<string, { default?: Record<string, unknown>; environments?: Record<string, Record<string, unknown>> }> }) => void) => {
    const doc = JSON.parse(fs.readFileSync(flagsFile(), 'utf8'));
    edit(doc);
    fs.writeFileSync(flagsFile(), JSON.stringify(doc, null, 2));
  };

  beforeEach(async () => {
    root = copySample();
    logs = [];
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, log: (l) => logs.push(l) });
  });
  afterEach(async () => {
    await agent.close();
    rmrf(root);
  });

  test('a valid edit is served, with a new Configuration-Version; untouched documents keep theirs', async () => {
    const u = `${agent.url}${path_('beta', 'browser')}`;
    const before = await get(u);
    const opsBefore = await get(`${agent.url}${path_('beta', 'ops')}`);
    expect(JSON.parse(before.body)['new-group-editor']).toEqual({ enabled: true });
    editFlags((doc) => (doc.flags['new-group-editor']!.environments!.beta = { enabled: false }));
    const after = await waitFor('the edit to be served', async () => {
      const r = await get(u);
      return JSON.parse(r.body)['new-group-editor'].enabled === false ? r : undefined;
    });
    expect(after.headers['configuration-version']).not.toBe(before.headers['configuration-version']);
    expect((await get(`${agent.url}${path_('beta', 'ops')}`)).headers['configuration-version']).toBe(opsBefore.headers['configuration-version']);
    expect(logs.join('\n')).toMatch(/reloaded; changed: .*groupsync-v3\/browser/);
  });

  test('an invalid edit is logged with its location and the last good version stays', async () => {
    const u = `${agent.url}${path_('beta', 'browser')}`;
    const before = await get(u);
    editFlags((doc) => (doc.flags.theme!.environments!.beta = { enabled: true, scheme: 'neon' }));
    await waitFor('the validation error to be logged', () => logs.some((l) => l.includes('still serving')));
    expect(logs.join('\n')).toMatch(/flags\/groupsync-v3\.json:\d+:\d+ error .*neon/);
    const after = await get(u);
    expect(after.body).toBe(before.body);
    expect(after.headers['configuration-version']).toBe(before.headers['configuration-version']);

    // Fixing the file is picked up again.
    editFlags((doc) => (doc.flags.theme!.environments!.beta = { enabled: true, scheme: 'light' }));
    await waitFor('the fix to be served', async () => JSON.parse((await get(u)).body).theme.scheme === 'light');
  });

  test('reload: a key with an invalid escape ("log\\qLevel") never takes the agent down; the last good version stays', async () => {
    const u = `${agent.url}${path_('beta', 'ops')}`;
    const before = await get(u);
    const ops = path.join(root, 'config/ops', APP, 'beta.json');
    fs.writeFileSync(ops, fs.readFileSync(ops, 'utf8').replace('"logLevel"', '"log\\qLevel"'));
    await waitFor('the failed reload to be logged', () => logs.some((l) => l.includes('still serving')));
    // Whatever the loader makes of the key (a located error, or a crash), the log names the file.
    expect(logs.join('\n')).toMatch(/config\/ops\/groupsync-v3\/beta\.json/);
    const after = await get(u);
    expect(after.status).toBe(200);
    expect(after.body).toBe(before.body);
  });

  test('a file that is not JSON keeps the last good version', async () => {
    const u = `${agent.url}${path_('beta', 'flags')}`;
    const before = await get(u);
    fs.writeFileSync(flagsFile(), '{ "flags": ');
    await waitFor('the parse error to be logged', () => logs.some((l) => l.includes('still serving')));
    expect((await get(u)).body).toBe(before.body);
  });
});

describe('local agent: start', () => {
  test('refuses an environment the workload does not define, naming the known ones', async () => {
    const root = copySample();
    try {
      await expect(LocalAgent.start({ root, environment: 'prod-9', port: 0, watch: false })).rejects.toThrow(/environment 'prod-9' is not in config\/workload.json \(environments: beta, gamma/);
    } finally {
      rmrf(root);
    }
  });

  test('refuses a workspace that does not validate, with located diagnostics', async () => {
    const root = copySample();
    try {
      fs.writeFileSync(path.join(root, 'flags', `${APP}.json`), '{');
      const err = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalAgentError);
      expect((err as LocalAgentError).diagnostics.join('\n')).toMatch(/^flags\/groupsync-v3\.json:\d+:\d+ error/m);
    } finally {
      rmrf(root);
    }
  });
});
