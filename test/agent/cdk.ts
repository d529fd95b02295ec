/**
 * CDK fixtures for the agent tests: AppConfig environments the way a stage would pass them
 * (created in their own stack, or imported), and the stacks built from the sample.
 */
import { Stack, type App } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { EnvironmentsByName } from '../../lib/agent/stack';
import type { Model } from '../../lib/model';

/** A stack holding one Application per app and the named environments of each, as the AppConfig stage creates them. */
export function appConfigStack(app: App, id: string, model: Model, envs: readonly string[]): { stack: Stack; environments: EnvironmentsByName } {
  const first = model.workload.environments[envs[0]!]!;
  const stack = new Stack(app, id, { env: { account: first.account, region: first.region } });
  const environments: Record<string, Record<string, appconfig.IEnvironment>> = {};
  for (const a of model.applications) {
    const application = new appconfig.Application(stack, a.name, { applicationName: a.name });
    for (const env of envs) {
      environments[env] ??= {};
      environments[env]![a.name] = new appconfig.Environment(stack, `${a.name}-${env}`, { application, environmentName: env });
    }
  }
  return { stack, environments };
}

/** Environments imported by ID (IDs made up), inside the given stack. */
export function importedEnvironments(stack: Stack, model: Model, envs: readonly string[]): EnvironmentsByName {
  const out: Record<string, Record<string, appconfig.IEnvironment>> = {};
  model.applications.forEach((a, ai) => {
    const application = appconfig.Application.fromApplicationId(stack, `${a.name}-app`, `app${ai}xyz`);
    envs.forEach((env, ei) => {
      out[env] ??= {};
      out[env]![a.name] = appconfig.Environment.fromEnvironmentAttributes(stack, `${a.name}-${env}`, { application, environmentId: `env${ai}${ei}ab` });
    });
  });
  return out;
}
