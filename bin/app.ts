/**
 * CDK entry (cdk.json "app"): one EnvironmentStage per environment of config/workload.json,
 * in pipeline order, with cdk-nag and CFN Guard checks. Offline: no context lookups, no
 * credentials; a workspace that does not validate stops synth with its diagnostics.
 *
 *   npx cdk synth                             the repository's workspace
 *   npx cdk synth -c dynconf:root=<folder>    another workspace (same layout)
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { addComplianceChecks, templateLimitViolations } from '../lib/appconfig';
import { formatDiagnostic, loadWorkspaceFromDisk } from '../lib/model';
import { buildEnvironmentStages } from '../lib/pipeline/environment-stage';

const app = new cdk.App();
const root = path.resolve((app.node.tryGetContext('dynconf:root') as string | undefined) ?? path.join(__dirname, '..'));
const { model, diagnostics } = loadWorkspaceFromDisk(root);
for (const d of diagnostics) console.error(formatDiagnostic(d));
if (!model) {
  console.error(`dynconf: ${root} does not validate (${diagnostics.filter((d) => d.severity === 'error').length} errors above); nothing synthesized. Run \`npx dynconf validate\` to check it.`);
  process.exit(1);
}

buildEnvironmentStages(app, model);
addComplianceChecks(app);
const assembly = app.synth();

const overLimits = templateLimitViolations(assembly);
for (const v of overLimits) console.error(`${v.templateFile}: stack ${v.stackName} has ${v.message}; lower PLANNING_BUDGET in lib/appconfig/limits.ts so the planner splits it`);
if (overLimits.length > 0) process.exit(1);
