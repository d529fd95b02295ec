/**
 * The AWS SDK's Node-support banner: nine lines on every AWS command before, one line of
 * ours now (on Node < 22), none when the user sets the SDK's documented switch.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { beforeAwsClient, nodeSupportNotice, resetAwsClientNotice, SDK_NODE_WARNING_SWITCH } from '../../lib/cli/aws-node-notice';
import { REPO_ROOT } from '../support/workspace';

const SDK_BANNER = /NodeVersionSupportWarning/g;
const OUR_NOTICE = /^dynconf: note: AWS SDK releases after the first week of January 2027 need Node >= 22/gm;
const OLD_NODE = Number(process.versions.node.split('.')[0]) < 22;

describe('nodeSupportNotice', () => {
  test('names the deadline, the running Node and the switch that hides it, in one line', () => {
    const line = nodeSupportNotice('v20.20.2')!;
    expect(line).toBe(
      'dynconf: note: AWS SDK releases after the first week of January 2027 need Node >= 22 (this is v20.20.2); AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true hides this line\n',
    );
  });

  test.each(['v22.0.0', 'v24.3.1', 'not-a-version'])('says nothing on %s', (v) => {
    expect(nodeSupportNotice(v)).toBeUndefined();
  });
});

describe('beforeAwsClient', () => {
  beforeEach(() => resetAwsClientNotice());
  afterAll(() => resetAwsClientNotice());

  function target(env: NodeJS.ProcessEnv, nodeVersion = 'v20.20.2') {
    const written: string[] = [];
    return { t: { env, nodeVersion, stderr: { write: (s: string) => written.push(s) } }, written };
  }

  test('the first client of a process switches the SDK banner off and writes our line; later clients write nothing', () => {
    const { t, written } = target({});
    beforeAwsClient(t);
    beforeAwsClient(t);
    beforeAwsClient(t);
    expect(t.env[SDK_NODE_WARNING_SWITCH]).toBe('true');
    expect(written).toEqual([nodeSupportNotice('v20.20.2')]);
  });

  test('on Node 22 the SDK banner is off and nothing is written', () => {
    const { t, written } = target({}, 'v22.12.0');
    beforeAwsClient(t);
    expect(t.env[SDK_NODE_WARNING_SWITCH]).toBe('true');
    expect(written).toEqual([]);
  });

  test.each(['true', 'false', ''])('a switch the user set (%j) is left alone and our line stays out', (value) => {
    const { t, written } = target({ [SDK_NODE_WARNING_SWITCH]: value });
    beforeAwsClient(t);
    expect(t.env[SDK_NODE_WARNING_SWITCH]).toBe(value);
    expect(written).toEqual([]);
  });
});

describe('the installed binary against a fake AppConfig on 127.0.0.1', () => {
  let server: http.Server;
  let endpoint: string;

  beforeAll(async () => {
    // Control plane: no applications (rollout status ends at once with "no AppConfig
    // application"); data plane: every session is ResourceNotFound (verify reports MISSING).
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"Items":[]}');
        } else {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
          res.end('{"Message":"not here"}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** The binary with credentials that reach only the fake, and the switch as given. */
  function dynconf(args: string[], sdkSwitch?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_CONFIG_FILE: path.join(REPO_ROOT, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(REPO_ROOT, 'no-such-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: endpoint,
    };
    if (sdkSwitch !== undefined) env[SDK_NODE_WARNING_SWITCH] = sdkSwitch;
    // Asynchronous: the fake answers from this process's event loop.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bin/dynconf.ts'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

  test.each([
    ['rollout status', ['rollout', 'status', '--env', 'prod-01'], "no AppConfig application 'search-service-net'"],
    ['verify', ['verify', '--env', 'prod-01'], '9 of 9 profiles fail verification'],
  ])('%s: no SDK banner, our one line on Node < 22', async (_name, args, reached) => {
    const r = await dynconf(args);
    // It did talk to AWS (the fake), so the SDK created its clients.
    expect(r.code).toBe(1);
    expect(count(r.stderr, SDK_BANNER)).toBe(0);
    expect(count(r.stderr, OUR_NOTICE)).toBe(OLD_NODE ? 1 : 0);
    expect(r.stdout + r.stderr).toContain(reached);
  });

  test('the switch set to true silences both', async () => {
    const r = await dynconf(['rollout', 'status', '--env', 'prod-01'], 'true');
    expect(r.stderr).toContain("no AppConfig application 'search-service-net'");
    expect(count(r.stderr, SDK_BANNER)).toBe(0);
    expect(count(r.stderr, OUR_NOTICE)).toBe(0);
  });

  test('the switch set to anything else brings back the SDK banner, once, without ours', async () => {
    const r = await dynconf(['rollout', 'status', '--env', 'prod-01'], 'false');
    expect(r.stderr).toContain("no AppConfig application 'search-service-net'");
    expect(count(r.stderr, SDK_BANNER)).toBe(OLD_NODE ? 1 : 0);
    expect(count(r.stderr, OUR_NOTICE)).toBe(0);
  });
});
