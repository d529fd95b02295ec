/**
 * One hosted version of a profile that lives in another stack. It implements
 * aws-appconfig's IConfiguration, so `environment.addDeployment(version)` deploys it and
 * queues it behind the environment's earlier deployments exactly as the L2 does.
 */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { Construct } from 'constructs';

export interface HostedConfigurationVersionProps {
  readonly application: appconfig.IApplication;
  /** ID of the hosted profile the version belongs to. */
  readonly configurationProfileId: string;
  /** The profile's name, for messages and deployment descriptions. */
  readonly profileName: string;
  readonly type: appconfig.ConfigurationType;
  /** The bytes AppConfig hosts, passed through untouched. */
  readonly content: string;
  /**
   * @default 'application/json'
   */
  readonly contentType?: string;
  /** The strategy every deployment of this version uses. */
  readonly deploymentStrategy: appconfig.IDeploymentStrategy;
  /**
   * Description of the version and of its deployments.
   * @default - No description.
   */
  readonly description?: string;
}

/**
 * @resource AWS::AppConfig::HostedConfigurationVersion
 */
export class HostedConfigurationVersion extends Construct implements appconfig.IConfiguration {
  readonly application: appconfig.IApplication;
  readonly configurationProfileId: string;
  readonly name: string;
  readonly type: appconfig.ConfigurationType;
  readonly description?: string;
  readonly deploymentStrategy: appconfig.IDeploymentStrategy;
  readonly content: string;
  readonly contentType: string;
  /** The version number AppConfig assigned. */
  readonly versionNumber: string;
  readonly resource: appconfig.CfnHostedConfigurationVersion;

  constructor(scope: Construct, id: string, props: HostedConfigurationVersionProps) {
    super(scope, id);
    this.application = props.application;
    this.configurationProfileId = props.configurationProfileId;
    this.name = props.profileName;
    this.type = props.type;
    this.description = props.description;
    this.deploymentStrategy = props.deploymentStrategy;
    this.content = props.content;
    this.contentType = props.contentType ?? 'application/json';
    this.resource = new appconfig.CfnHostedConfigurationVersion(this, 'Resource', {
      applicationId: props.application.applicationId,
      configurationProfileId: props.configurationProfileId,
      content: this.content,
      contentType: this.contentType,
      description: props.description,
    });
    // A content change replaces the version. Keeping the old one (as the L2 does) keeps
    // the last good version around for an operator to redeploy by hand, and the history
    // that `aws appconfig list-hosted-configuration-versions` compares against.
    this.resource.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
    this.versionNumber = this.resource.ref;
  }
}
