/**
 * 500 generated applications, as bin/app.ts builds them (the pipeline stack and every
 * stage, with cdk-nag and CFN Guard, analytics on as under `cdk synth`), synthesized once:
 * - the workspace validates with its declared AppConfig quota;
 * - `dynconf layout` splits every AppConfig stack in parts, each application in exactly
 *   one part, and the cost model's resource counts are exact and its byte estimates never
 *   too low;
 * - every template stays within the smallest limit on its deploy path (CodePipeline's
 *   512 KB, CloudFormation's quotas), every IAM role and policy within IAM's quotas, and
 *   the pipeline within CodePipeline's (actions per stage and per pipeline, stages);
 * - every cluster's agents make no more data-plane calls than a sidecar per pod would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { estimateDataPlane } from '../../lib/agent/data-plane-cost';
import {
  addCost,
  environmentApplicationCost,
  environmentFixedCost,
  FILL_BUDGET,
  fitsBudget,
  HARD_BUDGET,
  measureTemplates,
  NO_COST,
  planAppConfig,
  sharedApplicationCost,
  sharedFixedCost,
  TEMPLATE_LIMITS,
  templateLimitViolations,
  type AppConfigPlan,
  type TemplateMeasure,
} from '../../lib/appconfig';
import { loadWorkspaceFromDisk, partCount, type Model } from '../../lib/model';
import { actionsForRange, chunkWaveName, codePipelineLimitViolations, CODEPIPELINE_LIMITS, deploymentChunks, pipelineShapes } from '../../lib/pipeline/deployment-chunks';
import { IAM_LIMITS, iamLimitViolations, loadTemplates, measureIam } from '../../lib/pipeline/iam-limits';
import { pipelineName } from '../../lib/pipeline/names';
import { environmentStageLayers } from '../../lib/pipeline/pipeline-minutes';
import { generateWorkload } from '../support/generated-workload';
import { rmrf } from '../support/workspace';
import { synthesize, type SynthesizedApp } from './support';

const APPS = 500;
let workspace: string;
let model: Model;
let plan: AppConfigPlan;
let synthesized: SynthesizedApp;
let measures: TemplateMeasure[];

beforeAll(() => {
  workspace = generateWorkload(APPS);
  const loaded = loadWorkspaceFromDisk(workspace);
  if (!loaded.model) throw new Error(`the ${APPS}-application workspace does not validate: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  model = loaded.model;
  plan = planAppConfig(model);
  synthesized = synthesize(model, { analyticsReporting: true });
  measures = measureTemplates(synthesized.assembly);
}, 600_000);

afterAll(() => {
  rmrf(workspace);
  if (synthesized) rmrf(synthesized.outdir);
});

test(`the generated workload has ${APPS} applications, half of them with a browser profile`, () => {
  expect(model.applications).toHaveLength(APPS);
  expect(model.applications.filter((a) => a.profiles.includes('browser')).length).toBe(APPS / 2);
});

test('every stack was split, and every template is under 500 resources, 512,000 bytes, 200 parameters and 200 outputs', () => {
  // The stages also hold the canary, agent and config-readers stacks; the quotas below hold for them too.
  const planned = new Set([...plan.shared, ...plan.environments].map((s) => s.stackName));
  expect(measures.filter((m) => planned.has(m.stackName)).length).toBe(planned.size);
  for (const env of model.environments) expect(plan.environments.filter((s) => s.environment === env).length).toBeGreaterThan(1);
  expect(plan.shared.length).toBeGreaterThan(2);
  for (const m of measures) {
    expect([m.stackName, m.resources <= TEMPLATE_LIMITS.resources, m.bytes <= TEMPLATE_LIMITS.bytes, m.parameters <= TEMPLATE_LIMITS.parameters, m.outputs <= TEMPLATE_LIMITS.outputs]).toEqual([
      m.stackName,
      true,
      true,
      true,
      true,
    ]);
  }
});

test('each application is in exactly one part per environment and per account and region', () => {
  const names = model.applications.map((a) => a.name).sort();
  for (const env of model.environments) expect(plan.environments.filter((s) => s.environment === env).flatMap((s) => s.applications).sort()).toEqual(names);
  for (const key of new Set(plan.shared.map((s) => s.accountRegion))) expect(plan.shared.filter((s) => s.accountRegion === key).flatMap((s) => s.applications).sort()).toEqual(names);
});

test("the cost model's resource counts are exact, its byte estimates never too low, and a fresh layout fills parts within the fill budget", () => {
  const byName = new Map(measures.map((m) => [m.stackName, m]));
  const apps = (names: readonly string[]) => names.map((n) => model.applications.find((a) => a.name === n)!);
  for (const s of plan.shared) {
    const estimate = apps(s.applications).map(sharedApplicationCost).reduce(addCost, sharedFixedCost(s.strategies.length));
    expect([s.stackName, fitsBudget(estimate, s.applications.length > 1 ? FILL_BUDGET : HARD_BUDGET)]).toEqual([s.stackName, true]);
    expect([s.stackName, byName.get(s.stackName)!.resources]).toEqual([s.stackName, estimate.resources]);
    expect(byName.get(s.stackName)!.bytes).toBeLessThanOrEqual(estimate.bytes);
  }
  for (const s of plan.environments) {
    const config = model.workload.environments[s.environment]!;
    const alarms = s.createsAlarms ? config.monitors.filter((m) => 'metricAlarm' in m).length : 0;
    const estimate = apps(s.applications)
      .map((a) => environmentApplicationCost(model, s.environment, a))
      .reduce(addCost, addCost(NO_COST, environmentFixedCost(config.monitors.length > 0, alarms)));
    expect([s.stackName, byName.get(s.stackName)!.resources]).toEqual([s.stackName, estimate.resources]);
    expect(byName.get(s.stackName)!.bytes).toBeLessThanOrEqual(estimate.bytes);
    expect(byName.get(s.stackName)!.parameters).toBe(estimate.parameters);
    expect([s.stackName, fitsBudget(estimate, s.applications.length > 1 ? FILL_BUDGET : HARD_BUDGET)]).toEqual([s.stackName, true]);
  }
});

test('planning is deterministic', () => {
  expect(planAppConfig(model)).toEqual(plan);
});

test(`the workspace declares its AppConfig quota and validates: ${APPS} applications in every account and region`, () => {
  const workload = JSON.parse(fs.readFileSync(path.join(workspace, 'config/workload.json'), 'utf8')) as { serviceQuotas?: { appconfig?: { applicationsPerRegion?: number } } };
  expect(workload.serviceQuotas?.appconfig?.applicationsPerRegion).toBeGreaterThanOrEqual(APPS);
  expect(model.applications).toHaveLength(APPS);
});

test('every template is within CloudFormation and CodePipeline limits', () => {
  const measures = measureTemplates(synthesized.assembly);
  expect(measures.length).toBeGreaterThan(20);
  expect(templateLimitViolations(synthesized.assembly)).toEqual([]);
});

test("every role's inline policies, every managed policy and every role's managed policy count are within IAM's quotas", () => {
  const { roles, managedPolicies } = measureIam(loadTemplates(synthesized.assembly));
  expect(roles.length).toBeGreaterThan(10);
  const largest = [...roles].sort((a, b) => b.inlineCharacters - a.inlineCharacters)[0]!;
  expect(largest.inlineCharacters).toBeLessThanOrEqual(IAM_LIMITS.roleInlineCharacters);
  for (const m of managedPolicies) expect([m.policy, m.characters <= IAM_LIMITS.managedPolicyCharacters]).toEqual([m.policy, true]);
  for (const r of roles) expect([r.role, r.managedPolicies <= IAM_LIMITS.managedPoliciesPerRole]).toEqual([r.role, true]);
  expect(iamLimitViolations(synthesized.assembly)).toEqual([]);
});

test("the agent roles' policies do not grow with the workload", () => {
  const { roles } = measureIam(loadTemplates(synthesized.assembly));
  for (const r of roles.filter((x) => x.role.endsWith('-appconfig-agent'))) expect([r.role, r.inlineCharacters < 400]).toEqual([r.role, true]);
});

test('every cluster: the DaemonSet makes no more data-plane calls than a sidecar per pod would', () => {
  for (const cluster of Object.keys(model.workload.clusters)) {
    const e = estimateDataPlane(model, cluster);
    expect(e.servedEntries).toBeGreaterThan(APPS);
    expect([cluster, e.daemonSet.callsPerDay <= e.sidecar.callsPerDay]).toEqual([cluster, true]);
  }
});

test("the pipeline is within CodePipeline's quotas: each step's parts spread over stages of at most 50 actions, counted exactly", () => {
  const shapes = pipelineShapes(loadTemplates(synthesized.assembly)).filter((p) => p.pipeline === pipelineName(model));
  expect(shapes).toHaveLength(1);
  const stages = shapes[0]!.stages;
  expect(codePipelineLimitViolations(loadTemplates(synthesized.assembly))).toEqual([]);
  expect(Math.max(...stages.values())).toBeLessThanOrEqual(CODEPIPELINE_LIMITS.actionsPerStage);
  const chunked: string[] = [];
  for (const step of model.pipeline) {
    const chunks = deploymentChunks(model, plan, step);
    if (chunks.length > 1) chunked.push(step.name);
    chunks.forEach((range, i) => {
      const name = chunkWaveName(step, range, i);
      // The estimate counts the step's own stacks, approval and checks in every range; only the first and last have them.
      const own = (i === 0 ? 0 : 1) + (i === chunks.length - 1 ? 0 : 1);
      const estimate = actionsForRange(model, plan, step, range);
      expect([name, stages.get(name)! <= estimate]).toEqual([name, true]);
      if (own === 0) expect([name, stages.get(name)]).toEqual([name, estimate]);
    });
  }
  // At 500 applications the environments' stacks take 22 parts (21 before every prod
  // environment had a canary: its alarm is one more monitor in each AppConfig Environment,
  // and the capacity model counts its bytes). Gamma's 22 parts need 49 + 9 actions, so every
  // step spreads over more than one stage; the first range of each is the step's own name.
  expect(partCount(model.layout.parts)).toBe(22);
  expect(chunked).toEqual(['beta', 'gamma', 'prod-wave-1', 'prod-wave-2']);
});


test("pipeline-minutes.ts's stages and CloudFormation layers of every environment are the synthesized pipeline's, split stages included", () => {
  type Action = { Name: string; RunOrder: number };
  const [pipeline] = loadTemplates(synthesized.assembly)
    .flatMap(({ template }) => Object.values((template as { Resources?: Record<string, { Type: string; Properties: { Name?: string; Stages?: { Name: string; Actions: Action[] }[] } }> }).Resources ?? {}))
    .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline' && r.Properties.Name === pipelineName(model));
  const stages = new Map(pipeline!.Properties.Stages!.map((st) => [st.Name, st.Actions]));
  const seen: string[] = [];
  for (const step of model.pipeline) {
    for (const env of step.environments) {
      const modelled = environmentStageLayers(model, env, plan);
      const synthesized = modelled.map(({ stage }) => {
        // A stage of one environment names its actions after the stacks; a wave's, after the environment first.
        const acts = (stages.get(stage) ?? []).filter((a) => step.environments.length === 1 || a.Name.startsWith(`${env}.`));
        return { stage, layers: new Set(acts.filter((a) => a.Name.endsWith('.Prepare')).map((a) => a.RunOrder)).size, guard: acts.some((a) => a.Name.endsWith(`EmergencyGuard-${env}`)) };
      });
      expect([env, modelled.map(({ stage, layers, guard }) => ({ stage, layers, guard }))]).toEqual([env, synthesized]);
      seen.push(...modelled.map((st) => `${env}:${st.stage}:${st.layers}`));
    }
  }
  // Every stage of the pipeline after Assets is some environment's, and the cases the model distinguishes occur:
  // a later stage of its own shared stacks (beta), one with none (gamma's last), and a third layer for metric alarms (gamma's first).
  expect(new Set(seen.map((x) => x.split(':')[1]))).toEqual(new Set([...stages.keys()].slice(4)));
  expect(seen).toEqual(expect.arrayContaining(['beta:beta-parts-11-20:2', 'gamma:gamma:3', 'gamma:gamma-parts-22-22:1']));
});
