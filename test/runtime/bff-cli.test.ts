/** `dynconf bff` as a user runs it: --allow-host, the agent token, and headers on the responses the command itself writes. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, runCommand, waitFor } from './helpers';

const run = runCommand;

/** One raw request; resolves with the whole answer as text. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => (data += c));
    s.on('close', () => resolve(data));
    s.on('error', () => undefined);
    s.write(text);
  });
}

describe('dynconf bff: hosts and headers', () => {
  let root: string;
  let agent: LocalAgent;
  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false });
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test('bff cli: --allow-host adds a name the BFF answers to; other names get 421; its own 404 and 400 carry nosniff', async () => {
    const bff = run(['bff', '--agent', agent.url, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--allow-host', 'flags.example.com', '--root', root], root);
    try {
      const url = await bff.url();
      const port = Number(new URL(url).port);
      expect((await get(`${url}/config`, { host: 'flags.example.com' })).status).toBe(200);
      const refused = await get(`${url}/config`, { host: 'evil.example' });
      expect(refused.status).toBe(421);
      expect(refused.body).toMatch(/--allow-host/);
      await waitFor('the refusal to be logged', () => /refused a request for host "evil.example"/.test(bff.err()));
      const missing = await get(`${url}/nothing-here`);
      expect(missing.status).toBe(404);
      expect(missing.headers['x-content-type-options']).toBe('nosniff');
      // A request node cannot parse is answered by the command's clientError handler.
      const garbage = await raw(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(garbage).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
    } finally {
      expect(await bff.stop()).toBe(0);
    }
  });

  test.each(['https://flags.example.com', 'flags.example.com:8080', 'flags.example.com/x', '*.example.com'])('bff cli: --allow-host %s is a usage error (exit 2)', async (h) => {
    const bff = run(['bff', '--agent', agent.url, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--allow-host', h, '--root', root], root);
    expect(await bff.exit).toBe(2);
    expect(bff.err()).toMatch(/--allow-host takes a host name/);
  });

  test('bff cli: --allow-origin with userinfo is a usage error', async () => {
    const bff = run(['bff', '--agent', agent.url, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--allow-origin', 'https://u@app.example.com', '--root', root], root);
    expect(await bff.exit).toBe(2);
    expect(bff.err()).toMatch(/--allow-origin takes scheme:\/\/host/);
  });
});

describe('dynconf bff: the agent token', () => {
  let root: string;
  let agent: LocalAgent;
  beforeAll(async () => {
    root = copySample();
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, token: 'fr0m-env' });
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  const args = () => ['bff', '--agent', agent.url, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--root', root];

  test('bff token: APPCONFIG_AGENT_TOKEN from the environment, the name the agent and services read', async () => {
    const bff = run(args(), root, { APPCONFIG_AGENT_TOKEN: 'fr0m-env\n' });
    try {
      const url = await bff.url();
      expect(bff.out()).toMatch(/agent token from APPCONFIG_AGENT_TOKEN/);
      expect(JSON.parse((await get(`${url}/config`)).body).flags.theme).toBeDefined();
    } finally {
      expect(await bff.stop()).toBe(0);
    }
  });

  test('bff token: --token-file wins over APPCONFIG_AGENT_TOKEN', async () => {
    fs.writeFileSync(path.join(root, 'token'), 'fr0m-env\n', { mode: 0o600 });
    const good = run([...args(), '--token-file', 'token'], root, { APPCONFIG_AGENT_TOKEN: 'wr0ng' });
    try {
      await good.url();
      expect(good.out()).toMatch(/agent token from .*token\)/);
    } finally {
      expect(await good.stop()).toBe(0);
    }
    // And the other way round: a wrong file is not rescued by a right environment.
    fs.writeFileSync(path.join(root, 'token'), 'wr0ng\n', { mode: 0o600 });
    const bad = run([...args(), '--token-file', 'token'], root, { APPCONFIG_AGENT_TOKEN: 'fr0m-env' });
    expect(await bad.exit).toBe(1);
    expect(bad.err()).toMatch(/403/);
  });

  test('bff token: an empty APPCONFIG_AGENT_TOKEN is no token (the agent answers 401 at startup)', async () => {
    const bff = run(args(), root, { APPCONFIG_AGENT_TOKEN: '  ' });
    expect(await bff.exit).toBe(1);
    expect(bff.err()).toMatch(/401/);
  });
});
