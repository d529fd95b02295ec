/**
 * DNS rebinding against the local agent, over raw sockets so that Host is exactly what a
 * rebound page's browser sends: the page's own name, with the agent's port.
 */
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { rawRequest } from './helpers';

const DOC = '/applications/sso-service/environments/beta/configurations/flags';

describe('local agent: Host allow-list (DNS rebinding)', () => {
  let root: string;
  let agent: LocalAgent;
  let P: number;
  const logs: string[] = [];
  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, allowedHosts: ['agent.internal', '.dev.example'], log: (l) => logs.push(l) });
    P = agent.port;
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test.each([
    ['a document', 'GET', DOC],
    ['a document with ?flag= and HEAD', 'HEAD', `${DOC}?flag=passkey-login`],
    ['an unknown application (would name the known ones)', 'GET', '/applications/nope/environments/beta/configurations/flags'],
    ['another path', 'GET', '/'],
    ['another method', 'POST', DOC],
  ])('agent rebinding: a rebound Host (evil.example) gets 421 on %s', async (_what, method, path) => {
    const res = await rawRequest(P, { Host: `evil.example:${P}` }, { path, method });
    expect(res.status).toBe(421);
    expect(res.body).not.toMatch(/enabled|sso-service|groupsync/);
    // A HEAD answer has no body to explain itself in.
    if (method !== 'HEAD') expect(res.body).toMatch(/--allow-host/);
  });

  test.each([
    ['localhost with the port', () => `localhost:${P}`],
    ['localhost without a port', () => 'localhost'],
    ['127.0.0.1 with the port', () => `127.0.0.1:${P}`],
    ['127.0.0.1 without a port', () => '127.0.0.1'],
    ['[::1] with the port', () => `[::1]:${P}`],
    ['[::1] without a port', () => '[::1]'],
    ['a node IP on the real agent port (how pods reach it: status.hostIP:2772)', () => '10.0.3.7:2772'],
    ['an allowed name, any case and port', () => 'Agent.Internal:2772'],
    ['a subdomain of an allowed .domain', () => `svc.dev.example:${P}`],
  ])('agent rebinding: %s is served', async (_what, host) => {
    const res = await rawRequest(P, { Host: host() }, { path: DOC });
    expect(res.status).toBe(200);
    expect(res.headers['configuration-version']).toMatch(/^[0-9a-f]{16}$/);
  });

  test.each([
    ['no Host (HTTP/1.0)', undefined],
    ['localhost with a trailing dot', 'localhost.'],
    ['userinfo before an allowed address', `evil.example@127.0.0.1:2772`],
    ['an allowed name as a prefix', 'agent.internal.evil.example'],
    ['the .domain itself', 'dev.example'],
    ['an IPv4 address in another notation', '0x7f.1'],
  ])('agent rebinding: %s gets 421', async (_what, host) => {
    expect((await rawRequest(P, { Host: host }, { path: DOC, version: host === undefined ? '1.0' : '1.1' })).status).toBe(421);
  });

  test('agent rebinding: a refused name is logged once, saying how to allow it', async () => {
    const before = logs.length;
    for (let i = 0; i < 3; i++) expect((await rawRequest(P, { Host: 'once.example' }, { path: DOC })).status).toBe(421);
    expect(logs.slice(before)).toEqual(['dynconf agent: refused a request for host "once.example" (421); if that name is this agent\'s, allow it with dynconf agent --allow-host <name>']);
  });

  test('agent rebinding: with a token the Host is checked first, so a rebound page learns nothing from 401 or 403', async () => {
    const guarded = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, token: 't0ken' });
    try {
      expect((await rawRequest(guarded.port, { Host: 'evil.example', Authorization: 'Bearer t0ken' }, { path: DOC })).status).toBe(421);
      expect((await rawRequest(guarded.port, { Host: 'evil.example' }, { path: DOC })).status).toBe(421);
      expect((await rawRequest(guarded.port, { Host: 'localhost', Authorization: 'Bearer t0ken' }, { path: DOC })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  test('agent rebinding: an allowedHosts entry that is not a name is refused at start, before listening', async () => {
    for (const h of ['http://agent.internal', 'agent.internal:2772', '*.example', '']) {
      await expect(LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, allowedHosts: [h] })).rejects.toThrow(/allowedHosts: '.*' is not a host name/);
    }
  });
});
