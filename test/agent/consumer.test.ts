import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { addAgentEnv, AGENT_ENV } from '../../lib/agent/consumer';
import type { Any } from './support';

function deployment() {
  const chart = Testing.chart();
  const dep = new kplus.Deployment(chart, 'Payments', { containers: [{ name: 'api', image: 'payments:1', portNumber: 8080 }] });
  return { chart, dep, container: dep.containers[0]! };
}

function envOf(chart: ReturnType<typeof Testing.chart>): Any[] {
  const [obj] = Testing.synth(chart) as Any[];
  return obj.spec.template.spec.containers[0].env;
}

describe('addAgentEnv', () => {
  test('adds host (node IP), port and token (secretKeyRef) to a container', () => {
    const { chart, dep, container } = deployment();
    addAgentEnv(dep, container);
    expect(envOf(chart)).toEqual([
      { name: 'APPCONFIG_AGENT_HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'APPCONFIG_AGENT_PORT', value: '2772' },
      { name: 'APPCONFIG_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'appconfig-agent-token', key: 'token' } } },
    ]);
  });

  test('takes the port and Secret name a cluster uses', () => {
    const { chart, dep, container } = deployment();
    addAgentEnv(dep, container, { port: 2800, secretName: 'agent-token' });
    const env = envOf(chart);
    expect(env.find((e) => e.name === AGENT_ENV.port).value).toBe('2800');
    expect(env.find((e) => e.name === AGENT_ENV.token).valueFrom.secretKeyRef.name).toBe('agent-token');
  });

  test('works on any workload, e.g. a StatefulSet', () => {
    const chart = Testing.chart();
    const sts = new kplus.StatefulSet(chart, 'Search', { containers: [{ name: 'search', image: 'search:1', portNumber: 9200 }] });
    addAgentEnv(sts, sts.containers[0]!);
    const obj = (Testing.synth(chart) as Any[]).find((o) => o.kind === 'StatefulSet');
    expect(obj.spec.template.spec.containers[0].env.map((e: Any) => e.name)).toEqual(Object.values(AGENT_ENV));
  });

  test('refuses a container of another workload', () => {
    const a = deployment();
    const b = deployment();
    expect(() => addAgentEnv(a.dep, b.container)).toThrow(/container 'api' is not a container of/);
  });

  test('refuses to overwrite variables the container already sets', () => {
    const { dep, container } = deployment();
    container.env.addVariable('APPCONFIG_AGENT_HOST', kplus.EnvValue.fromValue('127.0.0.1'));
    expect(() => addAgentEnv(dep, container)).toThrow(/already sets APPCONFIG_AGENT_HOST/);
  });

  test('refuses a port outside 1-65535', () => {
    const { dep, container } = deployment();
    expect(() => addAgentEnv(dep, container, { port: 70000 })).toThrow(/port must be an integer from 1 to 65535/);
  });
});
