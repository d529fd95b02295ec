/**
 * Deployment strategies come from workload.json, one AppConfig DeploymentStrategy per
 * named strategy per account and region, shared by every deployment that names it. Their
 * IDs reach the environment stacks through SSM, like the applications'.
 */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { StrategyConfig } from '../model';
import { deploymentStrategyName, strategyIdParameterName } from './names';

/** AppConfig's limit on a deployment strategy name. */
const MAX_NAME_LENGTH = 64;

/** The rollout a strategy of workload.json describes. */
export function rolloutStrategyOf(config: StrategyConfig): appconfig.RolloutStrategy {
  const props: appconfig.RolloutStrategyProps = {
    growthFactor: config.growthFactor,
    deploymentDuration: cdk.Duration.minutes(config.deploymentDurationMinutes),
    finalBakeTime: cdk.Duration.minutes(config.finalBakeTimeMinutes),
  };
  return config.growthType === 'EXPONENTIAL' ? appconfig.RolloutStrategy.exponential(props) : appconfig.RolloutStrategy.linear(props);
}

export interface WorkloadDeploymentStrategyProps {
  readonly workload: string;
  /** The strategy's key in workload.json. */
  readonly strategyName: string;
  readonly config: StrategyConfig;
}

export class WorkloadDeploymentStrategy extends Construct {
  /** The strategy, its ID resolved from SSM when the importing stack deploys. */
  static fromParameter(scope: Construct, id: string, workload: string, strategyName: string): appconfig.IDeploymentStrategy {
    const strategyId = ssm.StringParameter.valueForStringParameter(scope, strategyIdParameterName(workload, strategyName));
    return appconfig.DeploymentStrategy.fromDeploymentStrategyId(scope, id, appconfig.DeploymentStrategyId.fromString(strategyId));
  }

  readonly strategy: appconfig.DeploymentStrategy;
  readonly idParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: WorkloadDeploymentStrategyProps) {
    super(scope, id);
    const name = deploymentStrategyName(props.workload, props.strategyName);
    if (name.length > MAX_NAME_LENGTH) {
      throw new Error(
        `strategy '${props.strategyName}': the AppConfig name '${name}' is ${name.length} characters, AppConfig allows ${MAX_NAME_LENGTH}; ` +
          'shorten the strategy key in config/workload.json (strategies) or the workload name',
      );
    }
    this.strategy = new appconfig.DeploymentStrategy(this, 'Strategy', {
      deploymentStrategyName: name,
      description: props.config.description,
      rolloutStrategy: rolloutStrategyOf(props.config),
    });
    this.idParameter = new ssm.StringParameter(this, 'Id', {
      parameterName: strategyIdParameterName(props.workload, props.strategyName),
      description: `AppConfig deployment strategy ID of ${name}`,
      stringValue: this.strategy.deploymentStrategyId,
    });
  }
}
