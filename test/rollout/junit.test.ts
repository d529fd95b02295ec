/**
 * The JUnit reports of the pipeline's test steps: the writer (escaping checked by
 * Chromium's XML parser, which refuses any document that is not well-formed XML 1.0), and
 * what `rollout wait --junit` and `rollout guard --junit` write against the mocked
 * AppConfig control plane: a test case per profile, a failed gate as a <failure> naming
 * why, and a report even when the command ends in an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { BrowserContext, Page } from 'playwright-core';
import { main } from '../../lib/cli/main';
import { makeRolloutCommand } from '../../lib/cli/commands/rollout';
import { escapeXmlAttribute, escapeXmlText, guardSuite, junitXml, writeJUnitFile, type GuardReport, type JUnitSuite } from '../../lib/rollout';
import { rolloutTarget } from '../../lib/rollout/targets';
import { launchChromium, requireChromium } from '../runtime/browser-support';
import { captureIO, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { event, FakeAppConfig, FakeClock, noCredentials, sampleModel, T0 } from './fake-appconfig';
import { readCases } from './junit-reader';


describe('the JUnit writer', () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  beforeAll(async () => {
    requireChromium();
    profile = tempDir('dynconf-junit-chromium-');
    context = await launchChromium(profile);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    rmrf(profile);
  });

  /** Chromium's XML parser: the parse error, or every case's attributes and texts as the DOM has them. */
  function parse(xml: string) {
    return page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const error = doc.getElementsByTagName('parsererror')[0];
      if (error) return { error: error.textContent ?? 'parsererror' };
      const suites = Array.from(doc.getElementsByTagName('testsuite')).map((s) => ({ name: s.getAttribute('name'), tests: s.getAttribute('tests'), failures: s.getAttribute('failures'), errors: s.getAttribute('errors'), skipped: s.getAttribute('skipped') }));
      const cases = Array.from(doc.getElementsByTagName('testcase')).map((c) => {
        const f = c.getElementsByTagName('failure')[0];
        return { name: c.getAttribute('name'), classname: c.getAttribute('classname'), failure: f ? { message: f.getAttribute('message'), type: f.getAttribute('type'), text: f.textContent } : undefined, output: c.getElementsByTagName('system-out')[0]?.textContent };
      });
      return { root: doc.documentElement.nodeName, suites, cases };
    }, xml);
  }

  test('the parser in this test refuses what is not well-formed (so its passes mean something)', async () => {
    for (const bad of ['<a>]]></a>x', '<a b="<"/>', '<a>&</a>', '<a>\u0001</a>', '<a b="\u0008"/>']) {
      expect([bad, 'error' in (await parse(bad))]).toEqual([bad, true]);
    }
  });

  test('hostile names and messages come back exactly, in attributes and in text: ]]>, <, &, quotes, line breaks', async () => {
    const hostile = 'a]]><b attr="x">&amp; \'q\' </testcase><!-- --> <![CDATA[ ]]>\n\tline2\r\nend';
    const suite: JUnitSuite = {
      name: `suite ${hostile}`,
      timestamp: new Date(T0),
      timeSeconds: 1.5,
      cases: [
        { classname: `dynconf.${hostile}`, name: hostile, failure: { message: hostile, type: 'rolled-back', details: `details ${hostile}` }, output: hostile },
        { classname: 'dynconf.x', name: 'fine' },
      ],
    };
    const xml = junitXml(`dynconf ${hostile}`, [suite]);
    expect(xml).not.toContain('<![CDATA[ ]]>');
    const parsed = await parse(xml);
    expect(parsed).toEqual({
      root: 'testsuites',
      suites: [{ name: `suite ${hostile}`, tests: '2', failures: '1', errors: '0', skipped: '0' }],
      cases: [
        // Line breaks in text are kept as written except \r\n, which XML parsers normalize to \n.
        { name: hostile, classname: `dynconf.${hostile}`, failure: { message: hostile, type: 'rolled-back', text: `details ${hostile.replace('\r\n', '\n')}` }, output: hostile.replace('\r\n', '\n') },
        { name: 'fine', classname: 'dynconf.x', output: undefined },
      ],
    });
  });

  test('characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFF) are written as visible \\uXXXX', async () => {
    const nasty = `alarm\u0000name\u0001\u001b[31m\ud800x\udc00\uffff ok \ud83d\ude00`;
    const visible = 'alarm\\u0000name\\u0001\\u001B[31m\\uD800x\\uDC00\\uFFFF ok \ud83d\ude00';
    expect(escapeXmlText(nasty)).toBe(visible);
    expect(escapeXmlAttribute(nasty)).toBe(visible);
    const parsed = await parse(junitXml('r', [{ name: nasty, timestamp: new Date(T0), timeSeconds: 0, cases: [{ classname: 'c', name: nasty, failure: { message: nasty, type: 't' } }] }]));
    expect(parsed).toMatchObject({ cases: [{ name: visible, failure: { message: visible, text: visible } }] });
  });

  test('writes the whole file or nothing: a path it cannot write names the file and the fix, and leaves no temporary file', () => {
    const dir = tempDir('dynconf-junit-');
    try {
      fs.writeFileSync(path.join(dir, 'not-a-dir'), 'x');
      const file = path.join(dir, 'not-a-dir', 'report.xml');
      expect(() => writeJUnitFile(file, '<x/>')).toThrow(`cannot write the JUnit report ${file}: `);
      expect(() => writeJUnitFile(file, '<x/>')).toThrow('; pass --junit a writable path');
      const nested = path.join(dir, 'a', 'b', 'report.xml');
      writeJUnitFile(nested, '<x/>');
      expect(fs.readFileSync(nested, 'utf8')).toBe('<x/>');
      expect(fs.readdirSync(path.dirname(nested))).toEqual(['report.xml']);
    } finally {
      rmrf(dir);
    }
  });
});

describe('dynconf rollout wait --junit', () => {
  let fake: FakeAppConfig;
  let dir: string;
  let report: string;
  beforeEach(() => {
    fake = new FakeAppConfig();
    dir = tempDir('dynconf-junit-');
    report = path.join(dir, 'reports', 'gate.xml');
  });
  afterEach(() => {
    fake.restore();
    rmrf(dir);
  });

  const payments = () => rolloutTarget(sampleModel(), 'prod-01', { application: 'payment-service-v2' });
  async function dynconf(...argv: string[]) {
    const c = captureIO(REPO_ROOT);
    const code = await main(argv, c.io);
    return { code, out: c.out(), err: c.err() };
  }

  test('a passed gate: one passing case per profile, classname naming the command and environment', async () => {
    fake.deployTarget(rolloutTarget(sampleModel(), 'prod-01'), 'COMPLETE');
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--junit', report);
    expect(r.code).toBe(0);
    const xml = fs.readFileSync(report, 'utf8');
    const cases = readCases(xml);
    expect(cases.map((c) => [c.classname, c.name, c.failure, c.error, c.skipped])).toEqual(rolloutTarget(sampleModel(), 'prod-01').items.map((i) => ['dynconf.rollout-wait.prod-01', `${i.application}/${i.profile}`, undefined, undefined, undefined]));
    const tests = rolloutTarget(sampleModel(), 'prod-01').items.length;
    expect(xml).toMatch(new RegExp(`<testsuite name="dynconf rollout wait --env prod-01" tests="${tests}" failures="0" errors="0" skipped="0" timestamp="\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d" time="\\d+\\.\\d{3}">`));
  });

  test('a rollback is a <failure> of that profile naming the alarm that triggered it; the exit code stays 1', async () => {
    const [flags] = fake.deployTarget(payments(), 'COMPLETE');
    flags!.state = 'ROLLED_BACK';
    flags!.events.push(event('ROLLBACK_STARTED', 'CLOUDWATCH_ALARM', 'Alarm g360-prod-01-api-5xx', 3));
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--app', 'payment-service-v2', '--junit', report);
    expect(r.code).toBe(1);
    const [flagsCase, opsCase] = readCases(fs.readFileSync(report, 'utf8'));
    expect(flagsCase).toMatchObject({
      name: 'payment-service-v2/flags',
      failure: { type: 'rolled-back', message: 'payment-service-v2/flags: deployment #1 was rolled back (ROLLBACK_STARTED by CLOUDWATCH_ALARM: Alarm g360-prod-01-api-5xx)' },
    });
    expect(flagsCase!.output).toContain('2026-01-15T10:03:00.000Z ROLLBACK_STARTED by CLOUDWATCH_ALARM: Alarm g360-prod-01-api-5xx');
    expect(opsCase).toMatchObject({ name: 'payment-service-v2/ops' });
    expect(opsCase!.failure).toBeUndefined();
  });

  test('a timeout is a <failure> of each profile still pending, saying where it stood', async () => {
    const clock = new FakeClock();
    const [, ops] = fake.deployTarget(payments(), 'COMPLETE');
    Object.assign(ops!, { state: 'BAKING', percentage: 100 });
    const command = makeRolloutCommand({ clock, client: (region) => new AppConfigClient({ region }) });
    const c = captureIO(REPO_ROOT);
    const args = parseArgs({ args: ['wait', '--env', 'prod-01', '--app', 'payment-service-v2', '--timeout', '2', '--interval', '30', '--junit', report], options: command.options, allowPositionals: true });
    expect(await command.run(args, c.io)).toBe(1);
    const xml = fs.readFileSync(report, 'utf8');
    expect(readCases(xml)).toEqual([
      { classname: 'dynconf.rollout-wait.prod-01', name: 'payment-service-v2/flags', output: expect.any(String) },
      {
        classname: 'dynconf.rollout-wait.prod-01',
        name: 'payment-service-v2/ops',
        output: expect.any(String),
        failure: { type: 'timeout', message: 'payment-service-v2/ops: deployment #2 still BAKING at 100% when the gate timed out after 2 min', text: 'payment-service-v2/ops: deployment #2 still BAKING at 100% when the gate timed out after 2 min' },
      },
    ]);
    expect(xml).toContain('time="120.000"');
  });

  test('content the checkout did not compile is a <failure> of type content-mismatch; a profile still pending when the gate stopped is skipped', async () => {
    const t = payments();
    const [flags, ops] = fake.deployTarget(t, 'COMPLETE');
    Object.assign(flags!, { state: 'DEPLOYING', percentage: 20 });
    fake.deploy('payment-service-v2', 'prod-01', 'ops', JSON.stringify({ ...(JSON.parse(t.items[1]!.content) as object), hotfix: true }), 'COMPLETE');
    expect(ops).toBeDefined();
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--app', 'payment-service-v2', '--junit', report);
    expect(r.code).toBe(1);
    const [flagsCase, opsCase] = readCases(fs.readFileSync(report, 'utf8'));
    expect(flagsCase!.skipped).toBe("payment-service-v2/flags: deployment #1 still DEPLOYING at 20% when the gate stopped on another profile's failure");
    expect(opsCase!.failure).toMatchObject({ type: 'content-mismatch', message: expect.stringMatching(/^payment-service-v2\/ops: the latest deployment #3 \(COMPLETE\) carries version 2 \(sha256 [0-9a-f]{12}\), not the content this run compiled/) });
  });

  test('an AWS error that ends the gate is written as one <error> case with its message; exit 1 as before', async () => {
    fake.fail('ListApplications', noCredentials());
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--junit', report);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^dynconf rollout: no usable AWS credentials for account 333333333333 region us-east-1/);
    expect(readCases(fs.readFileSync(report, 'utf8'))).toEqual([
      { classname: 'dynconf.rollout-wait.prod-01', name: 'dynconf rollout wait', error: { type: 'CommandError', message: expect.stringMatching(/^no usable AWS credentials for account 333333333333 region us-east-1/) } },
    ]);
  });

  test('a usage error is reported too (exit 2), and --junit is refused where there is nothing to report', async () => {
    let r = await dynconf('rollout', 'wait', '--env', 'prod-1', '--junit', report);
    expect(r.code).toBe(2);
    expect(readCases(fs.readFileSync(report, 'utf8'))).toEqual([{ classname: 'dynconf.rollout-wait.prod-1', name: 'dynconf rollout wait', error: { type: 'UsageError', message: "unknown environment 'prod-1' (did you mean 'prod-01'?); known: beta, gamma, prod-01, prod-02, prod-03" } }]);
    r = await dynconf('rollout', 'status', '--env', 'prod-01', '--junit', report);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining('--junit is for wait and guard only')]);
    r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--junit', '');
    expect([r.code, r.err]).toEqual([2, expect.stringContaining('--junit needs a file name')]);
  });

  test('a report that cannot be written fails a passing gate, naming the file', async () => {
    fake.deployTarget(payments(), 'COMPLETE');
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const r = await dynconf('rollout', 'wait', '--env', 'prod-01', '--app', 'payment-service-v2', '--junit', path.join(dir, 'file', 'gate.xml'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`dynconf rollout: cannot write the JUnit report ${path.join(dir, 'file', 'gate.xml')}`);
  });
});

describe('dynconf rollout guard --junit', () => {
  const target = () => rolloutTarget(sampleModel(), 'prod-01', { application: 'payment-service-v2' });
  const subject = { command: 'rollout guard', environment: 'prod-01', suite: 'dynconf rollout guard --env prod-01', startedMs: T0, endedMs: T0 + 2000 };

  test('an emergency change the commit would undo fails its profile with the guard’s message; the others pass', () => {
    const report: GuardReport = {
      environment: 'prod-01',
      account: '333333333333',
      region: 'us-east-1',
      commit: 'c'.repeat(40),
      blocked: 1,
      findings: [
        { application: 'payment-service-v2', profile: 'flags', deploymentNumber: 4, state: 'COMPLETE', emergencyCommit: 'e'.repeat(40), verdict: 'undoes', message: 'prod-01 payment-service-v2/flags: would switch new-checkout back on; merge the emergency commit first' },
      ],
    };
    const xml = junitXml('dynconf rollout guard', [guardSuite(subject, target(), report)]);
    expect(readCases(xml)).toEqual([
      {
        classname: 'dynconf.rollout-guard.prod-01',
        name: 'payment-service-v2/flags',
        output: 'undoes: prod-01 payment-service-v2/flags: would switch new-checkout back on; merge the emergency commit first',
        failure: { type: 'undoes-emergency-change', message: 'prod-01 payment-service-v2/flags: would switch new-checkout back on; merge the emergency commit first', text: expect.any(String) },
      },
      { classname: 'dynconf.rollout-guard.prod-01', name: 'payment-service-v2/ops', output: 'no emergency deployment is live or in flight' },
    ]);
    expect(xml).toContain('time="2.000"');
  });

  test('end to end: no emergency deployment, every profile passes', async () => {
    const fake = new FakeAppConfig();
    const dir = tempDir('dynconf-junit-');
    try {
      fake.deployTarget(target(), 'COMPLETE');
      const report = path.join(dir, 'guard.xml');
      const c = captureIO(REPO_ROOT);
      const code = await main(['rollout', 'guard', '--env', 'prod-01', '--app', 'payment-service-v2', '--junit', report], c.io);
      expect([code, c.err()]).toEqual([0, '']);
      expect(readCases(fs.readFileSync(report, 'utf8')).map((x) => [x.name, x.failure])).toEqual([
        ['payment-service-v2/flags', undefined],
        ['payment-service-v2/ops', undefined],
      ]);
    } finally {
      fake.restore();
      rmrf(dir);
    }
  });
});
