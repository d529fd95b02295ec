/**
 * Focused assertions on the sample workload's AppConfig stacks: what each stack holds,
 * that the bytes, strategies, monitors and deployment order come from the model.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { accountRegions, findDocument, hostedValidatorContent, type Model } from '../../lib/model';
import { applicationIdsParameterName, deploymentStrategyName, strategyIdParameterName } from '../../lib/appconfig';
import { allEnvironmentStacks, allSharedStacks, buildApp, pathOf, resourcesOf, stageOf, type SampleApp } from './sample';

let sample: SampleApp;
let model: Model;
const templates = new Map<string, Template>();
const template = (stackName: string): Template => {
  const t = templates.get(stackName);
  if (!t) throw new Error(`no template for ${stackName}; have ${[...templates.keys()].join(', ')}`);
  return t;
};

beforeAll(() => {
  sample = buildApp();
  model = sample.model;
  for (const stack of [...allSharedStacks(sample), ...allEnvironmentStacks(sample)]) templates.set(stack.stackName, Template.fromStack(stack));
});

const sharedStackNames = ['g360-appconfig-shared-222222222222-us-west-2', 'g360-appconfig-shared-333333333333-us-east-1'];
const envStack = (env: string) => `g360-appconfig-${env}`;

describe('stacks and stages', () => {
  test('one shared stack per account and region, one stack per environment, named from stable keys', () => {
    expect([...templates.keys()].sort()).toEqual(
      [...sharedStackNames, ...['beta', 'gamma', 'prod-01', 'prod-02', 'prod-03'].map(envStack)].sort(),
    );
  });

  test('the shared stack belongs to the stage of the first environment of its account and region', () => {
    expect(stageOf(sample, 'beta').sharedStacks.map((s) => s.stackName)).toEqual([sharedStackNames[0]]);
    expect(stageOf(sample, 'prod-01').sharedStacks.map((s) => s.stackName)).toEqual([sharedStackNames[1]]);
    for (const env of ['gamma', 'prod-02', 'prod-03']) expect(stageOf(sample, env).sharedStacks).toEqual([]);
  });

  test('an environment stack depends on the shared stack in its own stage, and only there', () => {
    const deps = (env: string) => stageOf(sample, env).appConfigStacks[0]!.dependencies.map((s) => s.stackName);
    expect(deps('beta')).toEqual([sharedStackNames[0]]);
    // gamma's and prod's also depend on their canary's stack, whose alarm they watch (lib/pipeline).
    expect(deps('prod-01')).toEqual(['g360-prod-01-canary', sharedStackNames[1]]);
    expect(deps('gamma')).toEqual(['g360-gamma-canary']);
    for (const env of ['prod-02', 'prod-03']) expect(deps(env)).toEqual([`g360-${env}-canary`]);
  });

  test('stacks deploy to the account and region of their environment', () => {
    for (const env of model.environments) {
      const stack = stageOf(sample, env).appConfigStacks[0]!;
      expect([stack.account, stack.region]).toEqual([model.workload.environments[env]!.account, model.workload.environments[env]!.region]);
    }
  });

  test('every stage exposes the AppConfig Environment of every application', () => {
    for (const stage of sample.stages) expect([...stage.appConfigEnvironments.keys()].sort()).toEqual(model.applications.map((a) => a.name).sort());
  });
});

describe('shared applications', () => {
  test('each account and region has one Application per app, and environment stacks create none', () => {
    for (const name of sharedStackNames) {
      const apps = Object.values(resourcesOf(template(name), 'AWS::AppConfig::Application')).map((r) => r.Properties.Name);
      expect(apps.sort()).toEqual(model.applications.map((a) => a.name).sort());
    }
    for (const env of model.environments) template(envStack(env)).resourceCountIs('AWS::AppConfig::Application', 0);
  });

  test('profiles: flags and browser are feature flags, ops is freeform; browser only where the model lists it', () => {
    for (const name of sharedStackNames) {
      const profiles = Object.values(resourcesOf(template(name), 'AWS::AppConfig::ConfigurationProfile'));
      expect(profiles).toHaveLength(model.applications.reduce((n, a) => n + a.profiles.length, 0));
      for (const p of profiles) {
        expect(p.Properties.LocationUri).toBe('hosted');
        expect(p.Properties.Type).toBe(p.Properties.Name === 'ops' ? 'AWS.Freeform' : 'AWS.AppConfig.FeatureFlags');
      }
      expect(profiles.filter((p) => p.Properties.Name === 'browser')).toHaveLength(model.applications.filter((a) => a.profiles.includes('browser')).length);
    }
  });

  test("the ops profile validates with the app's schema.json; no other profile has a validator", () => {
    for (const name of sharedStackNames) {
      const stack = allSharedStacks(sample).find((s) => s.stackName === name)!;
      for (const app of model.applications) {
        const ops = stack.applications.get(app.name)!.profiles.get('ops')!;
        const resource = resourcesOf(template(name), 'AWS::AppConfig::ConfigurationProfile');
        const opsResource = Object.values(resource).find((r) => pathOf(r) === `${ops.node.path}/Resource`)!;
        // The emergency marks are dynconf's, not AppConfig's: the hosted validator gets the schema without them.
        expect(opsResource.Properties.Validators).toEqual([{ Type: 'JSON_SCHEMA', Content: hostedValidatorContent(app.opsSchema) }]);
        expect(JSON.stringify(opsResource.Properties.Validators)).not.toContain('x-dynconf-emergency');
      }
      for (const p of Object.values(resourcesOf(template(name), 'AWS::AppConfig::ConfigurationProfile'))) {
        if (p.Properties.Name !== 'ops') expect(p.Properties.Validators).toBeUndefined();
      }
    }
  });

  test('the IDs parameter lists the Application, then the profiles in deployment order', () => {
    const stack = allSharedStacks(sample).find((s) => s.stackName === sharedStackNames[0])!;
    const t = template(sharedStackNames[0]!);
    for (const app of model.applications) {
      const shared = stack.applications.get(app.name)!;
      const ref = (c: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(c.node.defaultChild as never) });
      t.hasResourceProperties('AWS::SSM::Parameter', {
        Name: applicationIdsParameterName('g360', app.name),
        Type: 'StringList',
        Value: { 'Fn::Join': [',', [ref(shared.application), ...app.profiles.map((p) => ref(shared.profiles.get(p)!))]] },
      });
    }
  });

  test('environments of one account and region read the IDs their shared stack publishes', () => {
    for (const group of accountRegions(model)) {
      for (const env of group.environments) {
        const params = template(envStack(env)).toJSON().Parameters as Record<string, { Type: string; Default: string }>;
        const names = Object.values(params).filter((p) => p.Type.startsWith('AWS::SSM::Parameter::Value<List')).map((p) => p.Default);
        expect(names.sort()).toEqual(model.applications.map((a) => applicationIdsParameterName('g360', a.name)).sort());
      }
    }
  });

  test('prod profiles have deletion protection; beta and gamma profiles use the account default', () => {
    for (const p of Object.values(resourcesOf(template(sharedStackNames[1]!), 'AWS::AppConfig::ConfigurationProfile'))) expect(p.Properties.DeletionProtectionCheck).toBe('APPLY');
    for (const p of Object.values(resourcesOf(template(sharedStackNames[0]!), 'AWS::AppConfig::ConfigurationProfile'))) expect(p.Properties.DeletionProtectionCheck).toBeUndefined();
  });
});

describe('deployment strategies', () => {
  test('one DeploymentStrategy per strategy named by the environments of an account and region, and the emergency lane\'s, parameters from workload.json', () => {
    const emergency = model.workload.emergency!.strategy;
    for (const group of accountRegions(model)) {
      const name = sharedStackNames.find((n) => n.endsWith(group.key))!;
      const used = [...new Set([...group.environments.map((e) => model.workload.environments[e]!.strategy), emergency])];
      template(name).resourceCountIs('AWS::AppConfig::DeploymentStrategy', used.length);
      for (const strategy of used) {
        const c = model.workload.strategies[strategy]!;
        template(name).hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
          Name: deploymentStrategyName('g360', strategy),
          GrowthType: c.growthType,
          GrowthFactor: c.growthFactor,
          DeploymentDurationInMinutes: c.deploymentDurationMinutes,
          FinalBakeTimeInMinutes: c.finalBakeTimeMinutes,
          ReplicateTo: 'NONE',
        });
        template(name).hasResourceProperties('AWS::SSM::Parameter', { Name: strategyIdParameterName('g360', strategy), Type: 'String' });
      }
    }
  });

  test("every deployment of an environment uses that environment's strategy", () => {
    for (const env of model.environments) {
      const t = template(envStack(env));
      const params = t.toJSON().Parameters as Record<string, { Default: string }>;
      const strategyParam = Object.entries(params).find(([, p]) => p.Default === strategyIdParameterName('g360', model.workload.environments[env]!.strategy));
      expect(strategyParam).toBeDefined();
      for (const d of Object.values(resourcesOf(t, 'AWS::AppConfig::Deployment'))) expect(d.Properties.DeploymentStrategyId).toEqual({ Ref: strategyParam![0] });
    }
  });
});

describe('environments, content and deployments', () => {
  test('hosted content equals the compiled bytes exactly, as application/json', () => {
    let checked = 0;
    for (const env of model.environments) {
      for (const [, version] of Object.entries(resourcesOf(template(envStack(env)), 'AWS::AppConfig::HostedConfigurationVersion'))) {
        const [, , app, profile] = pathOf(version).split('/');
        const doc = findDocument(model, env, app!, profile as 'flags' | 'ops' | 'browser');
        expect(doc).toBeDefined();
        expect(version.Properties.Content).toBe(doc!.content);
        expect(version.Properties.ContentType).toBe('application/json');
        checked++;
      }
    }
    expect(checked).toBe(model.documents.length);
  });

  test('deployments of one AppConfig environment form a DependsOn chain flags -> ops -> browser', () => {
    for (const env of model.environments) {
      const deployments = resourcesOf(template(envStack(env)), 'AWS::AppConfig::Deployment');
      for (const app of model.applications) {
        const chain = app.profiles.map((profile) => {
          const entry = Object.entries(deployments).find(([, d]) => pathOf(d).startsWith(`${env}/AppConfig/${app.name}/${profile}/`));
          expect(entry).toBeDefined();
          return entry!;
        });
        chain.forEach(([, deployment], i) => {
          expect(deployment.DependsOn ?? []).toEqual(i === 0 ? [] : [chain[i - 1]![0]]);
        });
      }
    }
  });

  test('each deployment deploys the version of its own profile to its own environment', () => {
    const t = template(envStack('gamma'));
    const deployments = Object.values(resourcesOf(t, 'AWS::AppConfig::Deployment'));
    const versions = resourcesOf(t, 'AWS::AppConfig::HostedConfigurationVersion');
    const environments = resourcesOf(t, 'AWS::AppConfig::Environment');
    for (const d of deployments) {
      const [, , app, profile] = pathOf(d).split('/');
      const versionId = (d.Properties.ConfigurationVersion as { Ref: string }).Ref;
      expect(pathOf(versions[versionId]!)).toBe(`gamma/AppConfig/${app}/${profile}/Resource`);
      expect(d.Properties.ConfigurationProfileId).toEqual(versions[versionId]!.Properties.ConfigurationProfileId);
      const envId = (d.Properties.EnvironmentId as { Ref: string }).Ref;
      expect(pathOf(environments[envId]!)).toBe(`gamma/AppConfig/${app}/Environment/Resource`);
      expect(environments[envId]!.Properties.Name).toBe('gamma');
    }
  });

  test("every prod environment has monitors (its canary's alarm the last), deletion protection and is retained", () => {
    const prod = model.environments.filter((e) => model.workload.environments[e]!.tier === 'prod');
    expect(prod).toEqual(['prod-01', 'prod-02', 'prod-03']);
    for (const env of prod) {
      const monitors = model.workload.environments[env]!.monitors;
      expect(monitors.length).toBeGreaterThan(0);
      expect(model.workload.environments[env]!.canary).toBeDefined();
      const environments = Object.values(resourcesOf(template(envStack(env)), 'AWS::AppConfig::Environment'));
      expect(environments).toHaveLength(model.applications.length);
      for (const e of environments) {
        expect(e.Properties.Monitors).toHaveLength(monitors.length + 1);
        expect((e.Properties.Monitors as { AlarmArn: unknown }[]).at(-1)!.AlarmArn).toBe(`arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-${env}-canary-failed`);
        for (const m of e.Properties.Monitors as { AlarmRoleArn: unknown }[]) expect(m.AlarmRoleArn).toBeDefined();
        expect(e.Properties.DeletionProtectionCheck).toBe('APPLY');
        expect(e.DeletionPolicy).toBe('Retain');
      }
      expect(stageOf(sample, env).appConfigStacks[0]!.terminationProtection).toBe(true);
    }
  });

  test('beta has no monitors and no protection; gamma watches its metric alarm', () => {
    for (const e of Object.values(resourcesOf(template(envStack('beta')), 'AWS::AppConfig::Environment'))) {
      expect(e.Properties.Monitors).toBeUndefined();
      expect(e.Properties.DeletionProtectionCheck).toBeUndefined();
      expect(e.DeletionPolicy).toBeUndefined();
    }
    template(envStack('beta')).resourceCountIs('AWS::IAM::Role', 0);
    const gamma = template(envStack('gamma'));
    gamma.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'g360-gamma-api-5xx',
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Dimensions: [{ Name: 'LoadBalancer', Value: 'app/g360-gamma-api/0123456789abcdef' }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 25,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('existing alarms are imported by ARN, metric alarms created, and only AppConfig of this account may read them', () => {
    const t = template(envStack('prod-01'));
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'g360-prod-01-checkout-p99', ExtendedStatistic: 'p99', ComparisonOperator: 'GreaterThanThreshold' });
    const alarmId = Object.keys(resourcesOf(t, 'AWS::CloudWatch::Alarm'))[0]!;
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'appconfig.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '333333333333' } } }],
      },
      Policies: [
        {
          PolicyDocument: {
            Statement: [
              {
                Action: 'cloudwatch:DescribeAlarms',
                Effect: 'Allow',
                Resource: ['arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-api-5xx', 'arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-canary-failed', { 'Fn::GetAtt': [alarmId, 'Arn'] }],
              },
            ],
          },
        },
      ],
    });
    t.hasResourceProperties('AWS::AppConfig::Environment', {
      Monitors: [
        { AlarmArn: 'arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-api-5xx', AlarmRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorsRole'), 'Arn'] } },
        { AlarmArn: { 'Fn::GetAtt': [alarmId, 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorsRole'), 'Arn'] } },
        { AlarmArn: 'arn:aws:cloudwatch:us-east-1:333333333333:alarm:g360-prod-01-canary-failed', AlarmRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorsRole'), 'Arn'] } },
      ],
    });
  });
});
