/**
 * The CDK app dynconf synthesizes (bin/app.ts, and the tests that check it): the pipeline
 * stack, whose stages and waves are one EnvironmentStage per environment, and the policy
 * checks on every stack beneath the app.
 */
import type * as cdk from 'aws-cdk-lib';
import type { Model } from '../model';
import { addAppComplianceChecks } from './guard';
import { pipelineStackName } from './names';
import { PipelineStack } from './pipeline-stack';

export function buildDynconfApp(app: cdk.App, model: Model): PipelineStack {
  const pipeline = new PipelineStack(app, pipelineStackName(model), { model });
  addAppComplianceChecks(app);
  return pipeline;
}

/**
 * What a synth that skips aws-cdk-lib's built-in CloudFormation validation says on stderr,
 * or undefined when it runs. `npm run synth` (and so `npm run main`) passes `cdk synth
 * --no-validation`, which the aws-cdk CLI hands to the app as CDK_VALIDATION=false: that
 * validation is over half of the sample's synth CPU time (its engine's start-up grows with
 * the resource types present). cdk-nag and Guard still run. The
 * pipeline's synth step (`npx cdk synth`) and `npm test` (every test that synthesizes the
 * sample) run it; test/pipeline/builtin-validation.test.ts holds both to that.
 */
export function builtinValidationNote(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CDK_VALIDATION !== 'false') return undefined;
  return "dynconf: aws-cdk-lib's built-in CloudFormation validation skipped (cdk synth --no-validation, as npm run synth runs it); cdk-nag and CFN Guard ran; npm test and the pipeline's synth run that validation too, and `npx cdk synth` runs everything";
}
