/**
 * aws-cdk-lib's built-in CloudFormation validation: `npm run synth` skips it for speed
 * (`cdk synth --no-validation`) and says so; `npm test` and the pipeline's synth step must
 * still run it, with cdk.json's flag making its findings errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { buildDynconfApp, builtinValidationNote } from '../../lib/pipeline/app';
import { SYNTH_COMMANDS } from '../../lib/pipeline/build-actions';
import { cdkJsonContext, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

const packageJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Synthesizes the minimal workspace as bin/app.ts does, with cdk.json's context; which plugins validated. */
function synthMinimal(env: Record<string, string | undefined>): { builtin: number; pluginNames: string[] } {
  const model = loadWorkspaceFromDisk(MINIMAL).model!;
  const outdir = tempDir('dynconf-builtin-');
  const saved = process.env.CDK_VALIDATION;
  const builtin = jest.spyOn(cdk.CloudFormationValidatePlugin.prototype, 'validate');
  const others = new Set<string>();
  const addPlugins = jest.spyOn(cdk.Validations.prototype, 'addPlugins');
  try {
    if (env.CDK_VALIDATION === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = env.CDK_VALIDATION;
    const app = new cdk.App({ outdir, analyticsReporting: false, context: cdkJsonContext() });
    buildDynconfApp(app, model);
    for (const call of addPlugins.mock.calls) for (const p of call) others.add(p.name);
    app.synth();
    return { builtin: builtin.mock.calls.length, pluginNames: [...others].sort() };
  } finally {
    if (saved === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = saved;
    builtin.mockRestore();
    addPlugins.mockRestore();
    rmrf(outdir);
  }
}

test('synthesized as npm test and the pipeline do, every template goes through the built-in validation, with findings as errors', () => {
  expect(cdkJsonContext()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  const r = synthMinimal({ CDK_VALIDATION: undefined });
  expect(r.builtin).toBeGreaterThan(0);
  expect(r.pluginNames).toEqual(expect.arrayContaining(['AwsSolutions', 'cdk-validator-cfnguard']));
});

test('with --no-validation (CDK_VALIDATION=false) the built-in validation is skipped, cdk-nag and Guard are not, and synth says so', () => {
  const r = synthMinimal({ CDK_VALIDATION: 'false' });
  expect(r.builtin).toBe(0);
  expect(r.pluginNames).toEqual(expect.arrayContaining(['AwsSolutions', 'cdk-validator-cfnguard']));
  expect(builtinValidationNote({ CDK_VALIDATION: 'false' })).toMatch(/built-in CloudFormation validation skipped .*cdk-nag and CFN Guard ran; npm test and the pipeline's synth run that validation too/);
  expect(builtinValidationNote({})).toBeUndefined();
  expect(builtinValidationNote({ CDK_VALIDATION: 'true' })).toBeUndefined();
});

test('only the local synth skips it: npm run synth does, npm test and the pipeline synth step do not', () => {
  expect(packageJson.scripts.synth).toBe('cdk synth --quiet --no-validation');
  expect(packageJson.scripts.main).toContain('npm run synth');
  expect(packageJson.scripts.test).not.toMatch(/CDK_VALIDATION|no-validation|npm run (synth|main)/);
  expect(SYNTH_COMMANDS).toContain('npx cdk synth');
  expect(SYNTH_COMMANDS.join('\n')).not.toMatch(/CDK_VALIDATION|no-validation|npm run (synth|main)/);
  expect(fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8')).not.toMatch(/CDK_VALIDATION|no-validation|npm run (synth|main)/);
});
