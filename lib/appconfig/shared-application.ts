/**
 * One application's account-and-region-wide AppConfig resources: the Application (agents
 * find it by name), its profiles and the ops validator. Environments of the same account
 * and region are deployed by different pipeline stages, which cannot reference each
 * other's stacks, so the IDs travel through one SSM StringList parameter per application,
 * read at deploy time by `SharedApplication.fromParameter`.
 */
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cdk from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { hostedValidatorContent, PROFILE_TYPES, type ApplicationModel, type ProfileName } from '../model';
import { ConfigurationProfile } from './configuration-profile';
import { applicationIdsParameterName, publishedIdOrder } from './names';

export function configurationTypeOf(profile: ProfileName): appconfig.ConfigurationType {
  return PROFILE_TYPES[profile] === 'AWS.Freeform' ? appconfig.ConfigurationType.FREEFORM : appconfig.ConfigurationType.FEATURE_FLAGS;
}

const PROFILE_DESCRIPTIONS: Record<ProfileName, string> = {
  flags: 'Every feature flag of the application',
  ops: 'Operational configuration, validated against the application schema.json',
  browser: 'Only the flags whose exposure is browser: what a BFF may send to browsers',
};

export interface SharedApplicationProps {
  /** Workload name: the root of the SSM parameter path. */
  readonly workload: string;
  readonly application: ApplicationModel;
  /**
   * Deletion protection of the profiles.
   * @default DeletionProtectionCheck.ACCOUNT_DEFAULT
   */
  readonly deletionProtectionCheck?: appconfig.DeletionProtectionCheck;
}

/** What an environment stack needs of a shared application. */
export interface ImportedSharedApplication {
  readonly application: appconfig.IApplication;
  readonly profileIds: ReadonlyMap<ProfileName, string>;
}

export class SharedApplication extends Construct {
  /**
   * The application and its profile IDs, resolved by CloudFormation from the SSM parameter
   * when the importing stack deploys (no synth-time lookup).
   */
  static fromParameter(scope: Construct, id: string, workload: string, app: ApplicationModel): ImportedSharedApplication {
    const ids = ssm.StringListParameter.valueForTypedListParameter(scope, applicationIdsParameterName(workload, app.name));
    const order = publishedIdOrder(app);
    const at = (key: (typeof order)[number]) => cdk.Fn.select(order.indexOf(key), ids);
    return {
      application: appconfig.Application.fromApplicationId(scope, id, at('application')),
      profileIds: new Map(app.profiles.map((p) => [p, at(p)])),
    };
  }

  readonly application: appconfig.Application;
  readonly profiles: ReadonlyMap<ProfileName, ConfigurationProfile>;
  readonly idsParameter: ssm.StringListParameter;

  constructor(scope: Construct, id: string, props: SharedApplicationProps) {
    super(scope, id);
    const app = props.application;
    this.application = new appconfig.Application(this, 'Application', { applicationName: app.name, description: app.description });
    const profiles = new Map<ProfileName, ConfigurationProfile>();
    for (const profile of app.profiles) {
      profiles.set(
        profile,
        new ConfigurationProfile(this, profile, {
          application: this.application,
          name: profile,
          type: configurationTypeOf(profile),
          description: PROFILE_DESCRIPTIONS[profile],
          // draft-04 is what AppConfig's JSON_SCHEMA validator speaks; lib/model checks
          // every environment's ops document against the same schema before synth.
          validators: profile === 'ops' ? [appconfig.JsonSchemaValidator.fromInline(hostedValidatorContent(app.opsSchema))] : undefined,
          deletionProtectionCheck: props.deletionProtectionCheck,
        }),
      );
    }
    this.profiles = profiles;
    this.idsParameter = new ssm.StringListParameter(this, 'Ids', {
      parameterName: applicationIdsParameterName(props.workload, app.name),
      description: `AppConfig IDs of ${app.name}: ${publishedIdOrder(app).join(', ')}`,
      stringListValue: publishedIdOrder(app).map((key) => (key === 'application' ? this.application.applicationId : profiles.get(key)!.configurationProfileId)),
    });
  }
}
