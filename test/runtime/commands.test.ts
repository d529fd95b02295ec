/** `dynconf agent` and `dynconf bff` as a user runs them: start, serve, stop on a signal. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandIO } from '../../lib/cli/command';
import { main } from '../../lib/cli/main';
import { copySample, rmrf } from '../support/workspace';
import { get, waitFor } from './helpers';

/** Run a long-running verb; `stop()` sends the signal and resolves with the exit code. */
function run(args: string[], cwd: string) {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const sink = (append: (s: string) => void) => ({ write: (c: string | Uint8Array) => (append(String(c)), true) }) as unknown as NodeJS.WritableStream;
  const io: CommandIO = { cwd, stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: {}, signal: controller.signal };
  const exit = main(args, io);
  return {
    out: () => out,
    err: () => err,
    exit,
    /** The URL the verb printed when it started listening. */
    url: () => waitFor(`${args[0]} to start (stdout: ${out}, stderr: ${err})`, () => /on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1]),
    stop: async () => {
      controller.abort();
      return exit;
    },
  };
}

describe('dynconf agent', () => {
  let root: string;
  beforeEach(() => (root = copySample()));
  afterEach(() => rmrf(root));

  test('serves the environment from the workspace until interrupted, then exits 0', async () => {
    const agent = run(['agent', '--env', 'gamma', '--port', '0', '--token', 't0ken', '--root', root], root);
    const url = await agent.url();
    expect(agent.out()).toMatch(/serving gamma \(9 documents\).*\(token required\)/);
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
