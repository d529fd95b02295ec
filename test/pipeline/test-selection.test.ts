/**
 * The split of the jest suite between the pipeline's synth step (DYNCONF_TESTS=without-chromium)
 * and its BrowserTests action (DYNCONF_TESTS=chromium-only), run as the pipeline runs it:
 * `jest --listTests` under each selection. Together they are the whole suite, with nothing
 * twice and nothing dropped; each says what it leaves out; a wrong value is an error.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_TEST_COMMANDS, SYNTH_COMMANDS, TEST_SELECTION } from '../../lib/pipeline/build-actions';
import { REPO_ROOT } from '../support/workspace';

const JEST = path.join(REPO_ROOT, 'node_modules/.bin/jest');

function listTests(selection: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[TEST_SELECTION.variable];
  if (selection !== undefined) env[TEST_SELECTION.variable] = selection;
  const r = spawnSync(JEST, ['--listTests'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  const files = r.stdout
    .split('\n')
    .filter((l) => l.endsWith('.test.ts'))
    .map((f) => path.relative(REPO_ROOT, f).split(path.sep).join('/'))
    .sort();
  return { status: r.status, files, stderr: r.stderr };
}

let all: ReturnType<typeof listTests>;
let without: ReturnType<typeof listTests>;
let only: ReturnType<typeof listTests>;

beforeAll(() => {
  all = listTests(undefined);
  without = listTests(TEST_SELECTION.withoutChromium);
  only = listTests(TEST_SELECTION.chromiumOnly);
});

test('the pipeline selects with the variable jest.config.js reads', () => {
  expect(SYNTH_COMMANDS[0]).toBe(`${TEST_SELECTION.variable}=${TEST_SELECTION.withoutChromium} bash .ci/run`);
  expect(BROWSER_TEST_COMMANDS).toContain(`${TEST_SELECTION.variable}=${TEST_SELECTION.chromiumOnly} npx jest`);
});

test('the two selections split the whole suite: disjoint, and together every test file', () => {
  expect([all.status, without.status, only.status]).toEqual([0, 0, 0]);
  expect(all.files.length).toBeGreaterThan(50);
  expect(only.files.length).toBeGreaterThan(0);
  expect(without.files.filter((f) => only.files.includes(f))).toEqual([]);
  expect([...without.files, ...only.files].sort()).toEqual(all.files);
});

test('the Chromium tests are the test files that drive a browser, and only those', () => {
  // Whatever imports playwright or launches Chromium, read from the files themselves.
  const drivesBrowser = all.files.filter((f) => /from ['"]playwright-core['"]|\b(?:launch|require)Chromium\(/.test(fs.readFileSync(path.join(REPO_ROOT, f), 'utf8')));
  expect(only.files).toEqual(drivesBrowser);
  expect(only.files).toEqual(expect.arrayContaining(['test/runtime/browser-e2e.test.ts', 'test/runtime/browser-openfeature.test.ts', 'test/rollout/junit.test.ts']));
});

test('each selection says on stderr what it runs or leaves out: never a silent skip', () => {
  expect(without.stderr).toContain(`DYNCONF_TESTS=without-chromium: leaving out the ${only.files.length} Chromium tests (${only.files.join(', ')})`);
  expect(only.stderr).toContain(`DYNCONF_TESTS=chromium-only: running only the ${only.files.length} Chromium tests (${only.files.join(', ')})`);
  expect(all.stderr).not.toContain('DYNCONF_TESTS');
});

test('an unknown selection stops jest with the values it accepts', () => {
  const r = listTests('browser');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('jest.config.js: DYNCONF_TESTS="browser" is not a test selection: use without-chromium or chromium-only, or unset it to run every test');
});

test("without the Chromium tests, npm test's pretest step needs no Chromium and says why", () => {
  const r = spawnSync('/bin/bash', [path.join(REPO_ROOT, '.ci/ensure-chromium')], {
    env: { PATH: process.env.PATH ?? '', DYNCONF_CHROMIUM: '/nonexistent/chromium', [TEST_SELECTION.variable]: TEST_SELECTION.withoutChromium },
    encoding: 'utf8',
  });
  expect([r.status, r.stdout]).toEqual([0, '']);
  expect(r.stderr).toBe('dynconf: DYNCONF_TESTS=without-chromium: the Chromium tests run elsewhere (DYNCONF_TESTS=chromium-only); not checking for chromium\n');
});
