/**
 * The canary's script, run here against a server on 127.0.0.1 with the Synthetics library
 * stood in for, and the limits around the canary: AppConfig's five monitors per
 * environment, and a canary stack only for an environment that configures one.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  addCost,
  environmentApplicationCost,
  environmentFixedCost,
  EnvironmentMonitors,
  MAX_MONITORS,
  monitorCount,
  NO_COST,
} from '../../lib/appconfig';
import type { MonitorConfig } from '../../lib/model';
import { canaryScript, EnvironmentCanaryStack } from '../../lib/pipeline/canary';
import { EnvironmentStage } from '../../lib/pipeline/environment-stage';
import { sampleModel, withWorkload } from './support';

describe('the canary script', () => {
  const answers: Record<string, [number, Record<string, string>?]> = {
    '/healthz': [200],
    '/broken': [503],
    '/moved': [301, { location: '/healthz' }],
  };
  const server = http.createServer((req, res) => {
    const [status, headers] = answers[req.url ?? ''] ?? [404];
    res.writeHead(status, headers);
    res.end('body');
  });
  let base: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Run the script as Synthetics would, recording the steps it runs. */
  async function runCanary(url: string): Promise<string[]> {
    const steps: string[] = [];
    const synthetics = {
      executeStep: async (name: string, fn: () => Promise<void>) => {
        steps.push(name);
        await fn();
      },
    };
    const exports: { handler?: () => Promise<void> } = {};
    const requireStub = (id: string) => {
      if (id !== 'Synthetics') throw new Error(`the canary script may only require the Synthetics library, not '${id}'`);
      return synthetics;
    };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the generated canary script with a stub require, as Synthetics would
    new Function('require', 'exports', canaryScript(url))(requireStub, exports);
    await exports.handler!();
    return steps;
  }

  test('a 2xx answer passes, as one step named after the path', async () => {
    await expect(runCanary(`${base}/healthz`)).resolves.toEqual(['GET /healthz']);
  });

  test('an error status fails the run, naming the URL and the status', async () => {
    await expect(runCanary(`${base}/broken`)).rejects.toThrow(`GET ${base}/broken answered 503, expected 2xx`);
  });

  test('a redirect fails too: the checked URL must answer itself', async () => {
    await expect(runCanary(`${base}/moved`)).rejects.toThrow('answered 301');
  });

  test('the URL is embedded as a JSON string literal, whatever it contains', () => {
    expect(canaryScript("https://x.example/a'b\"c")).toContain('const TARGET = "https://x.example/a\'b\\"c";');
  });
});

describe('limits around the canary', () => {
  const stack = () => new cdk.Stack(new cdk.App(), 'Test', { env: { account: '222222222222', region: 'us-west-2' } });
  const existing = (i: number): MonitorConfig => ({ alarmArn: `arn:aws:cloudwatch:us-west-2:222222222222:alarm:a${i}` });

  test(`the canary's alarm is one more monitor, within AppConfig's ${MAX_MONITORS}`, () => {
    const canaryAlarm = 'arn:aws:cloudwatch:us-west-2:222222222222:alarm:g360-gamma-canary-failed';
    const monitors = new EnvironmentMonitors(stack(), 'Monitors', { environmentName: 'gamma', monitors: [1, 2, 3, 4].map(existing), additionalAlarmArns: [canaryAlarm] });
    expect(monitors.monitors).toHaveLength(5);
    expect(monitors.alarms[4]!.alarmArn).toBe(canaryAlarm);
  });

  test('five monitors in workload.json and a canary are an error naming the environment and the fix', () => {
    const canaryAlarm = 'arn:aws:cloudwatch:us-west-2:222222222222:alarm:g360-gamma-canary-failed';
    expect(() => new EnvironmentMonitors(stack(), 'Monitors', { environmentName: 'gamma', monitors: [1, 2, 3, 4, 5].map(existing), additionalAlarmArns: [canaryAlarm] })).toThrow(
      "environment gamma: 5 monitors in workload.json plus 1 added (the canary's alarm) make 6, and AppConfig allows 5 per environment; remove one from environments.gamma.monitors",
    );
  });

  test('a canary stack for an environment without a canary is an error with the fix', () => {
    expect(() => new EnvironmentCanaryStack(new cdk.App(), 'Canary', { model: sampleModel(), environment: 'beta' })).toThrow(
      "environment 'beta' has no canary; add environments.beta.canary { url, rateMinutes } to config/workload.json",
    );
  });
});

test("the AppConfig planner counts the canary's alarm: a gamma with only a canary still gets the monitor role", () => {
  const model = withWorkload(sampleModel(), (w) => ({ ...w, environments: { ...w.environments, gamma: { ...w.environments.gamma!, monitors: [] } } }));
  const gamma = model.workload.environments.gamma!;
  expect(monitorCount(gamma)).toBe(1);
  const stage = new EnvironmentStage(new cdk.App({ analyticsReporting: false }), 'gamma', { model, environment: 'gamma' });
  const stack = stage.appConfigStacks[0]!;
  const estimate = model.applications.map((a) => environmentApplicationCost(model, 'gamma', a)).reduce(addCost, addCost(NO_COST, environmentFixedCost(monitorCount(gamma) > 0, 0)));
  const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>);
  // The planner's count is exact; it includes the CDK metadata resource that `cdk synth` adds and this App leaves out.
  expect(resources.length + 1).toBe(estimate.resources);
  expect(resources.filter((r) => r.Type === 'AWS::IAM::Role')).toHaveLength(1);
});
