/**
 * The AppConfig control plane of one account and region, as the rollout commands need
 * it: IDs resolved from the names dynconf gives (application = app key, environment = env
 * key, profile = flags|ops|browser), the latest deployment of each profile, the bytes of a
 * hosted version, StopDeployment, and for the emergency lane CreateHostedConfigurationVersion
 * and StartDeployment. Every call goes through one retry and error path.
 */
import {
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentsCommand,
  ListDeploymentStrategiesCommand,
  ListEnvironmentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
  type AppConfigClient,
  type Deployment,
  type DeploymentSummary,
} from '@aws-sdk/client-appconfig';
import { systemClock, type Clock } from './clock';
import { AppConfigError } from './errors';
import type { ApplicationIds, IdDirectory } from './ids';
import { awsCall, type AwsCallOptions } from './retry';

export interface ControlPlaneProps extends AwsCallOptions {
  /** A client for `region`; the caller owns it (and destroys it). */
  readonly client: AppConfigClient;
  /**
   * Where application, profile and strategy IDs come from.
   * @default - listed through the AppConfig API (ListApplications needs `*`)
   */
  readonly ids?: IdDirectory;
}

/** The IDs behind one profile of one application in one environment. */
export interface ProfileRef {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
}

interface Page<T> {
  readonly Items?: T[];
  readonly NextToken?: string;
}

export class ControlPlane {
  readonly account: string;
  readonly region: string;
  private readonly client: AppConfigClient;
  private readonly clock: Clock;
  private readonly props: ControlPlaneProps;
  private readonly applications = new Map<string, Promise<Map<string, string[]>>>();
  private readonly environments = new Map<string, Promise<Map<string, string[]>>>();
  private readonly profiles = new Map<string, Promise<Map<string, string[]>>>();
  private readonly strategies = new Map<string, Promise<Map<string, string[]>>>();
  private readonly directory = new Map<string, Promise<ApplicationIds>>();
  private readonly contents = new Map<string, Uint8Array>();

  constructor(props: ControlPlaneProps) {
    this.props = props;
    this.client = props.client;
    this.account = props.account;
    this.region = props.region;
    this.clock = props.clock ?? systemClock;
  }

  /** Resolve the IDs of application `application`, its environment and its profile by name. */
  async resolve(application: string, environment: string, profile: string): Promise<ProfileRef> {
    if (this.props.ids) return this.resolveFromDirectory(this.props.ids, application, environment, profile);
    const apps = this.cached(this.applications, '', () =>
      this.namesToIds('ListApplications', 'the application list', (NextToken) =>
        this.client.send(new ListApplicationsCommand({ NextToken, MaxResults: 50 }), { abortSignal: this.props.signal }),
      ),
    );
    const applicationId = this.single(await apps, application, `AppConfig application '${application}'`);
    const envs = this.cached(this.environments, applicationId, () =>
      this.namesToIds('ListEnvironments', `the environments of application '${application}'`, (NextToken) =>
        this.client.send(new ListEnvironmentsCommand({ ApplicationId: applicationId, NextToken, MaxResults: 50 }), { abortSignal: this.props.signal }),
      ),
    );
    const environmentId = this.single(await envs, environment, `environment '${environment}' of application '${application}'`);
    const profiles = this.cached(this.profiles, applicationId, () =>
      this.namesToIds('ListConfigurationProfiles', `the configuration profiles of application '${application}'`, (NextToken) =>
        this.client.send(new ListConfigurationProfilesCommand({ ApplicationId: applicationId, NextToken, MaxResults: 50 }), { abortSignal: this.props.signal }),
      ),
    );
    const profileId = this.single(await profiles, profile, `configuration profile '${profile}' of application '${application}'`);
    return { application, environment, profile, applicationId, environmentId, profileId };
  }

  private async resolveFromDirectory(ids: IdDirectory, application: string, environment: string, profile: string): Promise<ProfileRef> {
    const app = await this.cached(this.directory, application, () => ids.application(application));
    const envs = this.cached(this.environments, app.applicationId, () =>
      this.namesToIds('ListEnvironments', `the environments of application '${application}'`, (NextToken) =>
        this.client.send(new ListEnvironmentsCommand({ ApplicationId: app.applicationId, NextToken, MaxResults: 50 }), { abortSignal: this.props.signal }),
      ),
    );
    const environmentId = this.single(await envs, environment, `environment '${environment}' of application '${application}'`);
    const profileId = app.profileIds.get(profile);
    if (!profileId) throw new AppConfigError('not-found', `no configuration profile '${profile}' among the published IDs of application '${application}' in account ${this.account} region ${this.region}`);
    return { application, environment, profile, applicationId: app.applicationId, environmentId, profileId };
  }

  /**
   * For each profile of one environment, its deployments newest first, down to and
   * including the first that `accept` takes (by default the newest one only).
   * ListDeployments lists an environment's deployments newest first across all its
   * profiles, so paging stops once every profile has an accepted deployment.
   */
  async recentDeployments(refs: readonly ProfileRef[], accept: (d: DeploymentSummary) => boolean = () => true): Promise<Map<string, DeploymentSummary[]>> {
    const found = new Map<string, DeploymentSummary[]>(refs.map((r) => [r.profileId, []]));
    const first = refs[0];
    if (!first) return found;
    const open = new Set(found.keys());
    let token: string | undefined;
    do {
      const page: Page<DeploymentSummary> = await this.call('ListDeployments', `deployments of ${first.application}/${first.environment}`, () =>
        this.client.send(new ListDeploymentsCommand({ ApplicationId: first.applicationId, EnvironmentId: first.environmentId, NextToken: token, MaxResults: 50 }), {
          abortSignal: this.props.signal,
        }),
      );
      for (const d of page.Items ?? []) {
        const id = d.ConfigurationProfileId ?? '';
        if (!open.has(id)) continue;
        found.get(id)!.push(d);
        if (accept(d)) open.delete(id);
      }
      token = page.NextToken;
    } while (token && open.size > 0);
    return found;
  }

  /** One deployment with its event log. */
  async deployment(ref: ProfileRef, deploymentNumber: number): Promise<Deployment> {
    return this.call('GetDeployment', `deployment #${deploymentNumber} of ${describe(ref)}`, () =>
      this.client.send(new GetDeploymentCommand({ ApplicationId: ref.applicationId, EnvironmentId: ref.environmentId, DeploymentNumber: deploymentNumber }), {
        abortSignal: this.props.signal,
      }),
    );
  }

  /**
   * The bytes of the hosted configuration version a deployment carries. Versions are
   * immutable, so each is fetched once.
   */
  async hostedContent(ref: ProfileRef, configurationVersion: string | undefined, deploymentNumber: number): Promise<Uint8Array> {
    const version = Number(configurationVersion);
    if (!configurationVersion || !Number.isInteger(version) || version < 1) {
      throw new AppConfigError(
        'other',
        `deployment #${deploymentNumber} of ${describe(ref)} carries configuration version '${configurationVersion ?? ''}', which is not a hosted version number; dynconf deploys only hosted versions, so something else started it`,
      );
    }
    const key = `${ref.applicationId}/${ref.profileId}/${version}`;
    const cached = this.contents.get(key);
    if (cached) return cached;
    const out = await this.call('GetHostedConfigurationVersion', `hosted version ${version} of ${ref.application} profile ${ref.profile}`, () =>
      this.client.send(new GetHostedConfigurationVersionCommand({ ApplicationId: ref.applicationId, ConfigurationProfileId: ref.profileId, VersionNumber: version }), {
        abortSignal: this.props.signal,
      }),
    );
    const content = out.Content ?? new Uint8Array();
    this.contents.set(key, content);
    return content;
  }

  /**
   * The newest deployment of the AppConfig environment `ref` belongs to, whatever its
   * profile: AppConfig runs one deployment at a time per environment, so only this one can
   * be in flight.
   */
  async newestInEnvironment(ref: ProfileRef): Promise<DeploymentSummary | undefined> {
    const page: Page<DeploymentSummary> = await this.call('ListDeployments', `deployments of ${ref.application}/${ref.environment}`, () =>
      this.client.send(new ListDeploymentsCommand({ ApplicationId: ref.applicationId, EnvironmentId: ref.environmentId, MaxResults: 1 }), { abortSignal: this.props.signal }),
    );
    return page.Items?.[0];
  }

  /** The ID of the deployment strategy with key `key` in workload.json, named `name` in AppConfig (workload-prefixed). */
  async strategyId(key: string, name: string): Promise<string> {
    if (this.props.ids) return this.props.ids.strategy(key);
    const ids = this.cached(this.strategies, '', () =>
      this.namesToIds('ListDeploymentStrategies', 'the deployment strategies', (NextToken) =>
        this.client.send(new ListDeploymentStrategiesCommand({ NextToken, MaxResults: 50 }), { abortSignal: this.props.signal }),
      ),
    );
    return this.single(await ids, name, `deployment strategy '${name}'`);
  }

  /** CreateHostedConfigurationVersion: host `content` as a new version of the profile; returns its number. */
  async createHostedVersion(ref: ProfileRef, content: string, contentType: string, description: string): Promise<number> {
    const out = await this.call('CreateHostedConfigurationVersion', `profile ${ref.profile} of ${ref.application}`, () =>
      this.client.send(
        new CreateHostedConfigurationVersionCommand({
          ApplicationId: ref.applicationId,
          ConfigurationProfileId: ref.profileId,
          Content: new TextEncoder().encode(content),
          ContentType: contentType,
          Description: description,
        }),
        { abortSignal: this.props.signal },
      ),
    );
    if (out.VersionNumber === undefined) throw new AppConfigError('other', `CreateHostedConfigurationVersion on ${describe(ref)} returned no version number`);
    return out.VersionNumber;
  }

  /** StartDeployment of hosted version `version`; returns the deployment number. */
  async startDeployment(ref: ProfileRef, strategyId: string, version: number, description: string): Promise<number> {
    const out = await this.call('StartDeployment', `version ${version} of ${describe(ref)}`, () =>
      this.client.send(
        new StartDeploymentCommand({
          ApplicationId: ref.applicationId,
          EnvironmentId: ref.environmentId,
          ConfigurationProfileId: ref.profileId,
          ConfigurationVersion: String(version),
          DeploymentStrategyId: strategyId,
          Description: description,
        }),
        { abortSignal: this.props.signal },
      ),
    );
    if (out.DeploymentNumber === undefined) throw new AppConfigError('other', `StartDeployment on ${describe(ref)} returned no deployment number`);
    return out.DeploymentNumber;
  }

  /** StopDeployment; `allowRevert` also reverts a COMPLETE deployment to the previous version. */
  async stop(ref: ProfileRef, deploymentNumber: number, allowRevert: boolean): Promise<{ state?: string }> {
    const out = await this.call('StopDeployment', `deployment #${deploymentNumber} of ${describe(ref)}`, () =>
      this.client.send(
        new StopDeploymentCommand({ ApplicationId: ref.applicationId, EnvironmentId: ref.environmentId, DeploymentNumber: deploymentNumber, AllowRevert: allowRevert }),
        { abortSignal: this.props.signal },
      ),
    );
    return { state: out.State };
  }

  private call<T>(action: string, subject: string, fn: () => Promise<T>): Promise<T> {
    return awsCall({ ...this.props, clock: this.clock }, () => ({ action, subject }), fn);
  }

  private async namesToIds(action: string, subject: string, fetch: (token: string | undefined) => Promise<Page<{ Name?: string; Id?: string }>>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let token: string | undefined;
    do {
      const page = await this.call(action, subject, () => fetch(token));
      for (const item of page.Items ?? []) {
        if (!item.Name || !item.Id) continue;
        out.set(item.Name, [...(out.get(item.Name) ?? []), item.Id]);
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** AppConfig does not keep names unique; dynconf needs them to be. */
  private single(ids: Map<string, string[]>, name: string, what: string): string {
    const found = ids.get(name) ?? [];
    if (found.length === 1) return found[0]!;
    const where = `account ${this.account} region ${this.region}`;
    if (found.length > 1) {
      throw new AppConfigError('other', `${found.length} of AppConfig's resources are named like the ${what} in ${where} (ids ${found.join(', ')}); delete the ones dynconf did not create`);
    }
    const known = [...ids.keys()].sort();
    throw new AppConfigError(
      'not-found',
      `no ${what} in ${where} (found: ${known.length ? known.join(', ') : 'none'}); check that the stage has deployed it and that the credentials are for account ${this.account}`,
    );
  }

  /** A failed lookup must not be cached: the next attempt asks again. */
  private cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) {
      p = load();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  }
}

function describe(ref: ProfileRef): string {
  return `${ref.application}/${ref.environment} profile ${ref.profile}`;
}
