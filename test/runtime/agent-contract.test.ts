/**
 * What the local agent does where the AppConfig Agent's documentation is silent (the table in
 * the README's agent section): each row is checked here over HTTP, against flags written for
 * it, so the README cannot drift from the behaviour.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompiledFeatureFlags } from '../../lib/runtime/feature-flags';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get } from './helpers';

const APP = 'groupsync-v3';

/** A flag that is on (variant "hit") exactly when `rule` is TRUE. */
const probe = (rule: string) => ({
  name: `probe ${rule}`,
  description: 'contract probe',
  owner: 'team-collab',
  default: { variants: [{ name: 'hit', rule, enabled: true }, { name: 'miss', enabled: false }] },
});

const PROBES = {
  'plan-team': probe('(eq $plan "team")'),
  'not-plan-free': probe('(not (eq $plan "free"))'),
  'age-over-30': probe('(gt $age 30)'),
  'email-is-jane': probe('(eq $email "jane@example.org")'),
  'signed-up-early': probe('(lt $signup 2025-06-01T00:00:00Z)'),
  'year-2025': probe('(eq $year 2025)'),
};

describe('local agent: behaviours AWS does not document', () => {
  let root: string;
  let agent: LocalAgent;
  const logs: string[] = [];
  const base = () => `${agent.url}/applications/${APP}/environments/beta/configurations/flags`;
  const variant = async (flag: keyof typeof PROBES, context: string | string[] | undefined) => {
    const res = await get(`${base()}?flag=${flag}`, context === undefined ? {} : { context });
    expect(res.status).toBe(200);
    return (JSON.parse(res.body) as { _variant: string })._variant;
  };

  beforeAll(async () => {
    root = copySample();
    const file = path.join(root, 'flags', `${APP}.json`);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, unknown> };
    Object.assign(doc.flags, PROBES);
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await agent.close();
    rmrf(root);
  });

  test('undocumented: a missing context key makes the comparison unknown, even under not', async () => {
    expect(await variant('plan-team', 'plan=team')).toBe('hit');
    expect(await variant('plan-team', undefined)).toBe('miss');
    expect(await variant('not-plan-free', 'plan=team')).toBe('hit');
    expect(await variant('not-plan-free', 'userId=u-1')).toBe('miss');
  });

  test('undocumented: a context value that is not of the literal\'s type is unknown, not false', async () => {
    expect(await variant('age-over-30', 'age=31')).toBe('hit');
    expect(await variant('age-over-30', 'age=29')).toBe('miss');
    expect(await variant('age-over-30', 'age=thirty-one')).toBe('miss');
    expect(await variant('age-over-30', 'age=0x20')).toBe('miss');
  });

  test('undocumented: context values are taken as sent, without percent-decoding', async () => {
    expect(await variant('email-is-jane', 'email=jane@example.org')).toBe('hit');
    expect(await variant('email-is-jane', 'email=jane%40example.org')).toBe('miss');
    // Only the first '=' separates key and value.
    expect(await variant('plan-team', 'plan=team=x')).toBe('miss');
  });

  test('undocumented: a context key repeated with the same value is one key; with different values a 400 naming it', async () => {
    expect(await variant('plan-team', ['plan=team', 'plan=team'])).toBe('hit');
    const res = await get(`${base()}?flag=plan-team`, { context: ['plan=team', 'plan=free'] });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Context key 'plan' is given twice, as 'team' and as 'free'/);
  });

  test('undocumented: timestamps need at least year and month; a bare year is a number', async () => {
    expect(await variant('signed-up-early', 'signup=2025-01-15T08:00:00Z')).toBe('hit');
    expect(await variant('signed-up-early', 'signup=2025-01')).toBe('hit');
    expect(await variant('signed-up-early', 'signup=2025-07-01')).toBe('miss');
    // A bare year compared with a timestamp cannot be read as one: unknown.
    expect(await variant('signed-up-early', 'signup=2025')).toBe('miss');
    // Compared with a number it is a number.
    expect(await variant('year-2025', 'year=2025')).toBe('hit');
  });

  test('undocumented: an unknown ?flag= is a 404 naming it, also among known ones', async () => {
    for (const q of ['flag=nope', 'flag=plan-team&flag=nope']) {
      const res = await get(`${base()}?${q}`);
      expect([q, res.status]).toEqual([q, 404]);
      expect(res.body).toMatch(/flag 'nope' not found/);
    }
  });

  test('undocumented: status codes and headers of the local agent', async () => {
    const ok = await get(base());
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    expect(ok.headers['configuration-version']).toMatch(/^[0-9a-f]{16}$/);
    expect(Number(ok.headers['content-length'])).toBe(Buffer.byteLength(ok.body));
    expect((await get(base(), {}, 'DELETE')).status).toBe(405);
    expect((await get(base(), {}, 'DELETE')).headers.allow).toBe('GET, HEAD');
    expect((await get(`${base()}?flag=plan-team`, { context: 'plan' })).status).toBe(400);
    // Percent-encoded path segments are decoded, as AWS documents for names with '/'.
    expect((await get(base().replace(APP, encodeURIComponent(APP).replace('-', '%2D')))).status).toBe(200);
  });

  test('a request that fails inside the agent is a 500 and the agent keeps serving', async () => {
    const spy = jest.spyOn(CompiledFeatureFlags.prototype, 'evaluate').mockImplementationOnce(() => {
      throw new RangeError('a bug in evaluation');
    });
    try {
      const res = await get(`${base()}?flag=plan-team`);
      expect(res.status).toBe(500);
      expect(logs.join('\n')).toMatch(/GET .*flag=plan-team failed: RangeError: a bug in evaluation/);
    } finally {
      spy.mockRestore();
    }
    expect((await get(`${base()}?flag=plan-team`)).status).toBe(200);
  });
});
