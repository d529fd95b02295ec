/** @type {import('jest').Config} */

// The coverage floor: `npm test` fails below it. It lives in .ci/coverage-floor.json, not
// here, so that one file holds it and test/ci/coverage-floor.test.ts can check that it never
// goes down (no committed version of that file may be higher than the one checked out).
const floor = require('./.ci/coverage-floor.json');

module.exports = {
  testEnvironment: 'node',
  // lib/ and bin/ are roots too, though they hold no tests: jest finds the files no test
  // loads (collectCoverageFrom) only among its roots, and they must count as uncovered.
  roots: ['<rootDir>/test', '<rootDir>/lib', '<rootDir>/bin'],
  testMatch: ['**/*.test.ts'],
  // Fixture projects carry their own tests, run by the test that owns them
  // (test/fixtures/coverage-floor/ by test/ci/coverage-floor.test.ts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/fixtures/'],
  // The AWS SDK's Node-support banner off in tests: see test/support/quiet-aws-sdk.ts.
  setupFiles: ['<rootDir>/test/support/quiet-aws-sdk.ts'],
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
  collectCoverage: process.env.npm_lifecycle_event === 'test',
  // V8's own coverage: the code that ran is the code swc emitted, with no second (istanbul)
  // transform; measured about as fast as istanbul on warm caches and faster on cold ones.
  coverageProvider: 'v8',
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
