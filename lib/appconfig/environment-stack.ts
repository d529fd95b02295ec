import * as cdk from 'aws-cdk-lib';
import type * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { Construct } from 'constructs';
import { findDocument, type Model } from '../model';
import { ApplicationEnvironment } from './application-environment';
import { WorkloadDeploymentStrategy } from './deployment-strategy';
import { EnvironmentMonitors } from './environment-monitors';
import type { EnvironmentStackPlan } from './plan';
import { SharedApplication } from './shared-application';

export interface AppConfigEnvironmentStackProps extends cdk.StackProps {
  readonly model: Model;
  /** What this stack holds, from planAppConfig(). */
  readonly plan: EnvironmentStackPlan;
  /**
   * ARNs of alarms from other stacks that AppConfig also watches in this environment (the
   * stage's canary alarm); every part of a split environment gets them.
   * @default - only the monitors of workload.json
   */
  readonly additionalAlarmArns?: readonly string[];
}

/**
 * One environment's AppConfig slice (or one part of it): per application the AppConfig
 * Environment with its monitors, the hosted versions of this environment's compiled
 * documents and their deployments. Applications, profiles and the strategy come from the
 * shared stack through SSM, resolved by CloudFormation at deploy time.
 */
export class AppConfigEnvironmentStack extends cdk.Stack {
  readonly plan: EnvironmentStackPlan;
  readonly environmentName: string;
  readonly monitors: EnvironmentMonitors;
  /**
   * The AppConfig Environment of each application in this stack, by application name:
   * what a consumer passes to `grantReadConfig(role)`.
   */
  readonly environments: ReadonlyMap<string, appconfig.IEnvironment>;

  constructor(scope: Construct, id: string, props: AppConfigEnvironmentStackProps) {
    const { model, plan, additionalAlarmArns, ...stackProps } = props;
    const config = model.workload.environments[plan.environment];
    if (!config) throw new Error(`environment stack ${plan.stackName}: environment '${plan.environment}' is not defined in config/workload.json`);
    const prod = config.tier === 'prod';
    super(scope, id, {
      stackName: plan.stackName,
      env: { account: plan.account, region: plan.region },
      description: `dynconf ${model.workload.workload}: AppConfig environment ${plan.environment} (part ${plan.part}): environments, monitors, hosted versions and deployments`,
      terminationProtection: prod,
      ...stackProps,
    });
    this.plan = plan;
    this.environmentName = plan.environment;
    const workload = model.workload.workload;

    const strategy = WorkloadDeploymentStrategy.fromParameter(this, 'Strategy', workload, config.strategy);
    this.monitors = new EnvironmentMonitors(this, 'Monitors', {
      environmentName: plan.environment,
      monitors: config.monitors,
      createAlarms: plan.createsAlarms,
      additionalAlarmArns,
    });

    const environments = new Map<string, appconfig.IEnvironment>();
    for (const name of plan.applications) {
      const app = model.applications.find((a) => a.name === name);
      if (!app) throw new Error(`environment stack ${plan.stackName}: application '${name}' is not in the model`);
      const shared = SharedApplication.fromParameter(this, `Imported-${name}`, workload, app);
      const slice = new ApplicationEnvironment(this, name, {
        application: shared.application,
        applicationName: name,
        environmentName: plan.environment,
        description: config.description,
        monitors: [...this.monitors.monitors],
        deploymentStrategy: strategy,
        documents: app.profiles.map((profile) => {
          const doc = findDocument(model, plan.environment, name, profile);
          if (!doc) throw new Error(`environment stack ${plan.stackName}: the model has no ${profile} document for ${name} in ${plan.environment}`);
          return { profile, configurationProfileId: shared.profileIds.get(profile)!, content: doc.content };
        }),
        protect: prod,
      });
      environments.set(name, slice.environment);
    }
    this.environments = environments;
  }
}
