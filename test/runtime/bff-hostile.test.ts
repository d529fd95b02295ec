/**
 * Hostile requests against the BFF, sent over raw sockets so that every header is exactly
 * what an attacker (or a DNS-rebound page) would send: the Host allowlist, the whole-origin
 * comparison, and nosniff on every response, refusals included.
 */
import * as net from 'node:net';
import { BffGateway, type BffGatewayOptions } from '../../lib/runtime/bff';
import { get, listen, mountBff, raw, rawRequest, type RawResponse, waitFor } from './helpers';

const APP = 'groupsync-v3';
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(port: number, headers: Record<string, string | undefined>, opts: { path?: string; method?: string; version?: string } = {}): Promise<RawResponse> {
  return rawRequest(port, headers, { path: '/config', ...opts });
}

function upgrade(port: number, headers: Record<string, string | undefined>, opts: { method?: string; key?: string } = {}): Promise<RawResponse> {
  const all = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': opts.key ?? KEY, 'Sec-WebSocket-Version': '13', ...headers };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return raw(port, `${opts.method ?? 'GET'} /config/ws HTTP/1.1\r\n${lines}\r\n`);
}

function mount(agentUrl: string, options: Partial<BffGatewayOptions> = {}) {
  return mountBff({ agentUrl, application: APP, environment: 'beta', pollIntervalMs: 3_600_000, demoPage: true, ...options });
}

describe('BFF: hostile requests', () => {
  let upstream: Awaited<ReturnType<typeof listen>>;
  let bff: Awaited<ReturnType<typeof mount>>;
  let P: number;
  let own: string;

  beforeAll(async () => {
    upstream = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': 'v1' }).end('{"theme":{"enabled":true}}'));
    bff = await mount(upstream.url, { allowedOrigins: ['https://App.Example.com'], allowedHosts: ['app.example.com', '.corp.example'], maxConnections: 1 });
    P = bff.port;
    own = `http://127.0.0.1:${P}`;
  });
  afterAll(async () => {
    await bff.close();
    await upstream.close();
  });

  test.each([
    ['127.0.0.1 with the port', () => `127.0.0.1:${P}`],
    ['localhost', () => `localhost:${P}`],
    ['LOCALHOST (names are case-insensitive)', () => `LOCALHOST:${P}`],
    ['[::1]', () => `[::1]:${P}`],
    ['another IP address (a probe by pod IP; rebinding needs a name)', () => '10.1.2.3:8080'],
    ['an allowed name on any port', () => 'APP.example.com:8443'],
    ['a subdomain of an allowed .domain', () => 'x.corp.example'],
  ])('bff host allowlist: %s is served', async (_what, host) => {
    const res = await request(P, { Host: host() });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).flags.theme.enabled).toBe(true);
  });

  test.each([
    ['an attacker name (DNS rebinding)', () => `evil.example:${P}`],
    ['localhost with a trailing dot', () => `localhost.:${P}`],
    ['an allowed name with a trailing dot', () => 'app.example.com.'],
    ['userinfo before an allowed address', () => `evil.example@127.0.0.1:${P}`],
    ['a suffix that is not a subdomain', () => 'evilcorp.example'],
    ['the .domain itself', () => 'corp.example'],
    ['an allowed name as a prefix', () => 'app.example.com.evil.example'],
    ['a path in Host', () => `127.0.0.1:${P}/x`],
    ['an IPv4 address in another notation', () => `0x7f.1:${P}`],
  ])('bff host allowlist: %s gets 421 on GET /config and on the upgrade', async (_what, host) => {
    const res = await request(P, { Host: host() });
    expect(res.status).toBe(421);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).not.toContain('theme');
    const up = await upgrade(P, { Host: host() });
    expect(up.status).toBe(421);
    expect(up.headers['x-content-type-options']).toBe('nosniff');
  });

  test('bff host allowlist: a rebound page (Host and Origin both the attacker name) cannot read or connect', async () => {
    // Before the allowlist this passed: the Origin's host equalled the Host header.
    const evil = `evil.example:${P}`;
    expect((await request(P, { Host: evil, Origin: `http://${evil}` })).status).toBe(421);
    expect((await upgrade(P, { Host: evil, Origin: `http://${evil}` })).status).toBe(421);
    expect((await request(P, { Host: evil }, { path: '/config/demo' })).status).toBe(421);
  });

  test('bff host allowlist: HTTP/1.0 without a Host header is refused', async () => {
    expect((await request(P, {}, { version: '1.0' })).status).toBe(421);
  });

  test.each([
    ['the own origin', 200, () => own],
    ['no Origin (not a browser page)', 200, () => undefined],
    ['an allowed origin (configured with capitals, compared canonically)', 200, () => 'https://app.example.com'],
    ['the own host over https (scheme mismatch)', 403, () => `https://127.0.0.1:${P}`],
    ['the own host on another port', 403, () => `http://127.0.0.1:${P + 1}`],
    ['the own host without a port', 403, () => 'http://127.0.0.1'],
    ['null (sandboxed frame, file:)', 403, () => 'null'],
    ['uppercase scheme and host', 403, () => `HTTP://127.0.0.1:${P}`],
    ['a trailing dot', 403, () => `http://127.0.0.1.:${P}`],
    ['a trailing slash', 403, () => `${own}/`],
    ['userinfo before the own host', 403, () => `http://evil.example@127.0.0.1:${P}`],
    ['the own host as userinfo', 403, () => `http://127.0.0.1:${P}@evil.example`],
    ['an allowed origin over http', 403, () => 'http://app.example.com'],
    ['an allowed origin with its default port spelled out', 403, () => 'https://app.example.com:443'],
    ['an allowed origin uppercased', 403, () => 'https://APP.example.com'],
    ['two origins in one header', 403, () => `${own}, https://evil.example`],
  ])('bff origin check: %s -> %i (GET /config and upgrade)', async (_what, status, origin) => {
    const res = await request(P, { Host: `127.0.0.1:${P}`, Origin: origin() });
    expect(res.status).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.vary).toBe('Origin');
    if (status === 200 && origin() !== undefined) expect(res.headers['access-control-allow-origin']).toBe(origin());
    if (status === 403) expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const up = await upgrade(P, { Host: `127.0.0.1:${P}`, Origin: origin() });
    expect(up.status).toBe(status === 200 ? 101 : 403);
    if (up.status === 101) await waitFor('the slot to free', () => bff.gateway.stats().connections === 0);
  });

  test('bff origin check: an origin is compared with the Host it came with, not any allowed host', async () => {
    // Served under localhost, a page from 127.0.0.1 is another origin.
    expect((await request(P, { Host: `localhost:${P}`, Origin: own })).status).toBe(403);
    expect((await request(P, { Host: `localhost:${P}`, Origin: `http://localhost:${P}` })).status).toBe(200);
  });

  test('bff: allowedOrigins and allowedHosts entries that are not origins or names are refused at construction', () => {
    for (const o of ['https://app.example.com/path', 'app.example.com', 'null', 'https://u@app.example.com', 'ftp://app.example.com', 'https://app.example.com/']) {
      expect(() => new BffGateway({ agentUrl: 'http://127.0.0.1:1', application: APP, environment: 'beta', allowedOrigins: [o] })).toThrow(/allowedOrigins: '.*' is not an origin/);
    }
    for (const h of ['https://app.example.com', 'app.example.com:443', 'app.example.com/x', '*.example.com', '']) {
      expect(() => new BffGateway({ agentUrl: 'http://127.0.0.1:1', application: APP, environment: 'beta', allowedHosts: [h] })).toThrow(/allowedHosts: '.*' is not a host name/);
    }
  });

  test('bff nosniff: every response carries X-Content-Type-Options, refusals and errors included', async () => {
    const host = `127.0.0.1:${P}`;
    const responses: [string, RawResponse][] = [
      ['GET /config', await request(P, { Host: host })],
      ['HEAD /config', await request(P, { Host: host }, { method: 'HEAD' })],
      ['POST /config (405)', await request(P, { Host: host, 'Content-Length': '0' }, { method: 'POST' })],
      ['403 origin', await request(P, { Host: host, Origin: 'https://evil.example' })],
      ['421 host', await request(P, { Host: 'evil.example' })],
      ['client.js', await request(P, { Host: host }, { path: '/config/client.js' })],
      ['demo.js', await request(P, { Host: host }, { path: '/config/demo.js' })],
      ['demo page', await request(P, { Host: host }, { path: '/config/demo' })],
      ['upgrade refused: origin', await upgrade(P, { Host: host, Origin: 'https://evil.example' })],
      ['upgrade refused: bad key (ws)', await upgrade(P, { Host: host }, { key: 'short' })],
      ['upgrade refused: bad version (ws)', await upgrade(P, { Host: host, 'Sec-WebSocket-Version': '7' })],
      ['upgrade refused: POST (ws)', await upgrade(P, { Host: host, 'Content-Length': '0' }, { method: 'POST' })],
    ];
    const opened = await upgrade(P, { Host: host });
    responses.push(['101 switching protocols', opened]);
    // maxConnections is 1 and the 101's socket was destroyed by the reader: wait for the slot.
    await waitFor('the slot to free', () => bff.gateway.stats().connections === 0);
    // A connection that holds the only slot, so the next upgrade meets the cap.
    const holder = net.connect(P, '127.0.0.1');
    holder.on('error', () => undefined);
    const answered = new Promise<void>((resolve) => holder.once('data', () => resolve()));
    holder.write(`GET /config/ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await answered;
    await waitFor('the connection to count', () => bff.gateway.stats().connections === 1);
    responses.push(['upgrade refused: connection cap (503)', await upgrade(P, { Host: host })]);
    holder.destroy();

    expect(responses.map(([what, r]) => [what, r.status])).toEqual(
      expect.arrayContaining([
        ['POST /config (405)', 405],
        ['403 origin', 403],
        ['421 host', 421],
        ['upgrade refused: bad key (ws)', 400],
        ['upgrade refused: bad version (ws)', 400],
        ['upgrade refused: POST (ws)', 405],
        ['101 switching protocols', 101],
        ['upgrade refused: connection cap (503)', 503],
      ]),
    );
    for (const [what, r] of responses) expect([what, r.headers['x-content-type-options']]).toEqual([what, 'nosniff']);
    await waitFor('the slot to free', () => bff.gateway.stats().connections === 0);
  });

  test('bff demo page: not frameable, no base or form redirection, no Referer', async () => {
    const page = await get(`${bff.url}/config/demo`);
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('BFF: nosniff when the agent is down and when contextFor fails', () => {
  test('bff nosniff: the 503 before the first read and the 500 of a failing contextFor carry it', async () => {
    const down = await listen(() => undefined);
    const port = down.port;
    await down.close();
    const bff = await mount(`http://127.0.0.1:${port}`, {
      contextFor: (req) => {
        if (req.headers.cookie === 'boom') throw new Error('session store down');
        return undefined;
      },
    });
    try {
      const unavailable = await request(bff.port, { Host: `127.0.0.1:${bff.port}` });
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers['x-content-type-options']).toBe('nosniff');
      const failed = await request(bff.port, { Host: `127.0.0.1:${bff.port}`, Cookie: 'boom' });
      expect(failed.status).toBe(500);
      expect(failed.headers['x-content-type-options']).toBe('nosniff');
      const upgradeFailed = await upgrade(bff.port, { Host: `127.0.0.1:${bff.port}`, Cookie: 'boom' });
      expect(upgradeFailed.status).toBe(500);
      expect(upgradeFailed.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      await bff.close();
    }
  });
});
