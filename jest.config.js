/** @type {import('jest').Config} */

// The coverage floor: `npm test` fails below it. It lives in .ci/coverage-floor.json, not
// here, so that one file holds it and test/ci/coverage-floor.test.ts can check that it never
// goes down (no committed version of that file may be higher than the one checked out).
const floor = require('./.ci/coverage-floor.json');
const fs = require('node:fs');
const path = require('node:path');

// Which tests run (lib/pipeline/build-actions.ts TEST_SELECTION). Unset: all of them. The
// pipeline runs the Chromium tests in a Build action of their own, beside the synth step,
// so the synth step neither installs Chromium nor waits for a browser:
//   DYNCONF_TESTS=without-chromium  every test but the Chromium tests (the synth step)
//   DYNCONF_TESTS=chromium-only     the Chromium tests alone (the BrowserTests action)
// A Chromium test is a test file that imports test/runtime/browser-support.ts, the one
// place that finds and launches Chromium: the two selections split the suite by the same
// rule, so no test can fall between them (test/pipeline/test-selection.test.ts lists both).
// Each selection says on stderr what it leaves out: never a silent skip.
const SELECTION = process.env.DYNCONF_TESTS;
const SELECTIONS = ['without-chromium', 'chromium-only'];
if (SELECTION !== undefined && !SELECTIONS.includes(SELECTION)) {
  throw new Error(`jest.config.js: DYNCONF_TESTS=${JSON.stringify(SELECTION)} is not a test selection: use ${SELECTIONS.join(' or ')}, or unset it to run every test`);
}

/** Test files (relative to the repo, with /) that import browser-support. */
function chromiumTests() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'fixtures' && e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.test.ts') && /from '(?:\.{1,2}\/)+(?:[\w-]+\/)*browser-support'/.test(fs.readFileSync(p, 'utf8'))) {
        out.push(path.relative(__dirname, p).split(path.sep).join('/'));
      }
    }
  };
  walk(path.join(__dirname, 'test'));
  return out.sort();
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CHROMIUM_TESTS = SELECTION ? chromiumTests() : [];
// Once per run: jest also loads this file in each worker process it starts (coverage runs
// replace theirs). A worker is told by its script, not by JEST_WORKER_ID, which a jest that a
// test starts (test/pipeline/test-selection.test.ts) inherits.
const IN_JEST_WORKER = /[\\/]jest-worker[\\/]build[\\/]/.test(process.argv[1] ?? '');
const SAY = IN_JEST_WORKER ? () => undefined : (line) => process.stderr.write(line);
if (SELECTION === 'without-chromium') {
  SAY(`jest.config.js: DYNCONF_TESTS=without-chromium: leaving out the ${CHROMIUM_TESTS.length} Chromium tests (${CHROMIUM_TESTS.join(', ')}); DYNCONF_TESTS=chromium-only runs them (the pipeline's BrowserTests action)\n`);
} else if (SELECTION === 'chromium-only') {
  if (CHROMIUM_TESTS.length === 0) throw new Error('jest.config.js: DYNCONF_TESTS=chromium-only: no test file imports test/runtime/browser-support.ts');
  SAY(`jest.config.js: DYNCONF_TESTS=chromium-only: running only the ${CHROMIUM_TESTS.length} Chromium tests (${CHROMIUM_TESTS.join(', ')})\n`);
}

// Coverage is on for `npm test` (npm sets npm_lifecycle_event to the script's name) and off
// for `npx jest some/file.test.ts`: see collectCoverage below. `npx jest --coverage` turns it
// on from the command line; workerIdleMemoryLimit below must know that too.
const COVERAGE = process.env.npm_lifecycle_event === 'test';
const COVERAGE_RUN = COVERAGE || process.argv.slice(2).some((a) => /^--(?:coverage|collectCoverage)(?:=true)?$/.test(a));

module.exports = {
  testEnvironment: 'node',
  // lib/ and bin/ are roots too, though they hold no tests: jest finds the files no test
  // loads (collectCoverageFrom) only among its roots, and they must count as uncovered.
  roots: ['<rootDir>/test', '<rootDir>/lib', '<rootDir>/bin'],
  testMatch: SELECTION === 'chromium-only' ? CHROMIUM_TESTS.map((f) => `<rootDir>/${f}`) : ['**/*.test.ts'],
  // Fixture projects carry their own tests, run by the test that owns them
  // (test/fixtures/coverage-floor/ by test/ci/coverage-floor.test.ts).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/fixtures/',
    ...(SELECTION === 'without-chromium' ? CHROMIUM_TESTS.map((f) => `^${escapeRegExp(path.join(__dirname, f))}$`) : []),
  ],
  // The AWS SDK's Node-support banner off in tests: see test/support/quiet-aws-sdk.ts.
  setupFiles: ['<rootDir>/test/support/quiet-aws-sdk.ts'],
  // One TMPDIR for the run, removed at its end: what tests leave in it (CDK's cdk.outXXXXXX
  // folders) does not pile up in /tmp.
  // Paths from this file, not <rootDir>: a project that spreads this config with a rootDir of
  // its own (test/fixtures/coverage-floor) still finds them.
  globalSetup: path.join(__dirname, 'test/support/run-tmpdir-setup.ts'),
  globalTeardown: path.join(__dirname, 'test/support/run-tmpdir-teardown.ts'),
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  // CDK synthesis and real browsers are slow on a 2-core machine; a test that hangs is a bug,
  // but one that takes 60 s under load is not.
  testTimeout: 120000,
  // JUnit XML for CodeBuild report groups (the pipeline's synth step publishes it).
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports', outputName: 'junit.xml' }]],

  // Coverage. On for `npm test` (npm sets npm_lifecycle_event to the script's name), which
  // is the README's test command and what .ci/run and the pipeline's synth step run; and for
  // `npx jest --coverage`. Off for `npx jest some/file.test.ts`: one file's tests cover a
  // sliver of lib/, so the global floor would fail every focused run.
  collectCoverage: COVERAGE,
  // V8's own coverage: the code that ran is the code swc emitted, with no second (istanbul)
  // transform; measured about as fast as istanbul on warm caches and faster on cold ones.
  coverageProvider: 'v8',
  // Why coverage cost about 11 s per test file in the whole suite (1,790 s against 632 s):
  // jest turns V8 coverage on and off around every test file (collect-v8-coverage:
  // Debugger.enable + Profiler.startPreciseCoverage, then takePreciseCoverage + stop), and
  // switching V8 to block coverage deoptimizes every function and walks the whole heap: its
  // cost grows with the heap of the process running the tests. On 2 cores jest runs the
  // suite in band (one worker or fewer), in its own process, whose heap only grows: the
  // module graphs (aws-cdk-lib, the AWS SDK) jest does not free between test files, plus the
  // coverage collected so far. Measured in band on 24 small files: the start took 0.15 s at
  // 19 MB of heap and 3.9 s at 540 MB, so each file paid for all the files before it.
  // A memory limit makes jest run the tests in a worker process (never in band) and replace
  // the worker once its heap passes the limit after a test file: the heap, and with it the
  // cost of each start, stays bounded; coverage collected so far lives in the parent, which
  // runs no tests. Same 24 files, CPU seconds: no coverage 106, in band 159, limit 400MB
  // 144, limit 250MB 130; the coverage figures identical in all three.
  // Only for coverage runs: without coverage nothing pays for the heap size, and a focused
  // `npx jest file` would pay a worker's start-up for nothing.
  workerIdleMemoryLimit: COVERAGE_RUN ? '250MB' : undefined,
  // Every source file counts, loaded by a test or not. The browser scripts
  // (lib/runtime/browser/*.js) run in Chromium and in a child Node process, where jest
  // cannot see them; counting them would only add zeros.
  collectCoverageFrom: ['lib/**/*.ts', 'bin/**/*.ts'],
  coverageDirectory: 'coverage',
  // text-summary for the log; Cobertura XML (coverage/cobertura-coverage.xml) for the
  // pipeline's CodeBuild coverage report group (report type COBERTURAXML).
  coverageReporters: ['text-summary', ['cobertura', { file: 'cobertura-coverage.xml' }]],
  coverageThreshold: {
    global: { statements: floor.statements, branches: floor.branches, functions: floor.functions, lines: floor.lines },
  },
};
