import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { BffGateway, BffStartError } from '../../lib/runtime/bff';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, listen, mountBff, waitFor } from './helpers';

const APP = 'groupsync-v3';

/** A WebSocket client that records every frame. */
class Recorder {
  readonly frames: string[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => this.frames.push(String(data)));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
  }

  snapshots(): { type: string; version: string; flags: Record<string, { enabled: boolean; [k: string]: unknown }> }[] {
    return this.frames.map((f) => JSON.parse(f));
  }
}

/** Why an upgrade was refused: the status line of the HTTP response. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

const mount = mountBff;

/** Forwards to the agent and records every path the BFF asked for. */
async function recordingProxy(target: string) {
  const paths: string[] = [];
  const proxy = await listen((req, res) => {
    paths.push(req.url!);
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent: false }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return { url: proxy.url, paths, close: proxy.close };
}

function editFlags(root: string, edit: (flags: Record<string, { default?: Record<string, unknown>; environments?: Record<string, Record<string, unknown>> }>) => void): void {
  const file = path.join(root, 'flags', `${APP}.json`);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(doc.flags);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}

describe('BFF: server-only flags never reach a browser', () => {
  let root: string;
  let agent: LocalAgent;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let bff: Awaited<ReturnType<typeof mount>>;
  let serverOnly: string[];
  let browserKeys: string[];

  beforeAll(async () => {
    root = copySample();
    const model = loadWorkspaceFromDisk(root).model!;
    const app = model.applications.find((a) => a.name === APP)!;
    browserKeys = [...app.browserFlagKeys].sort();
    serverOnly = app.flagKeys.filter((k) => !app.browserFlagKeys.includes(k));
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20 });
    proxy = await recordingProxy(agent.url);
    bff = await mount({ agentUrl: proxy.url, application: APP, environment: 'beta', pollIntervalMs: 50, demoPage: true });
  });
  afterAll(async () => {
    await bff.close();
    await proxy.close();
    await agent.close();
    rmrf(root);
  });

  test('the sample app has server-only flags to leak, so the test can fail', () => {
    expect(serverOnly).toEqual(expect.arrayContaining(['bulk-sync-batch', 'directory-connector-v2']));
  });

  test('no response, page or frame names a server-only flag, before or after a change', async () => {
    const seen: string[] = [];
    const client = new Recorder(bff.ws);
    await client.opened;
    await waitFor('the first frame', () => client.frames.length >= 1);
    seen.push((await get(`${bff.url}/config`)).body, (await get(`${bff.url}/config/demo`)).body);

    // Change a browser flag and a server-only flag together.
    editFlags(root, (flags) => {
      flags['new-group-editor']!.environments!.beta = { enabled: false };
      flags['bulk-sync-batch']!.default = { enabled: true, batchSize: 777 };
    });
    await waitFor('the change to be pushed', () => client.snapshots().some((s) => s.flags['new-group-editor']?.enabled === false));
    seen.push(...client.frames, (await get(`${bff.url}/config`)).body);
    client.ws.close();

    for (const text of seen) {
      for (const key of serverOnly) expect(text).not.toContain(key);
      expect(text).not.toContain('batchSize');
    }
    for (const s of client.snapshots()) expect(Object.keys(s.flags).sort()).toEqual(browserKeys);
    // The BFF never even asks for anything but the browser profile.
    expect(proxy.paths.length).toBeGreaterThan(0);
    for (const p of proxy.paths) expect(p).toBe(`/applications/${APP}/environments/beta/configurations/browser`);
  });

  test('GET /config is the browser profile: exactly the browser-exposed flags, with a version', async () => {
    const res = await get(`${bff.url}/config`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const snapshot = JSON.parse(res.body);
    expect(Object.keys(snapshot.flags).sort()).toEqual(browserKeys);
    expect(snapshot.version).toMatch(/^[0-9a-f]{16}$/);
  });

  test('the demo page embeds the snapshot safely and serves the client module', async () => {
    const page = await get(`${bff.url}/config/demo`);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toMatch(/<script type="application\/json" id="dynconf-snapshot">\{"version":/);
    const client = await get(`${bff.url}/config/client.js`);
    expect(client.headers['content-type']).toMatch(/^text\/javascript/);
    expect(client.body).toContain('export function connect');
  });
});

describe('BFF: pushes', () => {
  let root: string;
  let agent: LocalAgent;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let bff: Awaited<ReturnType<typeof mount>>;

  beforeEach(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20 });
    proxy = await recordingProxy(agent.url);
  });
  afterEach(async () => {
    await bff?.close();
    await proxy.close();
    await agent.close();
    rmrf(root);
  });

  test('the snapshot on connect and again on every change; one upstream read serves every client', async () => {
    // A long poll interval: the test drives the reads with refresh().
    bff = await mount({ agentUrl: proxy.url, application: APP, environment: 'beta', pollIntervalMs: 3_600_000 });
    const clients = Array.from({ length: 20 }, () => new Recorder(bff.ws));
    await Promise.all(clients.map((c) => c.opened));
    await waitFor('every client to get the snapshot', () => clients.every((c) => c.frames.length === 1));
    for (let i = 0; i < 50; i++) await get(`${bff.url}/config`);
    const readsBefore = proxy.paths.length;

    editFlags(root, (flags) => (flags.theme!.environments!.beta = { enabled: true, scheme: 'light' }));
    await waitFor('the agent to serve the edit', async () => JSON.parse((await get(`${agent.url}/applications/${APP}/environments/beta/configurations/browser`)).body).theme.scheme === 'light');
    expect(await bff.gateway.refresh()).toBe(true);
    await waitFor('every client to get the change', () => clients.every((c) => c.frames.length === 2));
    expect(proxy.paths.length).toBe(readsBefore + 1);
    for (const c of clients) expect(c.snapshots()[1]!.flags.theme).toEqual({ enabled: true, scheme: 'light', accent: '#1f6feb' });

    // A read that finds nothing new sends nothing.
    expect(await bff.gateway.refresh()).toBe(false);
    clients.forEach((c) => c.ws.close());
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.every((c) => c.frames.length === 2)).toBe(true);
    await waitFor('the gateway to count the closes', () => bff.gateway.stats().connections === 0);
  });

  test('the variant context comes from the server-side callback, not from what the browser sends', async () => {
    const sessions: Record<string, { plan: string; userId: string }> = { 'sess-team': { plan: 'team', userId: 'u-1' } };
    bff = await mount({
      agentUrl: proxy.url,
      application: APP,
      environment: 'beta',
      pollIntervalMs: 3_600_000,
      contextFor: (req) => sessions[/session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1] ?? ''],
    });
    const team = new Recorder(bff.ws, { headers: { cookie: 'session=sess-team' } });
    // A browser that claims a plan in its own Context header and query string gets nothing for it.
    const claimer = new Recorder(`${bff.ws}?plan=team`, { headers: { context: 'plan=team' } });
    await Promise.all([team.opened, claimer.opened]);
    await waitFor('both snapshots', () => team.frames.length >= 1 && claimer.frames.length >= 1);
    expect(team.snapshots()[0]!.flags['realtime-presence']).toEqual({ enabled: true, heartbeatSeconds: 15, _variant: 'paid-plans' });
    expect(claimer.snapshots()[0]!.flags['realtime-presence']).toEqual({ enabled: false, _variant: 'off' });
    const claimed = await get(`${bff.url}/config?plan=team`, { context: 'plan=team' });
    expect(JSON.parse(claimed.body).flags['realtime-presence']._variant).toBe('off');
    const withSession = await get(`${bff.url}/config`, { cookie: 'session=sess-team' });
    expect(JSON.parse(withSession.body).flags['realtime-presence']._variant).toBe('paid-plans');
    expect(await bff.gateway.renderSnapshotScript({ headers: { cookie: 'session=sess-team' } } as http.IncomingMessage)).toContain('paid-plans');

    // A change reaches the context group too, evaluated with its context.
    editFlags(root, (flags) => {
      const v = flags['realtime-presence']!.default!.variants as { attributeValues?: Record<string, number> }[];
      v[0]!.attributeValues = { heartbeatSeconds: 20 };
    });
    await waitFor('the agent to serve the edit', async () => (await get(`${agent.url}/applications/${APP}/environments/beta/configurations/browser`, { context: 'plan=team' })).body.includes('"heartbeatSeconds":20'));
    await bff.gateway.refresh();
    await waitFor('the context group to get the change', () => team.snapshots().some((s) => s.flags['realtime-presence']!.heartbeatSeconds === 20));
    expect(team.snapshots().at(-1)!.flags['realtime-presence']!._variant).toBe('paid-plans');
    team.ws.close();
    claimer.ws.close();
    await Promise.all([team.closed, claimer.closed]);
  });
});

describe('BFF: protecting itself', () => {
  let root: string;
  let agent: LocalAgent;
  let bff: Awaited<ReturnType<typeof mount>> | undefined;

  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false });
  });
  afterEach(async () => {
    await bff?.close();
    bff = undefined;
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test('an Origin allowlist: other origins are refused, listed and same origins are served', async () => {
    bff = await mount({ agentUrl: agent.url, application: APP, environment: 'beta', allowedOrigins: ['https://app.example.com'] });
    expect(await refusal(bff.ws, { origin: 'https://evil.example' })).toBe(403);
    const listed = new Recorder(bff.ws, { origin: 'https://app.example.com' });
    const same = new Recorder(bff.ws, { origin: bff.url });
    await Promise.all([listed.opened, same.opened]);
    const evil = await get(`${bff.url}/config`, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    const ok = await get(`${bff.url}/config`, { origin: 'https://app.example.com' });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    listed.ws.close();
    same.ws.close();
    await Promise.all([listed.closed, same.closed]);
    expect(bff.gateway.stats().rejected).toBe(1);
  });

  test('a connection cap: the next upgrade is a 503 until a slot frees', async () => {
    bff = await mount({ agentUrl: agent.url, application: APP, environment: 'beta', maxConnections: 2 });
    const a = new Recorder(bff.ws);
    const b = new Recorder(bff.ws);
    await Promise.all([a.opened, b.opened]);
    expect(await refusal(bff.ws)).toBe(503);
    a.ws.close();
    await a.closed;
    await waitFor('the slot to free', () => bff!.gateway.stats().connections === 1);
    const c = new Recorder(bff.ws);
    await c.opened;
    b.ws.close();
    c.ws.close();
    await Promise.all([b.closed, c.closed]);
  });

  test('heartbeats: a client that stops answering pings is terminated; one that answers stays', async () => {
    bff = await mount({ agentUrl: agent.url, application: APP, environment: 'beta', heartbeatIntervalMs: 40 });
    const mute = new Recorder(bff.ws, { autoPong: false });
    const live = new Recorder(bff.ws);
    await Promise.all([mute.opened, live.opened]);
    await mute.closed;
    expect(bff.gateway.stats().terminated).toBe(1);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
    await live.closed;
  });

  test('an application without a browser profile cannot start a gateway', async () => {
    const err = await new BffGateway({ agentUrl: agent.url, application: 'sso-service', environment: 'beta' }).start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BffStartError);
    expect((err as Error).message).toMatch(/404.*does 'sso-service' have browser-exposed flags/);
  });
});

describe('BFF: a slow client is dropped, not buffered without limit', () => {
  test('the reader that stops reading is terminated; the others get every frame', async () => {
    // Big snapshots fill the kernel's socket buffers quickly, so the bound is reached.
    let n = 0;
    const upstream = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': String(n) });
      res.end(JSON.stringify({ big: { enabled: true, n, blob: 'x'.repeat(256 * 1024) } }));
    });
    const logs: string[] = [];
    const bff = await mount({ agentUrl: upstream.url, application: APP, environment: 'beta', pollIntervalMs: 3_600_000, maxBufferedBytes: 512 * 1024, log: (l) => logs.push(l) });
    const fast = new Recorder(bff.ws);
    await fast.opened;

    // The slow client: completes the handshake, then never reads again.
    const slow = net.connect(Number(new URL(bff.url).port), '127.0.0.1');
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    slow.on('error', () => undefined);
    slow.write(`GET /config/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise<void>((resolve) => slow.once('data', () => resolve()));
    slow.pause();

    let pushes = 0;
    while (bff.gateway.stats().dropped === 0 && pushes < 400) {
      n++;
      await bff.gateway.refresh();
      pushes++;
      // Let the fast client drain, as a healthy browser would.
      await waitFor('the fast client to keep up', () => fast.frames.length === pushes + 1);
    }
    expect(bff.gateway.stats().dropped).toBe(1);
    expect(logs.join('\n')).toMatch(/dropped a slow client/);
    // Reading again, the slow client finds its connection closed after what was sent.
    slow.resume();
    await waitFor('the slow socket to be closed', () => slowClosed);
    expect(fast.frames).toHaveLength(pushes + 1);
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
    fast.ws.close();
    await fast.closed;
    slow.destroy();
    await bff.close();
    await upstream.close();
  });
});

describe('BFF: an agent that is down', () => {
  test('GET /config is a 503 until the first read succeeds, then the snapshot', async () => {
    const down = await listen(() => undefined);
    const port = down.port;
    await down.close();
    const bff = await mount({ agentUrl: `http://127.0.0.1:${port}`, application: APP, environment: 'beta', pollIntervalMs: 3_600_000 });
    const first = await get(`${bff.url}/config`);
    expect(first.status).toBe(503);
    const upstream = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': 'v1' }).end('{"theme":{"enabled":true}}'), port);
    await bff.gateway.refresh();
    const second = await get(`${bff.url}/config`);
    expect(JSON.parse(second.body)).toEqual({ version: 'v1', flags: { theme: { enabled: true } } });
    // The agent goes away again: the last good snapshot stays.
    await upstream.close();
    await bff.gateway.refresh();
    expect(JSON.parse((await get(`${bff.url}/config`)).body).version).toBe('v1');
    await bff.close();
  });
});

describe('BFF: frames on the wire', () => {
  test('bff frames: snapshots at the RFC 6455 length boundaries arrive as single unmasked text frames with the right length encoding', async () => {
    let blob = '';
    let version = 0;
    const upstream = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': `v${version}` });
      res.end(JSON.stringify({ big: { enabled: true, blob } }));
    });
    const bff = await mount({ agentUrl: upstream.url, application: APP, environment: 'beta', pollIntervalMs: 3_600_000 });
    const socket = net.connect(Number(new URL(bff.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const frames: { head: number[]; masked: boolean; payload: Buffer }[] = [];
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (;;) {
        if (buf.length < 2) return;
        const len7 = buf[1]! & 0x7f;
        const offset = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        if (buf.length < offset) return;
        const len = len7 === 126 ? buf.readUInt16BE(2) : len7 === 127 ? Number(buf.readBigUInt64BE(2)) : len7;
        if (buf.length < offset + len) return;
        frames.push({ head: [...buf.subarray(0, offset)], masked: (buf[1]! & 0x80) !== 0, payload: Buffer.from(buf.subarray(offset, offset + len)) });
        buf = buf.subarray(offset + len);
      }
    });
    socket.write(`GET /config/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitFor('the first frame', () => frames.length === 1);
    const cases: [number, number[]][] = [
      [125, [0x81, 125]],
      [126, [0x81, 126, 0, 126]],
      [65535, [0x81, 126, 0xff, 0xff]],
      [65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
    ];
    for (const [n, head] of cases) {
      version++;
      // The message is {"type":"snapshot","version":"vN","flags":{"big":{...,"blob":"..."}}}.
      const empty = JSON.stringify({ type: 'snapshot', version: `v${version}`, flags: { big: { enabled: true, blob: '' } } }).length;
      blob = 'x'.repeat(n - empty);
      const before = frames.length;
      await bff.gateway.refresh();
      await waitFor(`the ${n}-byte frame`, () => frames.length === before + 1);
      const f = frames.at(-1)!;
      expect(f.head).toEqual(head);
      expect(f.masked).toBe(false);
      expect(f.payload).toHaveLength(n);
      expect(JSON.parse(f.payload.toString('utf8')).flags.big.blob).toBe(blob);
    }
    socket.destroy();
    await bff.close();
    await upstream.close();
  });
});
