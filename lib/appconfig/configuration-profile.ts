/**
 * A hosted configuration profile on its own. aws-appconfig's HostedConfiguration always
 * creates a profile and a version together; here the profile lives in the shared stack of
 * an account and region, and every environment adds its own versions from its own stack.
 */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import type { Construct } from 'constructs';

/** AppConfig's limits on a profile (CreateConfigurationProfile). */
const MAX_NAME_LENGTH = 128;
const MAX_VALIDATORS = 2;
const MAX_VALIDATOR_CONTENT = 32768;

export interface ConfigurationProfileProps {
  /** The application the profile belongs to. */
  readonly application: appconfig.IApplication;
  /** The name agents and SDKs ask for, e.g. `flags`. */
  readonly name: string;
  /** Feature flags or freeform. */
  readonly type: appconfig.ConfigurationType;
  /**
   * Checks AppConfig runs on every version before a deployment starts.
   * @default - No validators.
   */
  readonly validators?: appconfig.IValidator[];
  /**
   * @default - No description.
   */
  readonly description?: string;
  /**
   * Whether AppConfig refuses to delete the profile while it is being read.
   * @default DeletionProtectionCheck.ACCOUNT_DEFAULT
   */
  readonly deletionProtectionCheck?: appconfig.DeletionProtectionCheck;
}

/**
 * An AppConfig configuration profile whose content AppConfig hosts.
 * @resource AWS::AppConfig::ConfigurationProfile
 */
export class ConfigurationProfile extends cdk.Resource {
  readonly application: appconfig.IApplication;
  readonly name: string;
  readonly type: appconfig.ConfigurationType;
  /** @attribute */
  readonly configurationProfileId: string;
  /** @attribute */
  readonly configurationProfileArn: string;

  constructor(scope: Construct, id: string, props: ConfigurationProfileProps) {
    super(scope, id, { physicalName: props.name });
    if (props.name.length < 1 || props.name.length > MAX_NAME_LENGTH) {
      throw new Error(`ConfigurationProfile ${this.node.path}: name '${props.name}' must be 1-${MAX_NAME_LENGTH} characters; choose a shorter profile name`);
    }
    const validators = props.validators ?? [];
    if (validators.length > MAX_VALIDATORS) {
      throw new Error(`ConfigurationProfile ${this.node.path}: ${validators.length} validators given, AppConfig allows ${MAX_VALIDATORS}; merge the schemas`);
    }
    for (const v of validators) {
      if (v.content.length > MAX_VALIDATOR_CONTENT) {
        throw new Error(
          `ConfigurationProfile ${this.node.path}: the ${v.type} validator is ${v.content.length} characters, AppConfig allows ${MAX_VALIDATOR_CONTENT}; ` +
            'shorten schema.json (descriptions, repeated definitions via $ref)',
        );
      }
    }
    this.application = props.application;
    this.name = props.name;
    this.type = props.type;
    const resource = new appconfig.CfnConfigurationProfile(this, 'Resource', {
      applicationId: props.application.applicationId,
      name: props.name,
      locationUri: 'hosted',
      type: props.type,
      description: props.description,
      validators: validators.length > 0 ? validators.map((v) => ({ type: v.type, content: v.content })) : undefined,
      deletionProtectionCheck: props.deletionProtectionCheck,
    });
    this.configurationProfileId = resource.ref;
    this.configurationProfileArn = cdk.Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${props.application.applicationId}/configurationprofile/${this.configurationProfileId}`,
    });
  }
}
