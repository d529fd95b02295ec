/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The AWS SDK's Node-support banner off in tests: see test/support/quiet-aws-sdk.ts.
  setupFiles: ['<rootDir>/test/support/quiet-aws-sdk.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  // CDK synthesis and real browsers are slow on a 2-core machine; a test that hangs is a bug,
  // but one that takes 60 s under load is not.
  testTimeout: 120000,
  // JUnit XML for CodeBuild report groups (the pipeline's synth step publishes it).
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports', outputName: 'junit.xml' }]],
};
