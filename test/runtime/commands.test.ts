/** `dynconf agent` and `dynconf bff` as a user runs them: start, serve, stop on a signal. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copySample, rmrf } from '../support/workspace';
import { get, runCommand, waitFor } from './helpers';

const run = runCommand;

describe('dynconf agent', () => {
  let root: string;
  beforeEach(() => (root = copySample()));
  afterEach(() => rmrf(root));

  test('serves the environment from the workspace until interrupted, then exits 0', async () => {
    const agent = run(['agent', '--env', 'gamma', '--port', '0', '--token', 't0ken', '--root', root], root);
    const url = await agent.url();
    expect(agent.out()).toMatch(/serving gamma \(9 documents\).*\(token required, from --token\)/);
    const ok = await get(`${url}/applications/sso-service/environments/gamma/configurations/flags`, { authorization: 'Bearer t0ken' });
    expect(ok.status).toBe(200);
    expect((await get(`${url}/applications/sso-service/environments/gamma/configurations/flags`)).status).toBe(401);
    expect(await agent.stop()).toBe(0);
    expect(agent.out()).toMatch(/stopped/);
  });

  test('an invalid edit is logged on stderr with its location', async () => {
    const agent = run(['agent', '--env', 'beta', '--port', '0', '--root', root], root);
    await agent.url();
    fs.writeFileSync(path.join(root, 'flags', 'sso-service.json'), '{"flags": {"x": {}}}');
    await waitFor('the error on stderr', () => /still serving/.test(agent.err()));
    expect(agent.err()).toMatch(/^flags\/sso-service\.json:\d+:\d+ error/m);
    expect(await agent.stop()).toBe(0);
  });

  test('agent token: --token-file reads the token from a file, and --token is not needed on the command line', async () => {
    fs.writeFileSync(path.join(root, 'agent-token'), 'fr0m-a-file\n', { mode: 0o600 });
    const agent = run(['agent', '--env', 'beta', '--port', '0', '--token-file', 'agent-token', '--root', root], root);
    const url = await agent.url();
    expect(agent.out()).toMatch(/token required, from .*agent-token/);
    const u = `${url}/applications/sso-service/environments/beta/configurations/flags`;
    expect((await get(u, { authorization: 'Bearer fr0m-a-file' })).status).toBe(200);
    expect((await get(u)).status).toBe(401);
    expect(agent.err()).not.toMatch(/warning/);
    expect(await agent.stop()).toBe(0);
  });

  test('agent token: APPCONFIG_AGENT_TOKEN from the environment, the name services read', async () => {
    const agent = run(['agent', '--env', 'beta', '--port', '0', '--root', root], root, { APPCONFIG_AGENT_TOKEN: 'fr0m-env' });
    const url = await agent.url();
    expect(agent.out()).toMatch(/token required, from APPCONFIG_AGENT_TOKEN/);
    const u = `${url}/applications/sso-service/environments/beta/configurations/flags`;
    expect((await get(u, { authorization: 'Bearer fr0m-env' })).status).toBe(200);
    expect((await get(u)).status).toBe(401);
    expect(await agent.stop()).toBe(0);
  });

  test('agent token: an option wins over the environment; --token warns on stderr that ps shows it', async () => {
    fs.writeFileSync(path.join(root, 'agent-token'), 'fr0m-a-file\n');
    const fromFile = run(['agent', '--env', 'beta', '--port', '0', '--token-file', 'agent-token', '--root', root], root, { APPCONFIG_AGENT_TOKEN: 'fr0m-env' });
    const u1 = `${await fromFile.url()}/applications/sso-service/environments/beta/configurations/flags`;
    expect((await get(u1, { authorization: 'Bearer fr0m-a-file' })).status).toBe(200);
    expect((await get(u1, { authorization: 'Bearer fr0m-env' })).status).toBe(403);
    expect(await fromFile.stop()).toBe(0);

    const inline = run(['agent', '--env', 'beta', '--port', '0', '--token', 'inl1ne', '--root', root], root, { APPCONFIG_AGENT_TOKEN: 'fr0m-env' });
    const u2 = `${await inline.url()}/applications/sso-service/environments/beta/configurations/flags`;
    expect(inline.err()).toMatch(/warning: --token puts the token on the command line.*--token-file/);
    expect((await get(u2, { authorization: 'Bearer inl1ne' })).status).toBe(200);
    expect(await inline.stop()).toBe(0);
  });

  test('agent token: asking to listen beyond loopback without a token warns on stderr; with one it does not', async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes before listening,
    // and nothing is ever exposed beyond loopback by the test.
    const open = run(['agent', '--env', 'beta', '--port', '0', '--host', '192.0.2.1', '--root', root], root);
    expect(await open.exit).toBe(1);
    expect(open.err()).toMatch(/warning: listening on 192\.0\.2\.1 without a token/);
    expect(open.err()).toMatch(/--host 192\.0\.2\.1 is not an address of this machine/);
    const closed = run(['agent', '--env', 'beta', '--port', '0', '--host', '192.0.2.1', '--root', root], root, { APPCONFIG_AGENT_TOKEN: 't' });
    expect(await closed.exit).toBe(1);
    expect(closed.err()).not.toMatch(/warning/);
  });

  test.each([
    ['both --token and --token-file', ['--token', 'a', '--token-file', 'agent-token'], 2, /not both/],
    ['a missing token file', ['--token-file', 'nope'], 1, /--token-file .*nope cannot be read \(ENOENT\)/],
    ['an empty token file', ['--token-file', 'empty'], 1, /--token-file .*empty is empty/],
  ])('agent token: %s is refused before listening', async (_name, extra, code, message) => {
    fs.writeFileSync(path.join(root, 'agent-token'), 't\n');
    fs.writeFileSync(path.join(root, 'empty'), '\n');
    const agent = run(['agent', '--env', 'beta', '--port', '0', ...extra, '--root', root], root);
    expect(await agent.exit).toBe(code);
    expect(agent.err()).toMatch(message);
    expect(agent.out()).not.toMatch(/serving/);
  });

  test('agent rebinding: --allow-host adds a name the agent answers to; other names get 421 and are logged', async () => {
    const agent = run(['agent', '--env', 'beta', '--port', '0', '--allow-host', 'agent.internal', '--root', root], root);
    const url = await agent.url();
    const u = `${url}/applications/sso-service/environments/beta/configurations/flags`;
    expect((await get(u, { host: 'agent.internal:2772' })).status).toBe(200);
    expect((await get(u, { host: 'localhost' })).status).toBe(200);
    const refused = await get(u, { host: 'evil.example' });
    expect(refused.status).toBe(421);
    expect(refused.body).toMatch(/--allow-host/);
    await waitFor('the refusal on stderr', () => /refused a request for host "evil.example"/.test(agent.err()));
    expect(await agent.stop()).toBe(0);
  });

  test.each(['http://agent.internal', 'agent.internal:2772', 'agent.internal/x', '*.example.com'])('agent rebinding: --allow-host %s is a usage error (exit 2)', async (h) => {
    const agent = run(['agent', '--env', 'beta', '--port', '0', '--allow-host', h, '--root', root], root);
    expect(await agent.exit).toBe(2);
    expect(agent.err()).toMatch(/--allow-host takes a host name/);
  });

  test('without --env it is a usage error (exit 2)', async () => {
    expect(await run(['agent', '--root', root], root).exit).toBe(2);
  });

  test('an unknown environment fails (exit 1) naming the known ones', async () => {
    const agent = run(['agent', '--env', 'qa', '--port', '0', '--root', root], root);
    expect(await agent.exit).toBe(1);
    expect(agent.err()).toMatch(/environment 'qa' is not in config\/workload.json \(environments: beta/);
  });
});

describe('dynconf bff', () => {
  let root: string;
  let agent: ReturnType<typeof run>;
  let agentUrl: string;
  beforeAll(async () => {
    root = copySample();
    agent = run(['agent', '--env', 'beta', '--port', '0', '--token', 'agent-token', '--root', root], root);
    agentUrl = await agent.url();
    fs.writeFileSync(path.join(root, 'token'), 'agent-token\n');
  });
  afterAll(async () => {
    await agent.stop();
    rmrf(root);
  });

  test('serves the browser flags, the socket and the demo page, reading the token from a file', async () => {
    const bff = run(['bff', '--agent', agentUrl, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--token-file', 'token', '--poll-interval', '0.2', '--root', root], root);
    const url = await bff.url();
    const snapshot = JSON.parse((await get(`${url}/config`)).body);
    expect(Object.keys(snapshot.flags).sort()).toEqual(['new-group-editor', 'realtime-presence', 'theme']);
    expect((await get(`${url}/`)).body).toContain('id="dynconf-snapshot"');
    expect(await bff.stop()).toBe(0);
  });

  test('an application without browser flags fails at startup, saying how to give it some', async () => {
    const bff = run(['bff', '--agent', agentUrl, '--app', 'sso-service', '--env', 'beta', '--port', '0', '--root', root], root);
    expect(await bff.exit).toBe(1);
    expect(bff.err()).toMatch(/'sso-service' has no browser-exposed flags.*"exposure": "browser"/);
  });

  test('a missing token is reported at startup (the agent answers 401)', async () => {
    const bff = run(['bff', '--agent', agentUrl, '--app', 'groupsync-v3', '--env', 'beta', '--port', '0', '--root', root], root);
    expect(await bff.exit).toBe(1);
    expect(bff.err()).toMatch(/401/);
  });

  test.each([
    [['--app', 'groupsync-v3', '--env', 'beta'], /--agent is required/],
    [['--agent', 'not a url', '--app', 'groupsync-v3', '--env', 'beta'], /--agent must be a base URL/],
    [['--agent', 'http://127.0.0.1:1', '--app', 'groupsync-v3', '--env', 'beta', '--allow-origin', 'https://x.example/path'], /--allow-origin takes scheme:\/\/host/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const bff = run(['bff', ...args, '--root', root], root);
    expect(await bff.exit).toBe(2);
    expect(bff.err()).toMatch(message);
  });
});
