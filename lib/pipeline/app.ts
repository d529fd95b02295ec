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
