/**
 * CDK entry (cdk.json "app"): the pipeline stack of config/workload.json, whose stages and
 * waves are one EnvironmentStage per environment (synthesized as `assembly-<environment>`),
 * with cdk-nag and CFN Guard checks on every stack. Offline: no context lookups, no
 * credentials, no Docker; a workspace that does not validate stops synth with its
 * diagnostics.
 *
 *   npx cdk synth                             the repository's workspace, every check
 *   npm run synth                             the same without aws-cdk-lib's built-in
 *                                             validation (--no-validation), which npm test
 *                                             and the pipeline run
 *   npx cdk synth -c dynconf:root=<folder>    another workspace (same layout)
 *   npx cdk deploy <workload>-dynconf-pipeline   once; the pipeline deploys everything else
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { formatDiagnostic, loadWorkspaceFromDisk } from '../lib/model';
import { buildDynconfApp, builtinValidationNote } from '../lib/pipeline/app';
import { deployLimitViolations } from '../lib/pipeline/deploy-limits';

const app = new cdk.App();
const root = path.resolve((app.node.tryGetContext('dynconf:root') as string | undefined) ?? path.join(__dirname, '..'));
const { model, diagnostics } = loadWorkspaceFromDisk(root);
for (const d of diagnostics) console.error(formatDiagnostic(d));
if (!model) {
  console.error(`dynconf: ${root} does not validate (${diagnostics.filter((d) => d.severity === 'error').length} errors above); nothing synthesized. Run \`npx dynconf validate\` to check it.`);
  process.exit(1);
}

buildDynconfApp(app, model);
const assembly = app.synth();
// Never a silent skip: npm run synth says what it left to npm test and the pipeline.
const skipped = builtinValidationNote(process.env);
if (skipped) console.error(skipped);

// AWS applies these limits at deploy time, hours into a rollout: fail here instead.
const violations = deployLimitViolations(assembly);
for (const v of violations) console.error(v);
if (violations.length > 0) process.exit(1);
