/**
 * Shared by the pipeline tests: the sample model (and variants of its pipeline), the app
 * bin/app.ts builds, synthesized once per test file, and readers for what it wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import type * as cxapi from 'aws-cdk-lib/cx-api';
import * as YAML from 'yaml';
import { loadWorkspaceFromDisk, pipelineSteps, type Model, type WaveConfig, type WorkloadConfig } from '../../lib/model';
import { buildDynconfApp } from '../../lib/pipeline/app';
import { loadTemplates } from '../../lib/pipeline/iam-limits';
import type { PipelineStack } from '../../lib/pipeline/pipeline-stack';
import { cdkJsonContext, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

let sample: Model | undefined;

/** The repository's own workload. */
export function sampleModel(): Model {
  if (!sample) {
    const loaded = loadWorkspaceFromDisk(REPO_ROOT);
    if (!loaded.model) throw new Error(`the sample workload does not validate: ${JSON.stringify(loaded.diagnostics[0])}`);
    sample = loaded.model;
  }
  return sample;
}

/** The model with its workload changed (the pipeline steps are derived again). */
export function withWorkload(model: Model, change: (w: WorkloadConfig) => WorkloadConfig): Model {
  const workload = change(structuredClone(model.workload) as WorkloadConfig);
  return { ...model, workload, pipeline: pipelineSteps(workload) };
}

/** The model with other waves. */
export function withWaves(model: Model, waves: readonly WaveConfig[]): Model {
  return withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, waves } }));
}

export interface SynthesizedApp {
  readonly model: Model;
  readonly app: cdk.App;
  readonly pipeline: PipelineStack;
  readonly assembly: cxapi.CloudAssembly;
  readonly outdir: string;
}

/**
 * bin/app.ts's app for a model (with the policy checks), synthesized; remove `outdir` when
 * done. `analyticsReporting` as under `cdk synth`, which adds a CDK metadata resource to
 * every stack; off by default so that templates are stable.
 */
export function synthesize(model: Model = sampleModel(), options: { analyticsReporting?: boolean } = {}): SynthesizedApp {
  const outdir = tempDir('dynconf-pipeline-');
  try {
    const app = new cdk.App({ outdir, analyticsReporting: options.analyticsReporting ?? false, context: cdkJsonContext() });
    const pipeline = buildDynconfApp(app, model);
    return { model, app, pipeline, assembly: app.synth(), outdir };
  } catch (e) {
    rmrf(outdir);
    throw e;
  }
}

export interface ReportedConstruct {
  readonly constructPath: string;
}

export interface ValidationReport {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: { ruleName: string; violatingConstructs: ReportedConstruct[] }[];
    readonly suppressedViolations?: { ruleName: string; reason?: string; violatingConstructs: ReportedConstruct[] }[];
  }[];
}

export function validationReport(s: SynthesizedApp): ValidationReport {
  return JSON.parse(fs.readFileSync(path.join(s.assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

export type Template = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };
export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** The template of a stack of a stage, by stack name. */
export function stageTemplate(s: SynthesizedApp, stage: string, stackName: string): Template {
  const assembly = s.assembly.getNestedAssembly(`assembly-${stage}`);
  const stack = assembly.stacks.find((st) => st.stackName === stackName);
  if (!stack) throw new Error(`no stack ${stackName} in stage ${stage} (has ${assembly.stacks.map((st) => st.stackName).join(', ')})`);
  return stack.template as Template;
}

export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The policy statements a role gets from its default policy and its overflow, resolved. */
export function statementsOf(template: Template, roleLogicalId: string): { Effect: string; Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.Resources)
    .filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleLogicalId}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] }).Statement);
}

export const actions = (s: { Action: string | string[] }): string[] => ([] as string[]).concat(s.Action);

/** Buildspec phases in the order CodeBuild runs them. */
export const BUILDSPEC_PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;

export interface ProjectCommands {
  /** `<stack>/<logical id>` of the CodeBuild project. */
  readonly project: string;
  /** Every command of its buildspec, in the order CodeBuild runs them, with its phase. */
  readonly commands: readonly { readonly phase: string; readonly command: string }[];
}

/**
 * The commands of every CodeBuild project in every template of the assembly (the pipeline
 * stack, the stages, nested stacks): inline buildspecs, and the files asset publishing
 * writes into the assembly and names instead.
 */
export function buildSpecCommands(s: SynthesizedApp): ProjectCommands[] {
  const out: ProjectCommands[] = [];
  for (const { stackName, template } of loadTemplates(s.assembly)) {
    for (const [id, r] of Object.entries((template as Template).Resources ?? {})) {
      if (r.Type !== 'AWS::CodeBuild::Project') continue;
      const text = (r.Properties.Source as { BuildSpec?: unknown }).BuildSpec;
      if (typeof text !== 'string') throw new Error(`${stackName}/${id}: a buildspec that is not a string (${JSON.stringify(text)}); read it here before checking its commands`);
      const spec = (text.startsWith('{') ? JSON.parse(text) : YAML.parse(fs.readFileSync(path.join(s.assembly.directory, text), 'utf8'))) as { phases?: Record<string, { commands?: string[] }> };
      const phases = Object.keys(spec.phases ?? {});
      const unknown = phases.filter((p) => !(BUILDSPEC_PHASES as readonly string[]).includes(p));
      if (unknown.length) throw new Error(`${stackName}/${id}: buildspec phases ${unknown.join(', ')} not in ${BUILDSPEC_PHASES.join(', ')}`);
      const commands = BUILDSPEC_PHASES.flatMap((phase) => (spec.phases?.[phase]?.commands ?? []).map((command) => ({ phase, command })));
      out.push({ project: `${stackName}/${id}`, commands });
    }
  }
  return out;
}
