/**
 * The rollout gate's contract, without synthesizing anything: how long it may wait, the
 * shared-config profile the step writes, and that the JS SDK's default chain (what
 * `dynconf` uses) turns that profile into the gate role's credentials, starting from
 * CodeBuild's container credentials, and assumes the role again before its session ends.
 * AWS is faked on 127.0.0.1: a container-credentials endpoint and STS.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import {
  gateAwsConfig,
  gateTimeoutMinutes,
  GATE_MARGIN_MINUTES,
  requiredGateMinutes,
  verifyCommandOf,
  writeGateAwsConfigCommand,
} from '../../lib/pipeline/gate-steps';
import { GATE_PROFILE, gateRoleArn, gateRoleName, gateStepRoleArn, gateStepRoleName } from '../../lib/pipeline/names';
import { rmrf, tempDir } from '../support/workspace';
import { sampleModel, withWorkload } from './support';

const model = sampleModel();
const withoutGateTimeout = withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, gateTimeoutMinutes: undefined } }));

describe('how long a gate waits', () => {
  test('the worst case is every profile of the largest application queued: 3 x (duration + bake)', () => {
    // beta-all-at-once 0 + 0, gamma-canary 20 + 10, prod-linear 30 + 30; groupsync-v3 has 3 profiles.
    expect(model.environments.map((e) => [e, requiredGateMinutes(model, e)])).toEqual([
      ['beta', 0],
      ['gamma', 90],
      ['prod-01', 180],
      ['prod-02', 180],
      ['prod-03', 180],
    ]);
  });

  test("pipeline.gateTimeoutMinutes is every gate's limit when it covers the worst case", () => {
    expect(model.workload.pipeline.gateTimeoutMinutes).toBe(180);
    for (const e of model.environments) expect(gateTimeoutMinutes(model, e)).toBe(180);
  });

  test('a gateTimeoutMinutes shorter than the worst case is an error naming the environment, the minimum and the fix', () => {
    const short = withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, gateTimeoutMinutes: 179 } }));
    expect(gateTimeoutMinutes(short, 'gamma')).toBe(179);
    expect(() => gateTimeoutMinutes(short, 'prod-01')).toThrow(
      "pipeline.gateTimeoutMinutes: 179 minutes is shorter than a change to prod-01 can take (3 queued deployments x strategy 'prod-linear' duration + final bake = 180 minutes); set it to at least 180",
    );
  });

  test('without gateTimeoutMinutes, each gate gets its worst case plus a margin', () => {
    expect(model.environments.map((e) => gateTimeoutMinutes(withoutGateTimeout, e))).toEqual([0, 90, 180, 180, 180].map((m) => m + GATE_MARGIN_MINUTES));
  });
});

describe('the checks after each environment', () => {
  test('beta: the integration test; gamma and prod: with the acceptance tests; each writing its JUnit report', () => {
    expect(verifyCommandOf('beta', 'beta')).toBe('node dist/cli-standalone/dynconf.cjs verify --env beta --junit reports/dynconf-junit.xml');
    expect(verifyCommandOf('gamma', 'gamma')).toBe('node dist/cli-standalone/dynconf.cjs verify --env gamma --acceptance --junit reports/dynconf-junit.xml');
    expect(verifyCommandOf('prod', 'prod-01')).toBe('node dist/cli-standalone/dynconf.cjs verify --env prod-01 --acceptance --junit reports/dynconf-junit.xml');
  });

  test('role names are fixed, workload-prefixed, and held to IAM’s 64 characters', () => {
    expect([gateRoleName(model, 'prod-01'), gateStepRoleName(model, 'prod-01')]).toEqual(['g360-prod-01-rollout-gate', 'g360-prod-01-rollout-gate-step']);
    expect(gateRoleArn(model, 'prod-01')).toBe('arn:aws:iam::333333333333:role/g360-prod-01-rollout-gate');
    expect(gateStepRoleArn(model, 'prod-01')).toBe('arn:aws:iam::111111111111:role/g360-prod-01-rollout-gate-step');
    const long = withWorkload(model, (w) => ({ ...w, workload: 'w'.repeat(40) }));
    expect(gateStepRoleName(long, 'prod-01')).toHaveLength(64);
    expect(gateStepRoleName(long, 'prod-01')).not.toBe(gateStepRoleName(long, 'prod-02'));
    expect(() => gateRoleName(model, 'prod-04')).toThrow("unknown environment 'prod-04'");
  });
});

describe('the profile the gate step writes', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('dynconf-gate-')));
  afterEach(() => rmrf(dir));

  test('names the environment’s gate role and CodeBuild’s container credentials as the source', () => {
    expect(gateAwsConfig(model, 'gamma')).toBe(
      [`[profile ${GATE_PROFILE}]`, 'role_arn = arn:aws:iam::222222222222:role/g360-gamma-rollout-gate', 'credential_source = EcsContainer', 'role_session_name = dynconf-gamma', ''].join('\n'),
    );
  });

  test('the build command writes exactly that file', () => {
    const file = path.join(dir, 'config');
    const r = spawnSync('sh', ['-c', writeGateAwsConfigCommand(model, 'prod-02')], { env: { PATH: process.env.PATH, AWS_CONFIG_FILE: file }, encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(fs.readFileSync(file, 'utf8')).toBe(gateAwsConfig(model, 'prod-02'));
  });
});

/** Fake AWS: container credentials at /creds, STS AssumeRole at /sts; records what it is asked. */
class FakeAws {
  readonly assumeRoleCalls: { accessKeyId: string; params: URLSearchParams }[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  /** Lifetimes of the sessions STS hands out, in order; the last one repeats. */
  sessionSeconds: number[] = [3600];
  readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/creds') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ AccessKeyId: 'ASIACODEBUILD', SecretAccessKey: 'container-secret', Token: 'container-token', Expiration: new Date(Date.now() + 3600_000).toISOString() }));
        return;
      }
      const accessKeyId = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
      this.assumeRoleCalls.push({ accessKeyId, params: new URLSearchParams(body) });
      const n = this.assumeRoleCalls.length;
      const seconds = this.sessionSeconds[Math.min(n, this.sessionSeconds.length) - 1]!;
      res.setHeader('content-type', 'text/xml');
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>ASIAGATE${n}</AccessKeyId><SecretAccessKey>gate-secret</SecretAccessKey><SessionToken>gate-token</SessionToken>` +
          `<Expiration>${new Date(Date.now() + seconds * 1000).toISOString()}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/g360-gamma-rollout-gate/dynconf-gamma</Arn><AssumedRoleId>AROAGATE:dynconf-gamma</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult></AssumeRoleResponse>`,
      );
      for (const w of this.waiters.filter((x) => x.count <= n)) w.resolve();
    });
  });

  /** Resolves once STS has been called `count` times. */
  assumeRoleCalled(count: number): Promise<void> {
    if (this.assumeRoleCalls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('the SDK default chain under the gate profile (as in the CodeBuild step)', () => {
  const ENV_KEYS = ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  let aws: FakeAws;
  let dir: string;

  beforeEach(async () => {
    aws = new FakeAws();
    await new Promise<void>((resolve) => aws.server.listen(0, '127.0.0.1', resolve));
    dir = tempDir('dynconf-gate-');
    fs.writeFileSync(path.join(dir, 'config'), gateAwsConfig(model, 'gamma'));
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_PROFILE: GATE_PROFILE,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}/creds`,
      AWS_ENDPOINT_URL_STS: `${aws.url}/sts`,
    });
  });

  afterEach(async () => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmrf(dir);
    await new Promise((resolve) => aws.server.close(resolve));
  });

  test('control and data plane clients get the gate role, assumed with the container credentials', async () => {
    const control = new AppConfigClient({ region: 'us-west-2' });
    const data = new AppConfigDataClient({ region: 'us-west-2' });
    try {
      expect((await control.config.credentials()).accessKeyId).toBe('ASIAGATE1');
      expect((await data.config.credentials()).accessKeyId).toMatch(/^ASIAGATE\d$/);
    } finally {
      control.destroy();
      data.destroy();
    }
    const first = aws.assumeRoleCalls[0]!;
    expect(first.accessKeyId).toBe('ASIACODEBUILD');
    expect([first.params.get('Action'), first.params.get('RoleArn'), first.params.get('RoleSessionName')]).toEqual(['AssumeRole', gateRoleArn(model, 'gamma'), 'dynconf-gamma']);
  });

  test('a session about to end is assumed again, so a gate may outlast a chained role’s hour', async () => {
    aws.sessionSeconds = [60, 3600];
    const control = new AppConfigClient({ region: 'us-west-2' });
    try {
      expect((await control.config.credentials()).accessKeyId).toBe('ASIAGATE1');
      // Under 5 minutes left: the chain refreshes in the background and hands out the old session meanwhile.
      expect((await control.config.credentials()).accessKeyId).toBe('ASIAGATE1');
      await aws.assumeRoleCalled(2);
      // The refreshed session replaces the old one once the client has read STS's answer.
      let current = 'ASIAGATE1';
      for (let i = 0; i < 200 && current === 'ASIAGATE1'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        current = (await control.config.credentials()).accessKeyId;
      }
      expect(current).toBe('ASIAGATE2');
    } finally {
      control.destroy();
    }
    expect(aws.assumeRoleCalls.map((c) => c.accessKeyId)).toEqual(['ASIACODEBUILD', 'ASIACODEBUILD']);
  });
});
