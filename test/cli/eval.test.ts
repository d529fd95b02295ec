import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvalReport } from '../../lib/cli/commands/eval';
import { sourceAt } from '../../lib/cli/commands/eval';
import { main } from '../../lib/cli/main';
import { findDocument, loadWorkspaceFromDisk, parseRule, type Model } from '../../lib/model';
import { CompiledFeatureFlags } from '../../lib/runtime/feature-flags';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { compileRule, explainRule, splitBucket, type EvaluationContext } from '../../lib/runtime/rule-evaluator';
import { get } from '../runtime/helpers';
import { captureIO, copySample, MINIMAL, rmrf, tempDir } from '../support/workspace';

let root: string;
let model: Model;
beforeAll(() => {
  root = copySample();
  model = loadWorkspaceFromDisk(root).model!;
});
afterAll(() => rmrf(root));

async function run(args: string[], cwd = root) {
  const cap = captureIO(cwd);
  const code = await main(args, cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

async function evalJson(env: string, app: string, flag: string, context: Record<string, string>): Promise<EvalReport> {
  const r = await run(['eval', '--env', env, '--app', app, '--flag', flag, ...Object.entries(context).flatMap(([k, v]) => ['--context', `${k}=${v}`]), '--format', 'json']);
  if (r.code !== 0) throw new Error(`eval exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as EvalReport;
}

/** The first userId that `split pct::<pct>` with this seed takes, and the first it leaves out. */
function splitUsers(seed: string, pct: number): { inside: string; outside: string } {
  let inside: string | undefined;
  let outside: string | undefined;
  for (let i = 0; !inside || !outside; i++) {
    const id = `u-${i}`;
    if (splitBucket(seed, id) < pct) inside ??= id;
    else outside ??= id;
  }
  return { inside, outside };
}

const checkout = splitUsers('new-checkout', 10);

describe('dynconf eval answers what dynconf agent answers', () => {
  let agent: LocalAgent;
  beforeAll(async () => {
    agent = await LocalAgent.start({ root, environment: 'prod-01', port: 0, watch: false });
  });
  afterAll(async () => {
    await agent.close();
  });

  // Variant hits, misses, missing keys and type mismatches (header values are text, as in eval).
  const contexts: Record<string, string>[] = [
    {},
    { tier: 'pro', plan: 'enterprise', seats: '500', tenantTier: 'gov', email: 'jo@example.com', accountCreated: '2026-07-01T00:00:00Z' },
    { tier: 'free', userId: checkout.inside, plan: 'enterprise', seats: 'many', role: 'admin', userAgent: 'Mozilla/5.0 (Trident/7.0)', tenantId: 't-1' },
    { userId: checkout.outside, seats: '499', accountCreated: 'yesterday', userAgent: 'Firefox' },
  ];

  test('for every flag of every application and these contexts, the body is byte for byte the same', async () => {
    let compared = 0;
    for (const app of model.applications) {
      for (const flag of app.flagKeys) {
        for (const context of contexts) {
          const report = await evalJson('prod-01', app.name, flag, context);
          const res = await get(`${agent.url}/applications/${app.name}/environments/prod-01/configurations/flags?flag=${flag}`, { context: Object.entries(context).map(([k, v]) => `${k}=${v}`) });
          expect(res.status).toBe(200);
          expect({ app: app.name, flag, context, body: JSON.stringify(report.result) }).toEqual({ app: app.name, flag, context, body: res.body });
          compared++;
        }
      }
    }
    expect(compared).toBe(16 * contexts.length);
  });
});

describe('dynconf eval explains', () => {
  test('the variant served, and for each variant before it why its rule was not true', async () => {
    const r = await evalJson('prod-01', 'payment-service-v2', 'new-checkout', { tier: 'free', userId: checkout.inside });
    expect(r.result).toEqual({ enabled: true, rolloutPercent: 10, _variant: 'early-adopters' });
    expect(r.variant).toBe('early-adopters');
    expect(r.why).toBe('matched');
    expect(r.variants.map((v) => [v.name, v.outcome])).toEqual([
      ['pro-tier', 'no-match'],
      ['early-adopters', 'matched'],
      ['everyone-else', 'not-evaluated'],
    ]);
    expect(r.variants[0]!.trace).toEqual({ text: '(eq $tier "pro")', op: 'eq', result: 'false', reason: '$tier is "free"' });
    expect(r.variants[1]!.trace!.reason).toMatch(new RegExp(`^\\$userId "${checkout.inside}" is in bucket \\d\\.\\d\\d; the split takes buckets below 10$`));
    expect(r.variants[2]!.trace).toBeUndefined();
  });

  test('a missing key is unknown, not a match; the rule-less last variant is served', async () => {
    const r = await evalJson('prod-01', 'payment-service-v2', 'new-checkout', {});
    expect(r.result).toEqual({ enabled: false, _variant: 'everyone-else' });
    expect(r.why).toBe('default');
    expect(r.variants.map((v) => [v.outcome, v.trace?.reason])).toEqual([
      ['unknown', '$tier is not in the context'],
      ['unknown', '$userId is not in the context'],
      ['default', undefined],
    ]);
  });

  test('context values are text read as the type they are compared with, as the agent reads headers', async () => {
    const number = await evalJson('prod-01', 'search-service-net', 'semantic-ranking', { plan: 'enterprise', seats: '500' });
    expect(number.variant).toBe('large-for-enterprise');
    expect(number.variants[0]!.trace).toMatchObject({ text: '(and (eq $plan "enterprise") (gte $seats 500))', result: 'true', reason: 'every argument is true' });
    const text = await evalJson('prod-01', 'search-service-net', 'semantic-ranking', { plan: 'enterprise', seats: 'many' });
    expect(text.variants[0]!.trace).toMatchObject({
      result: 'unknown',
      children: [
        { text: '(eq $plan "enterprise")', result: 'true' },
        { text: '(gte $seats 500)', result: 'unknown', reason: '$seats is "many", which cannot be read as a number' },
      ],
    });
    const and = await evalJson('prod-01', 'search-service-net', 'semantic-ranking', { plan: 'team', seats: '900' });
    // `and` stops at the first false argument, and the trace says so.
    expect(and.variants[0]!.trace).toMatchObject({ result: 'false', reason: 'argument 1 is false; the 1 after it is not evaluated', children: [{ text: '(eq $plan "enterprise")', reason: '$plan is "team"' }] });
    expect(and.variants[0]!.trace!.children).toHaveLength(1);
  });

  test('text: the body, the variant, each variant with its rule and its evaluation, and keys no rule reads', async () => {
    const r = await run(['eval', '--env', 'prod-01', '--app', 'sso-service', '--flag', 'passkey-login', '--context', 'accountCreated=yesterday', '--context', 'userAgent=Mozilla/5.0 (MSIE 10)', '--context', 'UserAgent=x']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'sso-service / prod-01 / passkey-login, context: accountCreated=yesterday userAgent=Mozilla/5.0 (MSIE 10) UserAgent=x',
        'the agent returns: {"enabled":false,"_variant":"default"}',
        'variant served: default (no rule before it is true, and it has none)',
        '',
        'variants, in the order they are tried:',
        '  1. new-accounts          unknown (not a match)  (and (exists key::"accountCreated") (gt $accountCreated 2026-06-01T00:00:00Z))',
        '       unknown: no argument is false, but argument 2 is unknown',
        '         true (exists key::"accountCreated"): $accountCreated is in the context',
        '         unknown (gt $accountCreated 2026-06-01T00:00:00Z): $accountCreated is "yesterday", which cannot be read as a timestamp',
        '  2. not-blocked-browsers  no match               (not (matches in::$userAgent pattern::"MSIE|Trident"))',
        '       false: its argument is true',
        '         true (matches in::$userAgent pattern::"MSIE|Trident"): $userAgent is "Mozilla/5.0 (MSIE 10)", which matches /MSIE|Trident/',
        '  3. default               served (no rule)       (no rule)',
        '',
        'note: no rule of this flag reads UserAgent (did you mean userAgent?); its rules read accountCreated, userAgent',
        '',
      ].join('\n'),
    );
  });

  test('a flag without variants in that environment: its value for every context', async () => {
    const r = await run(['eval', '--env', 'beta', '--app', 'payment-service-v2', '--flag', 'new-checkout', '--context', 'tier=pro']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('the agent returns: {"enabled":true,"rolloutPercent":100}\nthe flag has no variants in this environment: every context gets this value\n');
    expect(r.out).toContain('note: no rule of this flag reads tier');
  });

  test.each([
    [['--app', 'sso-service', '--flag', 'x'], '--env is required'],
    [['--env', 'prod-01', '--app', 'sso-service'], '--flag is required'],
    [['--env', 'prod-1', '--app', 'sso-service', '--flag', 'session-ttl'], "unknown environment 'prod-1' for --env (did you mean 'prod-01'?); environments: beta, gamma, prod-01, prod-02, prod-03"],
    [['--env', 'prod-01', '--app', 'sso', '--flag', 'session-ttl'], "unknown application 'sso' for --app"],
    [['--env', 'prod-01', '--app', 'sso-service', '--flag', 'session-tl'], "application 'sso-service' has no flag 'session-tl' (did you mean 'session-ttl'?); its flags: mfa-enforcement, session-ttl, passkey-login"],
    [['--env', 'prod-01', '--app', 'sso-service', '--flag', 'session-ttl', '--context', 'tier'], "--context: Context header entry 'tier' is not key=value"],
    [['--env', 'prod-01', '--app', 'sso-service', '--flag', 'session-ttl', '--context', 'plan=team,enterprise'], "--context: Context header entry 'enterprise' is not key=value (as in the agent's Context header: key=value, and a comma separates entries)"],
    [['--env', 'prod-01', '--app', 'sso-service', '--flag', 'session-ttl', '--context', 'a=1', '--context', 'a=2'], "Context key 'a' is given twice, as '1' and as '2'"],
    [['--env', 'prod-01', '--app', 'sso-service', '--flag', 'session-ttl', '--format', 'markdown'], '--format must be one of text, json'],
  ])('%j is a usage error: exit 2 and why', async (args, message) => {
    const r = await run(['eval', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  test('a workspace that does not validate: its located errors and exit 1 (json stays json)', async () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'flags/demo-app.json'), '{"flags": {"x": {"name": "X", "default": {"enabled": "no"}}}}');
      const args = ['eval', '--root', dir, '--env', 'beta', '--app', 'demo-app', '--flag', 'x'];
      const text = await run(args);
      expect(text.code).toBe(1);
      expect(text.out).toMatch(/^flags\/demo-app\.json:1:54 error /m);
      expect(text.err).toContain('dynconf eval: the workspace does not validate');
      const json = await run([...args, '--format', 'json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toMatchObject({ ok: false, errors: 1 });
    } finally {
      rmrf(dir);
    }
  });
});

describe('the trace is the evaluator, not a second one', () => {
  const rules = [
    '(eq $a "x")',
    '(not (eq $a "x"))',
    '(and (eq $a "x") (gt $n 3) (exists key::"b"))',
    '(or (lt $n 3) (begins_with $a "y") (in $a ["x", "z"]))',
    '(not (or (eq $b true) (gte $t 2026-01-01T00:00:00Z)))',
    '(matches in::$a pattern::"^x+$")',
    '(split pct::50 by::$a seed::"s")',
    '(and (ends_with $a "x") (not (contains $a "q")))',
  ];
  const contexts: EvaluationContext[] = [{}, { a: 'x' }, { a: 'y', n: '4' }, { a: 'xx', n: 'four', b: 'true' }, { a: 'z', n: 2, t: '2027-05-01' }, { a: 'q', b: true, t: 'soon' }, { a: 'x'.repeat(2000) }];

  test.each(rules)('%s gives the same value with and without a trace, for every context', (rule) => {
    const parsed = parseRule(rule);
    if (!parsed.ok) throw new Error(parsed.message);
    const compiled = compileRule(parsed.expr);
    for (const context of contexts) {
      const plain = compiled(context);
      const { result, trace } = explainRule(compiled, context);
      expect(result).toBe(plain === undefined ? 'unknown' : String(plain));
      expect(trace.result).toBe(result);
      expect(sourceAt(rule, trace.at)).toBe(rule);
      expect(trace.reason).not.toBe('');
    }
  });

  test('explain chooses the variant evaluate chooses, for the documents the agent serves', () => {
    for (const doc of model.documents.filter((d) => d.profile === 'flags')) {
      const flags = CompiledFeatureFlags.fromContent(findDocument(model, doc.environment, doc.application, 'flags')!.content);
      const contexts: EvaluationContext[] = [{}, { tier: 'pro' }, { plan: 'team', userId: 'u-3' }, { email: 'a@example.com', role: 'admin' }];
      for (const context of contexts) {
        const evaluated = flags.evaluate(context);
        for (const key of flags.keys) expect(flags.explain(key, context).result).toBe(evaluated[key]);
      }
    }
  });

  test('sourceAt finds the closing parenthesis past strings holding parentheses and escaped quotes', () => {
    const rule = '(and (eq $a "(\\")") (eq $b "x"))';
    expect(sourceAt(rule, 5)).toBe('(eq $a "(\\")")');
    expect(sourceAt(rule, 0)).toBe(rule);
  });
});
