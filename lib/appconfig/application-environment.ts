/**
 * One application in one environment: the AppConfig Environment with its monitors, a
 * hosted version per profile holding that environment's compiled bytes, and the
 * deployments, queued flags -> ops -> browser. AppConfig accepts one deployment in flight
 * per environment (a second gets 409 ConflictException), so each deployment DependsOn the
 * one before it.
 */
import { createHash } from 'node:crypto';
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { Construct } from 'constructs';
import type { ProfileName } from '../model';
import { HostedConfigurationVersion } from './hosted-configuration-version';
import { configurationTypeOf } from './shared-application';

export interface EnvironmentDocument {
  readonly profile: ProfileName;
  readonly configurationProfileId: string;
  /** The exact bytes to host. */
  readonly content: string;
}

export interface ApplicationEnvironmentProps {
  readonly application: appconfig.IApplication;
  /** The application's name, for descriptions. */
  readonly applicationName: string;
  /** The AppConfig Environment's name: the environment's key in workload.json. */
  readonly environmentName: string;
  /**
   * @default - No description.
   */
  readonly description?: string;
  /**
   * Alarms that stop and roll back a deployment.
   * @default - No monitors.
   */
  readonly monitors?: appconfig.Monitor[];
  readonly deploymentStrategy: appconfig.IDeploymentStrategy;
  /** One per profile, in deployment order. */
  readonly documents: readonly EnvironmentDocument[];
  /**
   * Protect the Environment: AppConfig refuses to delete it while it is being read
   * (DeletionProtectionCheck.APPLY, even when the account setting is off and even in its
   * first hour), and CloudFormation keeps it when the stack no longer defines it.
   * @default false
   */
  readonly protect?: boolean;
}

export class ApplicationEnvironment extends Construct {
  readonly environment: appconfig.Environment;
  /** Hosted versions, in deployment order. */
  readonly versions: ReadonlyMap<ProfileName, HostedConfigurationVersion>;

  constructor(scope: Construct, id: string, props: ApplicationEnvironmentProps) {
    super(scope, id);
    const seen = new Set<ProfileName>();
    for (const d of props.documents) {
      if (seen.has(d.profile)) throw new Error(`${this.node.path}: profile '${d.profile}' is given twice; pass one document per profile`);
      seen.add(d.profile);
    }
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: props.application,
      environmentName: props.environmentName,
      description: props.description,
      monitors: props.monitors && props.monitors.length > 0 ? [...props.monitors] : undefined,
      deletionProtectionCheck: props.protect ? appconfig.DeletionProtectionCheck.APPLY : undefined,
    });
    if (props.protect) this.environment.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);

    const versions = new Map<ProfileName, HostedConfigurationVersion>();
    for (const doc of props.documents) {
      const digest = createHash('sha256').update(doc.content, 'utf8').digest('hex').slice(0, 16);
      const version = new HostedConfigurationVersion(this, doc.profile, {
        application: props.application,
        configurationProfileId: doc.configurationProfileId,
        profileName: doc.profile,
        type: configurationTypeOf(doc.profile),
        content: doc.content,
        deploymentStrategy: props.deploymentStrategy,
        // Starts like `sha256sum dist/appconfig/<env>/<app>/<profile>.json` from `dynconf build`.
        description: `dynconf ${props.applicationName}/${doc.profile} for ${props.environmentName}, sha256 ${digest}`,
      });
      // The L2 queues deployments per environment: each DependsOn the previous one.
      this.environment.addDeployment(version);
      versions.set(doc.profile, version);
    }
    this.versions = versions;
  }
}
