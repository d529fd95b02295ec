/**
 * Where the control plane finds AppConfig's generated IDs. By default it lists them
 * (ListApplications, ListConfigurationProfiles, ListDeploymentStrategies), which IAM allows
 * only on `*` for ListApplications and ListDeploymentStrategies. A role that must not hold
 * anything on `*` (the emergency lane's) reads them instead from the SSM parameters the
 * shared stacks publish: one StringList per application (its ID, then one per profile, in
 * publishedIdOrder) and one String per deployment strategy.
 */
import { applicationIdsParameterName, publishedIdOrder, strategyIdParameterName } from '../appconfig/names';
import type { Model } from '../model';
import { AppConfigError } from './errors';

export interface ApplicationIds {
  readonly applicationId: string;
  /** Profile name -> configuration profile ID. */
  readonly profileIds: ReadonlyMap<string, string>;
}

export interface IdDirectory {
  application(name: string): Promise<ApplicationIds>;
  /** The ID of the strategy whose key in workload.json `strategies` is `key`. */
  strategy(key: string): Promise<string>;
}

/**
 * IDs from SSM. `get` reads one parameter's value (ssm:GetParameter) in the environment's
 * account and region, and throws an AppConfigError (kind `not-found` for a missing one).
 */
export function ssmIdDirectory(model: Model, get: (name: string) => Promise<string>): IdDirectory {
  const workload = model.workload.workload;
  return {
    async application(name) {
      const app = model.applications.find((a) => a.name === name);
      if (!app) throw new AppConfigError('not-found', `application '${name}' is not in config/workload.json`);
      const parameter = applicationIdsParameterName(workload, name);
      const values = (await get(parameter)).split(',');
      const order = publishedIdOrder(app);
      if (values.length !== order.length || values.some((v) => !v)) {
        throw new AppConfigError(
          'other',
          `SSM parameter ${parameter} holds ${values.length} IDs, but ${name} has ${order.length} (${order.join(', ')}); its shared stack was deployed from another version of config/: let the pipeline deploy it first`,
        );
      }
      const profileIds = new Map<string, string>();
      order.forEach((key, i) => key !== 'application' && profileIds.set(key, values[i]!));
      return { applicationId: values[0]!, profileIds };
    },
    strategy: (key) => get(strategyIdParameterName(workload, key)),
  };
}
