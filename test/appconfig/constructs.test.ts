/** The building blocks on their own: defaults, validations and what they refuse. */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  ApplicationEnvironment,
  ConfigurationProfile,
  EnvironmentMonitors,
  HostedConfigurationVersion,
  planAppConfig,
  rolloutStrategyOf,
  WorkloadDeploymentStrategy,
} from '../../lib/appconfig';
import { EnvironmentStage } from '../../lib/pipeline/environment-stage';
import { loadModel } from './sample';

const newStack = () => new cdk.Stack(new cdk.App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
const importedApp = (stack: cdk.Stack) => appconfig.Application.fromApplicationId(stack, 'App', 'abc1234');

describe('ConfigurationProfile', () => {
  test('a hosted profile with its type, validators and deletion protection', () => {
    const stack = newStack();
    new ConfigurationProfile(stack, 'Ops', {
      application: importedApp(stack),
      name: 'ops',
      type: appconfig.ConfigurationType.FREEFORM,
      validators: [appconfig.JsonSchemaValidator.fromInline('{"type":"object"}')],
      deletionProtectionCheck: appconfig.DeletionProtectionCheck.APPLY,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      ApplicationId: 'abc1234',
      Name: 'ops',
      LocationUri: 'hosted',
      Type: 'AWS.Freeform',
      Validators: [{ Type: 'JSON_SCHEMA', Content: '{"type":"object"}' }],
      DeletionProtectionCheck: 'APPLY',
    });
  });

  test('refuses what AppConfig would refuse at deploy time', () => {
    const stack = newStack();
    const application = importedApp(stack);
    const schema = (n: number) => appconfig.JsonSchemaValidator.fromInline(' '.repeat(n));
    const type = appconfig.ConfigurationType.FREEFORM;
    expect(() => new ConfigurationProfile(stack, 'A', { application, name: 'ops', type, validators: [schema(1), schema(1), schema(1)] })).toThrow(/3 validators given, AppConfig allows 2/);
    expect(() => new ConfigurationProfile(stack, 'B', { application, name: 'ops', type, validators: [schema(32769)] })).toThrow(/32769 characters, AppConfig allows 32768; shorten schema\.json/);
    expect(() => new ConfigurationProfile(stack, 'C', { application, name: 'x'.repeat(129), type })).toThrow(/must be 1-128 characters/);
    expect(() => new ConfigurationProfile(stack, 'D', { application, name: 'ops', type, validators: [schema(32768)] })).not.toThrow();
  });
});

describe('deployment strategies', () => {
  test.each([
    ['LINEAR', appconfig.GrowthType.LINEAR],
    ['EXPONENTIAL', appconfig.GrowthType.EXPONENTIAL],
  ] as const)('%s strategies keep their factor, duration and bake', (growthType, expected) => {
    const r = rolloutStrategyOf({ growthType, growthFactor: 15, deploymentDurationMinutes: 25, finalBakeTimeMinutes: 12 });
    expect([r.growthType, r.growthFactor, r.deploymentDuration.toMinutes(), r.finalBakeTime?.toMinutes()]).toEqual([expected, 15, 25, 12]);
  });

  test('a name longer than AppConfig accepts names the field to shorten', () => {
    const config = { growthType: 'LINEAR' as const, growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 0 };
    expect(() => new WorkloadDeploymentStrategy(newStack(), 'S', { workload: 'w'.repeat(40), strategyName: 's'.repeat(30), config })).toThrow(
      /71 characters, AppConfig allows 64; shorten the strategy key in config\/workload\.json/,
    );
  });
});

describe('HostedConfigurationVersion', () => {
  test('hosts the bytes untouched, as JSON by default, and keeps old versions', () => {
    const stack = newStack();
    const content = '{"a":"é </script> \\u2028","b":[1,2]}\n';
    new HostedConfigurationVersion(stack, 'V', {
      application: importedApp(stack),
      configurationProfileId: 'prof123',
      profileName: 'flags',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content,
      deploymentStrategy: appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.ALL_AT_ONCE),
    });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::AppConfig::HostedConfigurationVersion', {
      Properties: { ApplicationId: 'abc1234', ConfigurationProfileId: 'prof123', Content: content, ContentType: 'application/json' },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('ApplicationEnvironment', () => {
  const strategy = (stack: cdk.Stack) => appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.ALL_AT_ONCE);

  test('one document per profile', () => {
    const stack = newStack();
    const doc = { profile: 'flags' as const, configurationProfileId: 'p', content: '{}' };
    expect(
      () => new ApplicationEnvironment(stack, 'E', { application: importedApp(stack), applicationName: 'a', environmentName: 'beta', deploymentStrategy: strategy(stack), documents: [doc, doc] }),
    ).toThrow(/profile 'flags' is given twice/);
  });

  test('unprotected by default: no deletion check, deleted with the stack', () => {
    const stack = newStack();
    new ApplicationEnvironment(stack, 'E', { application: importedApp(stack), applicationName: 'a', environmentName: 'beta', deploymentStrategy: strategy(stack), documents: [] });
    Template.fromStack(stack).hasResource('AWS::AppConfig::Environment', { Properties: { Name: 'beta', DeletionProtectionCheck: Match.absent() }, DeletionPolicy: Match.absent() });
  });
});

describe('EnvironmentMonitors', () => {
  test('without monitors: no role, no monitors', () => {
    const m = new EnvironmentMonitors(newStack(), 'M', { environmentName: 'beta', monitors: [] });
    expect([m.role, m.monitors, m.alarms]).toEqual([undefined, [], []]);
  });

  test('a later part imports the metric alarms by name instead of creating them', () => {
    const stack = newStack();
    const metricAlarm = { name: 'x-5xx', namespace: 'N', metricName: 'M', statistic: 'Sum', periodSeconds: 60, threshold: 1, evaluationPeriods: 1, comparisonOperator: 'GreaterThanThreshold' as const };
    const m = new EnvironmentMonitors(stack, 'M', { environmentName: 'prod-01', monitors: [{ metricAlarm }], createAlarms: false });
    expect(m.createdAlarms).toEqual([]);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [{ PolicyDocument: { Statement: [{ Action: 'cloudwatch:DescribeAlarms', Resource: Match.anyValue() }] } }],
    });
    expect(stack.resolve(m.alarms[0]!.alarmArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:111111111111:alarm:x-5xx']] });
  });
});

describe('EnvironmentStage', () => {
  const model = loadModel();

  test('an unknown environment is an error listing the known ones', () => {
    expect(() => new EnvironmentStage(new cdk.App(), 'nope', { model, environment: 'nope' })).toThrow(/unknown environment 'nope'; use one of beta, gamma, prod-01/);
  });

  test('split: later parts depend on part 1 (its alarms), on the shared parts of the same stage and on the canary', () => {
    const plan = planAppConfig({ ...model, layout: { parts: { 'groupsync-v3': 1, 'payment-service-v2': 1, 'search-service-net': 2, 'sso-service': 2 } } });
    const app = new cdk.App();
    const prod01 = new EnvironmentStage(app, 'prod-01', { model, environment: 'prod-01', plan });
    const prod02 = new EnvironmentStage(app, 'prod-02', { model, environment: 'prod-02', plan });
    const deps = (s: cdk.Stack) => s.dependencies.map((d) => d.stackName).sort();
    expect(prod01.appConfigStacks.map(deps)).toEqual([
      ['g360-appconfig-shared-333333333333-us-east-1', 'g360-prod-01-canary'],
      ['g360-appconfig-prod-01', 'g360-appconfig-shared-333333333333-us-east-1', 'g360-appconfig-shared-333333333333-us-east-1-2', 'g360-prod-01-canary'],
    ]);
    // prod-02 has no metric alarm, and its shared stacks are in prod-01's stage: only its canary, whose alarm every part watches.
    expect(prod02.appConfigStacks.map(deps)).toEqual([['g360-prod-02-canary'], ['g360-prod-02-canary']]);
    expect([...prod02.appConfigEnvironments.keys()].sort()).toEqual(['groupsync-v3', 'payment-service-v2', 'search-service-net', 'sso-service']);
  });
});
