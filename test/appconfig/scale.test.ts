/**
 * 200 generated applications: the planner splits every stack, synth succeeds with the
 * compliance checks on, every template stays under CloudFormation's quotas, and the
 * planner's resource counts are exact.
 */
import * as cdk from 'aws-cdk-lib';
import {
  addComplianceChecks,
  addCost,
  CLOUDFORMATION_LIMITS,
  environmentApplicationCost,
  environmentFixedCost,
  measureTemplates,
  NO_COST,
  planAppConfig,
  sharedApplicationCost,
  sharedFixedCost,
  type AppConfigPlan,
  type TemplateMeasure,
} from '../../lib/appconfig';
import type { Model } from '../../lib/model';
import { buildEnvironmentStages } from '../../lib/pipeline/environment-stage';
import { generateWorkload } from '../support/generated-workload';
import { rmrf, tempDir } from '../support/workspace';
import { loadModel } from './sample';

const APPS = 200;
let workspace: string;
let outdir: string;
let model: Model;
let plan: AppConfigPlan;
let measures: TemplateMeasure[];

beforeAll(() => {
  workspace = generateWorkload(APPS);
  outdir = tempDir('dynconf-cdk-');
  model = loadModel(workspace);
  plan = planAppConfig(model);
  // As under `cdk synth`, which turns analytics on: the CDK metadata resource counts too.
  const app = new cdk.App({ outdir, analyticsReporting: true });
  buildEnvironmentStages(app, model, plan);
  addComplianceChecks(app);
  measures = measureTemplates(app.synth());
});

afterAll(() => {
  rmrf(workspace);
  rmrf(outdir);
});

test('the generated workload has 200 applications, half of them with a browser profile', () => {
  expect(model.applications).toHaveLength(APPS);
  expect(model.applications.filter((a) => a.profiles.includes('browser')).length).toBe(APPS / 2);
});

test('every stack was split, and every template is under 500 resources, 1 MB and 200 parameters', () => {
  // The stages also hold the canary, agent and config-readers stacks; the quotas below hold for them too.
  const planned = new Set([...plan.shared, ...plan.environments].map((s) => s.stackName));
  expect(measures.filter((m) => planned.has(m.stackName)).length).toBe(planned.size);
  for (const env of model.environments) expect(plan.environments.filter((s) => s.environment === env).length).toBeGreaterThan(1);
  expect(plan.shared.length).toBeGreaterThan(2);
  for (const m of measures) {
    expect([m.stackName, m.resources <= CLOUDFORMATION_LIMITS.resources, m.bytes <= CLOUDFORMATION_LIMITS.bytes, m.parameters <= CLOUDFORMATION_LIMITS.parameters]).toEqual([m.stackName, true, true, true]);
  }
});

test('each application is in exactly one part per environment and per account and region', () => {
  const names = model.applications.map((a) => a.name).sort();
  for (const env of model.environments) expect(plan.environments.filter((s) => s.environment === env).flatMap((s) => s.applications).sort()).toEqual(names);
  for (const key of new Set(plan.shared.map((s) => s.accountRegion))) expect(plan.shared.filter((s) => s.accountRegion === key).flatMap((s) => s.applications).sort()).toEqual(names);
});

test("the planner's resource counts are exact and its byte estimates never too low", () => {
  const byName = new Map(measures.map((m) => [m.stackName, m]));
  const apps = (names: readonly string[]) => names.map((n) => model.applications.find((a) => a.name === n)!);
  for (const s of plan.shared) {
    const estimate = apps(s.applications).map(sharedApplicationCost).reduce(addCost, sharedFixedCost(s.strategies.length));
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
  }
});

test('planning is deterministic', () => {
  expect(planAppConfig(model)).toEqual(plan);
});
