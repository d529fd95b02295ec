/**
 * The stages of the sample as bin/app.ts synthesizes them (once): the canary and its alarm
 * in gamma and that alarm among gamma's AppConfig monitors (prod's: prod-synthetic.test.ts), the agents in the stages of
 * their clusters' owners, the rollout gate's role in every environment, and stacks that
 * read each other without exports.
 */
import { agentNames } from '../../lib/agent';
import { CANARY_FAILED_RUNS_TO_ALARM } from '../../lib/pipeline/canary';
import { GATE_ACCOUNT_ACTIONS, GATE_CONTROL_PLANE_ACTIONS } from '../../lib/pipeline/gate-role';
import { agentStackName, canaryAlarmName, gateRoleArn, gateRoleName, gateStepRoleArn, readersStackName } from '../../lib/pipeline/names';
import { rmrf } from '../support/workspace';
import { actions, resourcesOf, stageTemplate, statementsOf, synthesize, type SynthesizedApp, type Template } from './support';

let s: SynthesizedApp;
beforeAll(() => (s = synthesize()));
afterAll(() => rmrf(s.outdir));

const model = () => s.model;
const stackNames = (env: string) => s.assembly.getNestedAssembly(`assembly-${env}`).stacks.map((st) => st.stackName);

describe('the canary in gamma', () => {
  const canary = () => stageTemplate(s, 'gamma', 'g360-gamma-canary');

  test('an environment gets a canary when its workload.json entry has one: gamma and every prod environment, not beta', () => {
    for (const env of model().environments) expect([env, stackNames(env).includes(`g360-${env}-canary`)]).toEqual([env, model().workload.environments[env]!.canary !== undefined]);
    expect(model().environments.filter((env) => stackNames(env).includes(`g360-${env}-canary`))).toEqual(['gamma', 'prod-01', 'prod-02', 'prod-03']);
  });

  test('checks the configured URL at the configured rate', () => {
    const config = model().workload.environments.gamma!.canary!;
    const [, c] = resourcesOf(canary(), 'AWS::Synthetics::Canary')[0]!;
    expect(c.Properties).toMatchObject({
      Name: 'g360-gamma',
      RuntimeVersion: 'syn-nodejs-puppeteer-13.0',
      Schedule: { Expression: `rate(${config.rateMinutes} minutes)` },
      Code: { Handler: 'index.handler', Script: expect.stringContaining(`const TARGET = ${JSON.stringify(config.url)};`) },
    });
  });

  test('its alarm fires on failed runs in a row, and is a monitor of every gamma AppConfig environment', () => {
    const [alarmId, alarm] = resourcesOf(canary(), 'AWS::CloudWatch::Alarm')[0]!;
    expect(alarm.Properties).toMatchObject({
      AlarmName: canaryAlarmName(model(), 'gamma'),
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 100,
      EvaluationPeriods: CANARY_FAILED_RUNS_TO_ALARM,
      DatapointsToAlarm: CANARY_FAILED_RUNS_TO_ALARM,
      Period: model().workload.environments.gamma!.canary!.rateMinutes * 60,
    });
    expect(alarmId).toMatch(/^Alarm/);
    // By the ARN of its fixed name, not an output of the canary stack that could go stale.
    const alarmArn = `arn:aws:cloudwatch:us-west-2:222222222222:alarm:${canaryAlarmName(model(), 'gamma')}`;

    const appconfig = stageTemplate(s, 'gamma', 'g360-appconfig-gamma');
    const environments = resourcesOf(appconfig, 'AWS::AppConfig::Environment');
    expect(environments).toHaveLength(model().applications.length);
    for (const [, e] of environments) {
      const monitors = e.Properties.Monitors as { AlarmArn: unknown }[];
      expect(monitors).toHaveLength(model().workload.environments.gamma!.monitors.length + 1);
      expect(monitors.map((m) => m.AlarmArn)).toContainEqual(alarmArn);
    }
    // AppConfig's monitor role may read the canary alarm's state.
    const [, role] = resourcesOf(appconfig, 'AWS::IAM::Role').find(([id]) => id.startsWith('MonitorsRole'))!;
    expect(JSON.stringify(role.Properties.Policies)).toContain(alarmArn);
    expect(s.pipeline.stages.find((st) => st.environmentName === 'gamma')!.appConfigStacks[0]!.dependencies.map((d) => d.stackName)).toContain('g360-gamma-canary');
  });

  test('its artifacts bucket is KMS-encrypted, TLS-only, private and expiring', () => {
    const [bucketId, bucket] = resourcesOf(canary(), 'AWS::S3::Bucket')[0]!;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 31, Status: 'Enabled' })] },
    });
    const [, policy] = resourcesOf(canary(), 'AWS::S3::BucketPolicy')[0]!;
    expect(policy.Properties).toMatchObject({ Bucket: { Ref: bucketId }, PolicyDocument: { Statement: [expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] } });
  });
});

describe('the agent', () => {
  test("each cluster's agent stack is in the stage of the cluster's first environment, and only there", () => {
    const agents = model().environments.map((env) => [env, stackNames(env).filter((n) => n.endsWith('-agent'))]);
    expect(agents).toEqual([
      ['beta', [agentStackName(model(), 'lower-eks-cluster-02')]],
      ['gamma', []],
      ['prod-01', [agentStackName(model(), 'g360-prod-core-01')]],
      ['prod-02', []],
      ['prod-03', []],
    ]);
  });

  test("the agent role reads the configurations of its cluster's account and region in one statement, and no stage grants it more", () => {
    const agent = stageTemplate(s, 'prod-01', 'g360-prod-core-01-agent');
    expect(agent.Outputs?.AgentRoleArn).toBeUndefined();
    const roleId = resourcesOf(agent, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === agentNames(model(), 'g360-prod-core-01').agentRoleName)![0];
    const reads = statementsOf(agent, roleId).filter((st) => actions(st).includes('appconfig:GetLatestConfiguration'));
    expect(reads.map((st) => st.Resource)).toEqual(['arn:aws:appconfig:us-east-1:333333333333:application/*/environment/*/configuration/*']);
    for (const env of model().environments) {
      const policies = resourcesOf(stageTemplate(s, env, readersStackName(model(), env)), 'AWS::IAM::Policy');
      expect([env, policies.filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('appconfig-agent'))]).toEqual([env, []]);
    }
  });
});

describe("each environment's rollout gate role", () => {
  const readers = (env: string): Template => stageTemplate(s, env, readersStackName(model(), env));
  const gateRole = (env: string) => resourcesOf(readers(env), 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === gateRoleName(model(), env))!;

  test("has the fixed name the pipeline's gate step assumes, and trusts only that step's role", () => {
    for (const env of model().environments) {
      const [, role] = gateRole(env);
      const config = model().workload.environments[env]!;
      expect(gateRoleArn(model(), env)).toBe(`arn:aws:iam::${config.account}:role/${role.Properties.RoleName as string}`);
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${model().workload.pipeline.account}:root` },
            Condition: { ArnEquals: { 'aws:PrincipalArn': gateStepRoleArn(model(), env) } },
          },
        ],
      });
    }
  });

  test('may only read: the control plane and the data plane, in its account and region', () => {
    const readOnly = /^appconfig:(List|Get)[A-Za-z]+$|^appconfig:StartConfigurationSession$/;
    for (const env of model().environments) {
      const [roleId] = gateRole(env);
      const statements = statementsOf(readers(env), roleId);
      expect([env, statements.flatMap(actions).filter((a) => !readOnly.test(a))]).toEqual([env, []]);
      const config = model().workload.environments[env]!;
      const controlPlane = statements.find((st) => actions(st).includes('appconfig:ListDeployments'))!;
      expect(actions(controlPlane).sort()).toEqual([...GATE_CONTROL_PLANE_ACTIONS].sort());
      expect(JSON.stringify(controlPlane.Resource)).toContain(`:appconfig:${config.region}:${config.account}:application/*`);
      // The one `*`: ListApplications has no resource-level permission.
      expect(statements.filter((st) => st.Resource === '*').map(actions)).toEqual([[...GATE_ACCOUNT_ACTIONS]]);
      const dataPlane = statements.filter((st) => actions(st).includes('appconfig:GetLatestConfiguration'));
      expect(dataPlane.map((st) => st.Resource)).toEqual([`arn:aws:appconfig:${config.region}:${config.account}:application/*/environment/*/configuration/*`]);
    }
  });
});

test('no stack of a stage exports a value: no export would block removing an application', () => {
  for (const env of model().environments) {
    for (const stack of s.assembly.getNestedAssembly(`assembly-${env}`).stacks) {
      const text = JSON.stringify(stack.template);
      expect([stack.stackName, text.includes('Fn::ImportValue'), text.includes('"Export"')]).toEqual([stack.stackName, false, false]);
    }
  }
});
