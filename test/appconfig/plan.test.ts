import { planAppConfig, sharedStacksOwnedBy, sharedStacksRead, environmentStacksOf, pipelineOrder, type StackCost } from '../../lib/appconfig';
import { loadModel } from './sample';

const model = loadModel();

test('pipeline order: stages, then waves', () => {
  expect(pipelineOrder(model)).toEqual(['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03']);
});

test('the sample fits one stack per environment and per account and region', () => {
  const plan = planAppConfig(model);
  expect(plan.shared.map((s) => [s.stackName, s.owner, s.environments, s.strategies, s.protect])).toEqual([
    ['g360-appconfig-shared-222222222222-us-west-2', 'beta', ['beta', 'gamma'], ['beta-all-at-once', 'gamma-canary'], false],
    ['g360-appconfig-shared-333333333333-us-east-1', 'prod-01', ['prod-01', 'prod-02', 'prod-03'], ['prod-linear'], true],
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

describe('a budget that forces splits', () => {
  // 16 resources: prod-01 holds 3 fixed (metadata, monitor role, alarm) + 7 (groupsync-v3:
  // environment, 3 versions, 3 deployments) + 5 (payment-service-v2), so search-service-net
  // (5 more) opens part 2. The shared stack holds 3 fixed (metadata, strategy and its
  // parameter) + 5 + 4 + 4, so sso-service opens its part 2.
  const budget: StackCost = { resources: 16, bytes: 10_000_000, parameters: 100 };
  const plan = planAppConfig(model, budget);

  test('parts are numbered, named and filled in application-name order', () => {
    expect(environmentStacksOf(plan, 'prod-01').map((s) => [s.stackName, s.constructId, s.applications, s.createsAlarms])).toEqual([
      ['g360-appconfig-prod-01', 'AppConfig', ['groupsync-v3', 'payment-service-v2'], true],
      ['g360-appconfig-prod-01-2', 'AppConfig-2', ['search-service-net', 'sso-service'], false],
    ]);
    expect(plan.shared.filter((s) => s.accountRegion === '333333333333-us-east-1').map((s) => [s.stackName, s.strategies, s.applications])).toEqual([
      ['g360-appconfig-shared-333333333333-us-east-1', ['prod-linear'], ['groupsync-v3', 'payment-service-v2', 'search-service-net']],
      ['g360-appconfig-shared-333333333333-us-east-1-2', [], ['sso-service']],
    ]);
  });

  test('the same model and budget always give the same plan', () => {
    expect(planAppConfig(model, budget)).toEqual(plan);
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
