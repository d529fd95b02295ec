/**
 * The repository's sample workload, synthesized the way bin/app.ts does it, for the
 * tests of lib/appconfig.
 */
import * as cdk from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { addComplianceChecks, type AppConfigEnvironmentStack, type AppConfigSharedStack } from '../../lib/appconfig';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { buildEnvironmentStages, type EnvironmentStage } from '../../lib/pipeline/environment-stage';
import { cdkJsonContext, REPO_ROOT, tempDir } from '../support/workspace';

export function loadModel(root: string = REPO_ROOT): Model {
  const { model, diagnostics } = loadWorkspaceFromDisk(root);
  if (!model) throw new Error(`${root} does not validate:\n${diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('\n')}`);
  return model;
}

export interface SampleApp {
  readonly model: Model;
  readonly app: cdk.App;
  readonly stages: readonly EnvironmentStage[];
  readonly outdir: string;
}

/**
 * Build (not synthesize) the stages of a workspace with cdk.json's feature flags, as
 * `cdk synth` does; analytics off so templates are stable.
 */
export function buildApp(model: Model = loadModel(), options: { checks?: boolean } = {}): SampleApp {
  const outdir = tempDir('dynconf-cdk-');
  const app = new cdk.App({ outdir, analyticsReporting: false, context: { ...cdkJsonContext(), [cxapi.PATH_METADATA_ENABLE_CONTEXT]: true } });
  const stages = buildEnvironmentStages(app, model);
  if (options.checks) addComplianceChecks(app);
  return { model, app, stages, outdir };
}

export function stageOf(sample: SampleApp, environment: string): EnvironmentStage {
  const stage = sample.stages.find((s) => s.environmentName === environment);
  if (!stage) throw new Error(`no stage for ${environment}`);
  return stage;
}

export function allSharedStacks(sample: SampleApp): AppConfigSharedStack[] {
  return sample.stages.flatMap((s) => [...s.sharedStacks]);
}

export function allEnvironmentStacks(sample: SampleApp): AppConfigEnvironmentStack[] {
  return sample.stages.flatMap((s) => [...s.appConfigStacks]);
}

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string; Metadata?: Record<string, unknown> };

/** Resources of a type, keyed by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The construct path a resource was created at (`aws:cdk:path` metadata). */
export function pathOf(resource: Resource): string {
  return String(resource.Metadata?.['aws:cdk:path'] ?? '');
}
