/**
 * Consumer wiring: what a workload needs to talk to the agent on its node. The host is the
 * node's IP from the Downward API (the agent listens on a hostPort), the token comes from
 * the Secret that External Secrets Operator keeps in the workload's namespace.
 */
import * as kplus from 'cdk8s-plus-28';
import { TOKEN_SECRET_KEY, TOKEN_SECRET_NAME } from './names';

/** The environment variables a consumer reads; the project's client reads these names. */
export const AGENT_ENV = {
  host: 'APPCONFIG_AGENT_HOST',
  port: 'APPCONFIG_AGENT_PORT',
  token: 'APPCONFIG_AGENT_TOKEN',
} as const;

/** The agent's port when workload.json says nothing else. */
export const DEFAULT_AGENT_PORT = 2772;

export interface AgentEnvOptions {
  /**
   * The agent's port: `clusters.<cluster>.agent.port` in workload.json.
   * @default DEFAULT_AGENT_PORT
   */
  readonly port?: number;
  /**
   * Name of the token Secret in the workload's namespace.
   * @default TOKEN_SECRET_NAME
   */
  readonly secretName?: string;
}

/**
 * Add APPCONFIG_AGENT_HOST, APPCONFIG_AGENT_PORT and APPCONFIG_AGENT_TOKEN to a container
 * of a cdk8s-plus workload (Deployment, StatefulSet, Job, Pod, ...).
 */
export function addAgentEnv(workload: kplus.AbstractPod, container: kplus.Container, options: AgentEnvOptions = {}): void {
  if (!workload.containers.includes(container)) {
    throw new Error(`container '${container.name}' is not a container of ${workload.node.path}: pass one of its containers (${workload.containers.map((c) => c.name).join(', ')})`);
  }
  const taken = Object.values(AGENT_ENV).filter((name) => container.env.variables[name] !== undefined);
  if (taken.length) {
    throw new Error(`container '${container.name}' already sets ${taken.join(', ')}: remove them, or do not call addAgentEnv for it`);
  }
  const port = options.port ?? DEFAULT_AGENT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be an integer from 1 to 65535 (got ${port})`);
  const secret = kplus.Secret.fromSecretName(workload, `${container.name}-AppConfigAgentToken`, options.secretName ?? TOKEN_SECRET_NAME);
  // An IPv6 node IP must be bracketed in a URL: http://[${host}]:${port}/...
  container.env.addVariable(AGENT_ENV.host, kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_IP));
  container.env.addVariable(AGENT_ENV.port, kplus.EnvValue.fromValue(String(port)));
  container.env.addVariable(AGENT_ENV.token, kplus.EnvValue.fromSecretValue({ secret, key: TOKEN_SECRET_KEY }));
}
