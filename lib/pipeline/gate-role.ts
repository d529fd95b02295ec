/**
 * The role the pipeline's rollout gate and verify steps assume in an environment's
 * account: read-only AppConfig, control plane (`dynconf rollout wait`) and data plane
 * (`dynconf verify`). It has a fixed name because the step, in the pipeline account,
 * must know its ARN before this stage has ever been deployed (see names.ts), and it
 * trusts only that step's role.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { partitionOf } from '../agent/names';
import { grantConfigurationReads } from '../appconfig/configuration-reads';
import type { Model } from '../model';
import { acknowledgeKnownGrants, ARN, type KnownGrant } from './nag';
import { gateRoleName, gateStepRoleArn } from './names';

/**
 * What `dynconf rollout wait` calls (lib/rollout/control-plane.ts): AppConfig IDs are looked
 * up by name, then the latest deployment of each profile and its hosted version's bytes.
 */
export const GATE_CONTROL_PLANE_ACTIONS = [
  'appconfig:ListEnvironments',
  'appconfig:ListConfigurationProfiles',
  'appconfig:ListDeployments',
  'appconfig:GetDeployment',
  'appconfig:GetHostedConfigurationVersion',
] as const;

/** ListApplications has no resource-level permission: IAM accepts only `*` for it. */
export const GATE_ACCOUNT_ACTIONS = ['appconfig:ListApplications'] as const;

export interface RolloutGateRoleProps {
  readonly model: Model;
  /** The environment whose configurations the gate reads. */
  readonly environment: string;
}

export class RolloutGateRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RolloutGateRoleProps) {
    super(scope, id);
    const { model, environment } = props;
    const config = model.workload.environments[environment];
    if (!config) throw new Error(`RolloutGateRole: unknown environment '${environment}'; config/workload.json defines ${model.environments.join(', ')}`);
    const stack = cdk.Stack.of(this);
    const pipelineAccount = model.workload.pipeline.account;

    this.role = new iam.Role(this, 'Role', {
      roleName: gateRoleName(model, environment),
      description: `dynconf rollout gate and verify steps of the ${model.workload.workload} pipeline (account ${pipelineAccount}): read-only AppConfig in ${environment}`,
      // The account principal with a condition, not the step role's ARN as principal: IAM
      // pins an ARN principal to the role's unique id, so a step role recreated by the
      // pipeline would silently lose access; a condition on aws:PrincipalArn survives that.
      assumedBy: new iam.AccountPrincipal(pipelineAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': gateStepRoleArn(model, environment) },
      }),
      maxSessionDuration: cdk.Duration.hours(1),
    });
    // The gate finds AppConfig's generated IDs by name, so the control-plane reads cannot
    // name them; they are bounded to this account and region, and read-only.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...GATE_CONTROL_PLANE_ACTIONS],
        resources: [stack.formatArn({ service: 'appconfig', resource: 'application', resourceName: '*' })],
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ actions: [...GATE_ACCOUNT_ACTIONS], resources: ['*'] }));
    // `dynconf verify` reads through the data plane. The same account-and-region bound as
    // the control-plane reads above (which can already read any hosted version's bytes),
    // and no reference to another stack's generated IDs that could go stale.
    grantConfigurationReads(this.role, { partition: partitionOf(config.region), account: config.account, region: config.region });
    acknowledgeKnownGrants(this.role, gateGrants(stack), () => undefined);
  }
}

/** The two wildcards of the gate's control-plane reads, and why each is needed. */
function gateGrants(stack: cdk.Stack): KnownGrant[] {
  return [
    {
      // eslint-disable-next-line security/detect-non-literal-regexp -- a cdk-nag finding pattern built from constants and the stack's account/region, at synth time
      finding: new RegExp(`^Resource::${ARN}:appconfig:${stack.region}:${stack.account}:application/\\*$`),
      // eslint-disable-next-line security/detect-non-literal-regexp -- an alternation of the constant action lists above
      actions: new RegExp(`^(${GATE_CONTROL_PLANE_ACTIONS.join('|')})$`),
      reason: "Read-only AppConfig control plane for the rollout gate: it finds AppConfig's generated IDs by name, so the resources can only be bounded to this account and region",
    },
    {
      finding: /^Resource::\*$/,
      // eslint-disable-next-line security/detect-non-literal-regexp -- an alternation of the constant action lists above
      actions: new RegExp(`^(${GATE_ACCOUNT_ACTIONS.join('|')})$`),
      reason: 'appconfig:ListApplications has no resource-level permission; the rollout gate lists applications to find them by name',
    },
  ];
}
