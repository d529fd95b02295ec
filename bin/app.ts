/**
 * CDK entry (cdk.json "app"): the pipeline stack of config/workload.json, whose stages and
 * waves are one EnvironmentStage per environment (synthesized as `assembly-<environment>`),
 * with cdk-nag and CFN Guard checks on every stack. Offline: no context lookups, no
 * credentials, no Docker; a workspace that does not validate stops synth with its
 * diagnostics.
 *
 *   npx cdk synth                             the repository's workspace
 *   npx cdk synth -c dynconf:root=<folder>    another workspace (same layout)
 *   npx cdk deploy <workload>-dynconf-pipeline   once; the pipeline deploys everything else
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { templateLimitViolations } from '../lib/appconfig';
import { formatDiagnostic, loadWorkspaceFromDisk } from '../lib/model';
import { buildDynconfApp } from '../lib/pipeline/app';
import { codePipelineLimitViolations } from '../lib/pipeline/deployment-chunks';
import { iamLimitViolations, loadTemplates } from '../lib/pipeline/iam-limits';

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

const overLimits = templateLimitViolations(assembly);
for (const v of overLimits) {
  console.error(
    `${v.templateFile}: stack ${v.stackName} has ${v.message}. validate's cost model (lib/model/capacity.ts) estimated it under the hard budget, so the estimate is too low: ` +
      'raise BYTES_PER_RESOURCE or the resource counts there (test/appconfig/scale.test.ts measures them); to deploy meanwhile, move an application of this part to another with `npx dynconf layout --move <app>` (README: Moving an application to another stack part)',
  );
}
// IAM applies its policy quotas at deploy time, role by role across stacks, and CodePipeline
// its own to the pipeline's shape: fail here instead.
const overIam = iamLimitViolations(assembly);
for (const v of overIam) console.error(`dynconf: IAM would refuse ${v.subject}: ${v.message}`);
const overPipeline = codePipelineLimitViolations(loadTemplates(assembly));
for (const v of overPipeline) console.error(`dynconf: CodePipeline would refuse ${v}`);
if (overLimits.length > 0 || overIam.length > 0 || overPipeline.length > 0) process.exit(1);
