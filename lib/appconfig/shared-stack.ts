import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { Construct } from 'constructs';
import type { Model } from '../model';
import { WorkloadDeploymentStrategy } from './deployment-strategy';
import type { SharedStackPlan } from './plan';
import { SharedApplication } from './shared-application';

export interface AppConfigSharedStackProps extends cdk.StackProps {
  readonly model: Model;
  /** What this stack holds, from planAppConfig(). */
  readonly plan: SharedStackPlan;
}

/**
 * The AppConfig resources every environment of one account and region shares: one
 * Application per app with its profiles and ops validator, and the deployment strategies
 * those environments name. Deployed by the stage of the first such environment.
 */
export class AppConfigSharedStack extends cdk.Stack {
  readonly plan: SharedStackPlan;
  readonly applications: ReadonlyMap<string, SharedApplication>;
  readonly strategies: ReadonlyMap<string, WorkloadDeploymentStrategy>;

  constructor(scope: Construct, id: string, props: AppConfigSharedStackProps) {
    const { model, plan, ...stackProps } = props;
    super(scope, id, {
      stackName: plan.stackName,
      env: { account: plan.account, region: plan.region },
      description: `dynconf ${model.workload.workload}: AppConfig applications, profiles and strategies shared by ${plan.environments.join(', ')} (part ${plan.part})`,
      // Deleting it would take every environment of the account and region with it.
      terminationProtection: plan.protect,
      ...stackProps,
    });
    this.plan = plan;
    const workload = model.workload.workload;

    const strategies = new Map<string, WorkloadDeploymentStrategy>();
    for (const name of plan.strategies) {
      const config = model.workload.strategies[name];
      if (!config) throw new Error(`shared stack ${plan.stackName}: strategy '${name}' is not defined in config/workload.json strategies`);
      strategies.set(name, new WorkloadDeploymentStrategy(this, `Strategy-${name}`, { workload, strategyName: name, config }));
    }
    this.strategies = strategies;

    const applications = new Map<string, SharedApplication>();
    for (const name of plan.applications) {
      const app = model.applications.find((a) => a.name === name);
      if (!app) throw new Error(`shared stack ${plan.stackName}: application '${name}' is not in the model`);
      applications.set(
        name,
        new SharedApplication(this, name, {
          workload,
          application: app,
          deletionProtectionCheck: plan.protect ? appconfig.DeletionProtectionCheck.APPLY : undefined,
        }),
      );
    }
    this.applications = applications;
  }
}
