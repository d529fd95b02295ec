/**
 * Issue 9's stability requirement: adding or removing an application changes no other
 * application's stack or logical IDs. 200 generated applications; then `aaa-new`, which
 * sorts before all of them, is added and `svc-0100`, in the middle, removed, and
 * `dynconf layout` run as a developer would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { AppConfigEnvironmentStack, AppConfigSharedStack, planAppConfig, type AppConfigPlan } from '../../lib/appconfig';
import { main } from '../../lib/cli/main';
import type { Model } from '../../lib/model';
import { generatedApplicationName, generateWorkload } from '../support/generated-workload';
import { captureIO, rmrf } from '../support/workspace';
import { loadModel } from './sample';

const APPS = 200;
const REMOVED = generatedApplicationName(100);
const ADDED = 'aaa-new';

let workspace: string;
let before: { model: Model; plan: AppConfigPlan };
let after: { model: Model; plan: AppConfigPlan };
let layoutOutput: string;

beforeAll(async () => {
  workspace = generateWorkload(APPS);
  const model = loadModel(workspace);
  before = { model, plan: planAppConfig(model) };

  // The developer's change: one application added (a copy of the removed one's files, so
  // it needs exactly the room the removal frees), one removed.
  const workloadFile = path.join(workspace, 'config/workload.json');
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8')) as {
    applications: Record<string, unknown>;
    clusters: Record<string, { namespaces: Record<string, { applications: string[] }> }>;
  };
  const { [REMOVED]: removed, ...rest } = workload.applications;
  workload.applications = { [ADDED]: removed, ...rest };
  // The namespace that read the removed application reads the new one instead.
  for (const cluster of Object.values(workload.clusters)) {
    for (const ns of Object.values(cluster.namespaces)) ns.applications = ns.applications.map((a) => (a === REMOVED ? ADDED : a));
  }
  fs.writeFileSync(workloadFile, `${JSON.stringify(workload, null, 2)}\n`);
  fs.renameSync(path.join(workspace, 'flags', `${REMOVED}.json`), path.join(workspace, 'flags', `${ADDED}.json`));
  fs.renameSync(path.join(workspace, 'config/ops', REMOVED), path.join(workspace, 'config/ops', ADDED));

  // validate now fails, naming both the fix and the two applications...
  const validate = captureIO(workspace);
  expect(await main(['validate', '--root', workspace], validate.io)).toBe(1);
  expect(validate.out()).toContain(`application '${ADDED}' has no stack part`);
  expect(validate.out()).toContain(`application '${REMOVED}' has a part here but config/workload.json does not declare it`);
  // ...until `dynconf layout` updates the file.
  const layout = captureIO(workspace);
  expect(await main(['layout', '--root', workspace], layout.io)).toBe(0);
  layoutOutput = layout.out();
  const changed = loadModel(workspace);
  after = { model: changed, plan: planAppConfig(changed) };
}, 120_000);

afterAll(() => rmrf(workspace));

/** Each application's stack name in every account-region and every environment. */
function stacksOf(plan: AppConfigPlan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of [...plan.shared, ...plan.environments]) {
    for (const app of s.applications) out.set(app, [...(out.get(app) ?? []), s.stackName]);
  }
  return out;
}

test('the workload is split in several parts, so there is something to move', () => {
  expect(before.model.applications).toHaveLength(APPS);
  expect(new Set(Object.values(before.model.layout.parts)).size).toBeGreaterThan(2);
});

test('dynconf layout drops the removed application and places the new one in the room it left', () => {
  const part = before.model.layout.parts[REMOVED]!;
  expect(layoutOutput).toContain(`dropped ${REMOVED} (part ${part})`);
  expect(layoutOutput).toContain(`placed ${ADDED} in part ${part}\n`);
  expect(after.model.layout.parts).toEqual({ ...Object.fromEntries(Object.entries(before.model.layout.parts).filter(([a]) => a !== REMOVED)), [ADDED]: part });
});

test('every other application keeps its stack in every account and region and every environment', () => {
  const was = stacksOf(before.plan);
  const is = stacksOf(after.plan);
  const kept = before.model.applications.map((a) => a.name).filter((a) => a !== REMOVED);
  expect(kept).toHaveLength(APPS - 1);
  for (const app of kept) expect([app, is.get(app)]).toEqual([app, was.get(app)]);
  expect(is.get(ADDED)).toEqual(was.get(REMOVED));
  // Same stacks, no stack appears or disappears.
  expect([...after.plan.shared, ...after.plan.environments].map((s) => s.stackName)).toEqual([...before.plan.shared, ...before.plan.environments].map((s) => s.stackName));
});

/**
 * Logical IDs of every resource and parameter, by application, in the stacks of one
 * environment (every part) and of that environment's shared stacks: built, not
 * synthesized, because a logical ID is a function of the construct path alone.
 */
function logicalIds(state: { model: Model; plan: AppConfigPlan }, environment: string): Map<string, string[]> {
  const app = new cdk.App({ analyticsReporting: false });
  const accountRegion = state.plan.environments.find((s) => s.environment === environment)!;
  const stacks: cdk.Stack[] = [
    ...state.plan.environments.filter((p) => p.environment === environment).map((p) => new AppConfigEnvironmentStack(app, `Env-${p.constructId}`, { model: state.model, plan: p })),
    ...state.plan.shared
      .filter((p) => p.account === accountRegion.account && p.region === accountRegion.region)
      .map((p) => new AppConfigSharedStack(app, `Shared-${p.constructId}`, { model: state.model, plan: p })),
  ];
  const names = new Set(state.model.applications.map((a) => a.name));
  const out = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const element of stack.node.findAll().filter((c): c is cdk.CfnElement => c instanceof cdk.CfnElement)) {
      const top = element.node.scopes[stack.node.scopes.length]?.node.id ?? '';
      const owner = top.replace(/^Imported-/, '');
      if (!names.has(owner)) continue;
      out.set(owner, [...(out.get(owner) ?? []), `${stack.stackName}/${stack.resolve(element.logicalId) as string}`]);
    }
  }
  return out;
}

test.each(['prod-01'])('every other application keeps its logical IDs in the stacks of %s and its shared stacks', (environment) => {
  const was = logicalIds(before, environment);
  const is = logicalIds(after, environment);
  const kept = before.model.applications.map((a) => a.name).filter((a) => a !== REMOVED);
  for (const app of kept) {
    expect(was.get(app)!.length).toBeGreaterThan(4);
    expect([app, is.get(app)]).toEqual([app, was.get(app)]);
  }
  expect(is.get(ADDED)!.length).toBe(was.get(REMOVED)!.length);
});
