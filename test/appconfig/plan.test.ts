import { planAppConfig, sharedStacksOwnedBy, sharedStacksRead, environmentStacksOf, pipelineOrder } from '../../lib/appconfig';
import { loadModel } from './sample';

const model = loadModel();

test('pipeline order: stages, then waves', () => {
  expect(pipelineOrder(model)).toEqual(['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']);
});

test('the sample fits one stack per environment and per account and region', () => {
  const plan = planAppConfig(model);
  expect(plan.shared.map((s) => [s.stackName, s.owner, s.environments, s.strategies, s.protect])).toEqual([
    // The emergency lane's strategy is in every account and region: it deploys to any environment.
    ['g360-appconfig-shared-222222222222-us-west-2', 'beta', ['beta', 'gamma'], ['beta-all-at-once', 'emergency-all-at-once', 'gamma-canary'], false],
    ['g360-appconfig-shared-333333333333-us-east-1', 'prod-01', ['prod-01', 'prod-02', 'prod-03'], ['emergency-all-at-once', 'prod-linear'], true],
  ]);
  expect(plan.environments.map((s) => [s.stackName, s.part, s.createsAlarms, s.applications.length])).toEqual([
    ['g360-appconfig-beta', 1, true, 4],
    ['g360-appconfig-gamma', 1, true, 4],
    ['g360-appconfig-prod-01', 1, true, 4],
    ['g360-appconfig-prod-02', 1, true, 4],
    ['g360-appconfig-prod-03', 1, true, 4],
  ]);
  expect(plan.environments[0]!.applications).toEqual(['groupsync-v3', 'payment-service-v2', 'search-service-net', 'sso-service']);
});

describe('a layout with two parts', () => {
  const parts = { 'groupsync-v3': 1, 'payment-service-v2': 1, 'search-service-net': 2, 'sso-service': 2 };
  const plan = planAppConfig({ ...model, layout: { parts } });

  test('parts are numbered and named, and hold the applications the layout gives them, in every stack', () => {
    expect(environmentStacksOf(plan, 'prod-01').map((s) => [s.stackName, s.constructId, s.applications, s.createsAlarms])).toEqual([
      ['g360-appconfig-prod-01', 'AppConfig', ['groupsync-v3', 'payment-service-v2'], true],
      ['g360-appconfig-prod-01-2', 'AppConfig-2', ['search-service-net', 'sso-service'], false],
    ]);
    expect(plan.shared.filter((s) => s.accountRegion === '333333333333-us-east-1').map((s) => [s.stackName, s.strategies, s.applications])).toEqual([
      ['g360-appconfig-shared-333333333333-us-east-1', ['emergency-all-at-once', 'prod-linear'], ['groupsync-v3', 'payment-service-v2']],
      ['g360-appconfig-shared-333333333333-us-east-1-2', [], ['search-service-net', 'sso-service']],
    ]);
  });

  test('the same model and layout always give the same plan', () => {
    expect(planAppConfig({ ...model, layout: { parts } })).toEqual(plan);
  });

  test('a part emptied by removals keeps its stacks, so they are deployed empty rather than left behind', () => {
    const holes = planAppConfig({ ...model, layout: { parts: { ...parts, 'search-service-net': 3, 'sso-service': 3 } } });
    expect(environmentStacksOf(holes, 'beta').map((s) => [s.stackName, s.applications])).toEqual([
      ['g360-appconfig-beta', ['groupsync-v3', 'payment-service-v2']],
      ['g360-appconfig-beta-2', []],
      ['g360-appconfig-beta-3', ['search-service-net', 'sso-service']],
    ]);
  });

  test('an application without a part is an error naming it and the fix', () => {
    expect(() => planAppConfig({ ...model, layout: { parts: { 'groupsync-v3': 1 } } })).toThrow(/no stack part to payment-service-v2, search-service-net, sso-service; run `npx dynconf layout`/);
  });

  test('an environment stack reads the shared parts holding its applications and the one holding its strategy', () => {
    const [first, second] = environmentStacksOf(plan, 'prod-02');
    expect(sharedStacksRead(plan, first!).map((s) => s.stackName)).toEqual(['g360-appconfig-shared-333333333333-us-east-1']);
    expect(sharedStacksRead(plan, second!).map((s) => s.stackName)).toEqual(['g360-appconfig-shared-333333333333-us-east-1', 'g360-appconfig-shared-333333333333-us-east-1-2']);
  });

  test('only the owner stage deploys shared parts', () => {
    expect(sharedStacksOwnedBy(plan, 'prod-01')).toHaveLength(2);
    expect(sharedStacksOwnedBy(plan, 'prod-02')).toEqual([]);
  });
});

test('without an emergency lane, an account and region gets only the strategies its environments use', () => {
  const { emergency: _lane, ...workload } = model.workload;
  const plan = planAppConfig({ ...model, workload });
  expect(plan.shared.map((s) => s.strategies)).toEqual([['beta-all-at-once', 'gamma-canary'], ['prod-linear']]);
});
