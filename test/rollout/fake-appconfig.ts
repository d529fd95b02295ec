/**
 * A small in-memory AppConfig control plane behind aws-sdk-client-mock: applications,
 * environments, profiles, hosted versions and deployments, listed in small pages so every
 * caller has to paginate, with failures to inject per command. Tests change a
 * deployment's state between polls to play a rollout forward.
 */
import {
  AppConfigClient,
  AppConfigServiceException,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentsCommand,
  ListDeploymentStrategiesCommand,
  ListEnvironmentsCommand,
  ResourceNotFoundException,
  StartDeploymentCommand,
  StopDeploymentCommand,
  type DeploymentEvent,
  type DeploymentState,
} from '@aws-sdk/client-appconfig';
import { mockClient } from 'aws-sdk-client-mock';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import type { Clock } from '../../lib/rollout/clock';
import type { RolloutTarget } from '../../lib/rollout/targets';
import { REPO_ROOT } from '../support/workspace';

export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

let sample: Model | undefined;
export function sampleModel(): Model {
  if (!sample) {
    const loaded = loadWorkspaceFromDisk(REPO_ROOT, { today: '2026-01-15' });
    if (!loaded.model) throw new Error(`the sample workspace does not validate: ${JSON.stringify(loaded.diagnostics[0])}`);
    sample = loaded.model;
  }
  return sample;
}

/** Time that moves only when something sleeps. */
export class FakeClock implements Clock {
  t = T0;
  readonly sleeps: number[] = [];
  /** Runs after each sleep: the place to move a rollout forward. */
  onSleep?: (n: number) => void;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep?.(this.sleeps.length);
  }
}

export interface FakeDeployment {
  readonly number: number;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly version: number;
  state: DeploymentState;
  percentage: number;
  /** Oldest first; GetDeployment answers newest first, as AppConfig does. */
  events: DeploymentEvent[];
  /** StartDeployment's Description, which GetDeployment returns (ListDeployments does not). */
  description?: string;
  /** StartDeployment's DeploymentStrategyId. */
  strategyId?: string;
}

/** What a started deployment does on each `advance()`: by default DEPLOYING -> BAKING -> COMPLETE. */
export type Script = readonly DeploymentState[];

interface FakeApp {
  readonly name: string;
  readonly id: string;
  readonly environments: { name: string; id: string }[];
  readonly profiles: { name: string; id: string }[];
}

export function awsError(name: string, message: string, status: number): Error {
  return new AppConfigServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export const throttling = () => awsError('ThrottlingException', 'Rate exceeded', 400);
export const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

export class FakeAppConfig {
  readonly mock = mockClient(AppConfigClient);
  pageSize = 2;
  readonly apps: FakeApp[] = [];
  readonly deployments: FakeDeployment[] = [];
  /** Deployment strategies of the account and region: name -> id. */
  readonly strategies = new Map<string, string>();
  /**
   * How StartDeployment's deployments move on each advance(), by environment name; the
   * default script applies elsewhere. A deployment already at its script's end stays put.
   */
  readonly scripts = new Map<string, Script>();
  defaultScript: Script = ['DEPLOYING', 'BAKING', 'COMPLETE'];
  private readonly hosted = new Map<string, { version: number; content: Uint8Array; description?: string; contentType?: string }[]>();
  private readonly progress = new Map<FakeDeployment, { script: Script; step: number }>();
  private readonly failures = new Map<string, unknown[]>();
  private readonly failuresAfter = new Map<string, unknown[]>();
  private ids = 0;

  constructor() {
    this.mock.on(ListApplicationsCommand).callsFake((i) => this.handle('ListApplications', () => this.page(this.apps.map((a) => ({ Name: a.name, Id: a.id })), i.NextToken)));
    this.mock.on(ListEnvironmentsCommand).callsFake((i) =>
      this.handle('ListEnvironments', () => this.page(this.appById(i.ApplicationId).environments.map((e) => ({ Name: e.name, Id: e.id })), i.NextToken)),
    );
    this.mock.on(ListConfigurationProfilesCommand).callsFake((i) =>
      this.handle('ListConfigurationProfiles', () => this.page(this.appById(i.ApplicationId).profiles.map((p) => ({ Name: p.name, Id: p.id })), i.NextToken)),
    );
    this.mock.on(ListDeploymentsCommand).callsFake((i) =>
      this.handle('ListDeployments', () => {
        const mine = this.deployments.filter((d) => d.applicationId === i.ApplicationId && d.environmentId === i.EnvironmentId).sort((a, b) => b.number - a.number);
        return this.page(
          mine.map((d) => ({ DeploymentNumber: d.number, ConfigurationProfileId: d.profileId, ConfigurationVersion: String(d.version), State: d.state, PercentageComplete: d.percentage })),
          i.NextToken,
        );
      }),
    );
    this.mock.on(GetDeploymentCommand).callsFake((i) =>
      this.handle('GetDeployment', () => {
        const d = this.find(i.ApplicationId, i.EnvironmentId, i.DeploymentNumber);
        return {
          ApplicationId: d.applicationId,
          EnvironmentId: d.environmentId,
          ConfigurationProfileId: d.profileId,
          DeploymentNumber: d.number,
          ConfigurationVersion: String(d.version),
          State: d.state,
          PercentageComplete: d.percentage,
          Description: d.description,
          DeploymentStrategyId: d.strategyId,
          EventLog: [...d.events].reverse(),
        };
      }),
    );
    this.mock.on(GetHostedConfigurationVersionCommand).callsFake((i) =>
      this.handle('GetHostedConfigurationVersion', () => {
        const v = this.hosted.get(`${i.ApplicationId}/${i.ConfigurationProfileId}`)?.find((h) => h.version === i.VersionNumber);
        if (!v) throw new ResourceNotFoundException({ message: `Version ${i.VersionNumber} not found`, $metadata: { httpStatusCode: 404 } });
        return { VersionNumber: v.version, Content: v.content, ContentType: v.contentType ?? 'application/json', Description: v.description };
      }),
    );
    this.mock.on(ListDeploymentStrategiesCommand).callsFake((i) =>
      this.handle('ListDeploymentStrategies', () => this.page([...this.strategies].map(([Name, Id]) => ({ Name, Id })), i.NextToken)),
    );
    this.mock.on(CreateHostedConfigurationVersionCommand).callsFake((i) =>
      this.handle('CreateHostedConfigurationVersion', () => {
        const app = this.appById(i.ApplicationId);
        const profile = app.profiles.find((p) => p.id === i.ConfigurationProfileId);
        if (!profile) throw new ResourceNotFoundException({ message: `Profile ${i.ConfigurationProfileId} not found`, $metadata: { httpStatusCode: 404 } });
        const version = this.host(app.name, profile.name, Buffer.from(i.Content ?? new Uint8Array()).toString('utf8'), { description: i.Description, contentType: i.ContentType });
        return { ApplicationId: app.id, ConfigurationProfileId: profile.id, VersionNumber: version, Description: i.Description, ContentType: i.ContentType };
      }),
    );
    this.mock.on(StartDeploymentCommand).callsFake((i) =>
      this.handle('StartDeployment', () => {
        const app = this.appById(i.ApplicationId);
        const env = app.environments.find((e) => e.id === i.EnvironmentId);
        if (!env) throw new ResourceNotFoundException({ message: `Environment ${i.EnvironmentId} not found`, $metadata: { httpStatusCode: 404 } });
        if (![...this.strategies.values()].includes(i.DeploymentStrategyId ?? '')) {
          throw new ResourceNotFoundException({ message: `Deployment strategy ${i.DeploymentStrategyId} not found`, $metadata: { httpStatusCode: 404 } });
        }
        const busy = this.deployments.find((d) => d.applicationId === app.id && d.environmentId === env.id && IN_FLIGHT.has(d.state));
        // AppConfig runs one deployment at a time per environment.
        if (busy) throw new ConflictException({ message: `Deployment ${busy.number} is ${busy.state} in this environment`, $metadata: { httpStatusCode: 409 } });
        const profile = app.profiles.find((p) => p.id === i.ConfigurationProfileId)!;
        const version = Number(i.ConfigurationVersion);
        if (!this.hosted.get(`${app.id}/${profile.id}`)?.some((h) => h.version === version)) {
          throw new ResourceNotFoundException({ message: `Version ${i.ConfigurationVersion} not found`, $metadata: { httpStatusCode: 404 } });
        }
        const d = this.record(app.id, env.id, profile.id, version, 'DEPLOYING', 0);
        d.description = i.Description;
        d.strategyId = i.DeploymentStrategyId;
        this.progress.set(d, { script: this.scripts.get(env.name) ?? this.defaultScript, step: 0 });
        return { DeploymentNumber: d.number, State: d.state, Description: d.description, ConfigurationVersion: String(version) };
      }),
    );
    this.mock.on(StopDeploymentCommand).callsFake((i) =>
      this.handle('StopDeployment', () => {
        const d = this.find(i.ApplicationId, i.EnvironmentId, i.DeploymentNumber);
        if (d.state === 'COMPLETE' && i.AllowRevert) d.state = 'REVERTED';
        else if (d.state === 'DEPLOYING' || (i.AllowRevert && (d.state === 'BAKING' || d.state === 'VALIDATING'))) d.state = 'ROLLED_BACK';
        else throw new ConflictException({ message: `Deployment ${d.number} is ${d.state} and cannot be stopped`, $metadata: { httpStatusCode: 409 } });
        return { DeploymentNumber: d.number, State: d.state };
      }),
    );
  }

  restore(): void {
    this.mock.restore();
  }

  /** Carry out the next calls of `command`, then throw `errors` anyway, one per call: a reply lost after the fact. */
  failAfter(command: string, ...errors: unknown[]): void {
    this.failuresAfter.set(command, [...(this.failuresAfter.get(command) ?? []), ...errors]);
  }

  /** Throw `errors` from the next calls of `command` (by API name), one per call. */
  fail(command: string, ...errors: unknown[]): void {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...errors]);
  }

  calls(
    command: 'ListApplications' | 'ListDeployments' | 'GetDeployment' | 'GetHostedConfigurationVersion' | 'StopDeployment' | 'CreateHostedConfigurationVersion' | 'StartDeployment',
  ): number {
    const ctor = {
      ListApplications: ListApplicationsCommand,
      ListDeployments: ListDeploymentsCommand,
      GetDeployment: GetDeploymentCommand,
      GetHostedConfigurationVersion: GetHostedConfigurationVersionCommand,
      StopDeployment: StopDeploymentCommand,
      CreateHostedConfigurationVersion: CreateHostedConfigurationVersionCommand,
      StartDeployment: StartDeploymentCommand,
    }[command];
    return this.mock.commandCalls(ctor as typeof ListApplicationsCommand).length;
  }

  stopCalls(): { DeploymentNumber?: number; AllowRevert?: boolean }[] {
    return this.mock.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input);
  }

  app(name: string): FakeApp {
    let a = this.apps.find((x) => x.name === name);
    if (!a) {
      a = { name, id: this.id(), environments: [], profiles: [] };
      this.apps.push(a);
    }
    return a;
  }

  environment(app: string, env: string): string {
    const a = this.app(app);
    return (a.environments.find((e) => e.name === env) ?? a.environments[a.environments.push({ name: env, id: this.id() }) - 1]!).id;
  }

  profile(app: string, profile: string): string {
    const a = this.app(app);
    return (a.profiles.find((p) => p.name === profile) ?? a.profiles[a.profiles.push({ name: profile, id: this.id() }) - 1]!).id;
  }

  /** A deployment strategy of the account and region; returns its id. */
  strategy(name: string): string {
    const id = this.strategies.get(name) ?? this.id();
    this.strategies.set(name, id);
    return id;
  }

  /**
   * Move every deployment StartDeployment started one step along its script: the place to
   * play the lane's rollouts forward (call it from the clock's onSleep). A step into
   * ROLLING_BACK or ROLLED_BACK records the alarm that triggered it, as AppConfig does.
   */
  advance(): void {
    for (const [d, p] of this.progress) {
      if (p.step >= p.script.length) continue;
      const state = p.script[p.step++]!;
      if (state === d.state) continue;
      d.state = state;
      d.percentage = state === 'DEPLOYING' ? 50 : state === 'ROLLED_BACK' || state === 'ROLLING_BACK' ? 0 : 100;
      if ((state === 'ROLLING_BACK' || state === 'ROLLED_BACK') && !d.events.some((e) => e.EventType === 'ROLLBACK_STARTED')) {
        const env = this.apps.find((a) => a.id === d.applicationId)!.environments.find((e) => e.id === d.environmentId)!.name;
        d.events.push(event('ROLLBACK_STARTED', 'CLOUDWATCH_ALARM', `Rollback initiated by alarm arn:aws:cloudwatch:us-east-1:111111111111:alarm:${env}-errors`, p.step));
      }
      if (state === 'COMPLETE') d.events.push(event('DEPLOYMENT_COMPLETED', 'APPCONFIG', 'Deployment completed', p.step));
      if (state === 'ROLLED_BACK') d.events.push(event('ROLLBACK_COMPLETED', 'APPCONFIG', 'Rollback completed', p.step));
    }
  }

  /** The hosted version's stored fields, for assertions. */
  hostedVersion(app: string, profile: string, version: number): { content: string; description?: string; contentType?: string } | undefined {
    const v = this.hosted.get(`${this.app(app).id}/${this.profile(app, profile)}`)?.find((h) => h.version === version);
    return v && { content: Buffer.from(v.content).toString('utf8'), description: v.description, contentType: v.contentType };
  }

  /** Create a hosted version; returns its number. */
  host(app: string, profile: string, content: string, extra: { description?: string; contentType?: string } = {}): number {
    const key = `${this.app(app).id}/${this.profile(app, profile)}`;
    const list = this.hosted.get(key) ?? [];
    list.push({ version: list.length + 1, content: new TextEncoder().encode(content), ...extra });
    this.hosted.set(key, list);
    return list.length;
  }

  /** Host `content` and start a deployment of it in `state`. */
  deploy(
    app: string,
    env: string,
    profile: string,
    content: string,
    state: DeploymentState,
    percentage = state === 'DEPLOYING' ? 20 : 100,
    description?: string,
  ): FakeDeployment {
    const applicationId = this.app(app).id;
    const environmentId = this.environment(app, env);
    const profileId = this.profile(app, profile);
    const version = this.host(app, profile, content, { description });
    const d = this.record(applicationId, environmentId, profileId, version, state, percentage);
    d.description = description;
    return d;
  }

  /** Deploy what the target compiled, every profile in `state`. */
  deployTarget(target: RolloutTarget, state: DeploymentState): FakeDeployment[] {
    return target.items.map((i) => this.deploy(i.application, target.environment, i.profile, i.content, state));
  }

  private record(applicationId: string, environmentId: string, profileId: string, version: number, state: DeploymentState, percentage: number): FakeDeployment {
    const number = this.deployments.filter((d) => d.applicationId === applicationId && d.environmentId === environmentId).length + 1;
    const d: FakeDeployment = { number, applicationId, environmentId, profileId, version, state, percentage, events: [event('DEPLOYMENT_STARTED', 'USER', 'Deployment started', 0)] };
    this.deployments.push(d);
    return d;
  }

  private handle<T>(command: string, fn: () => T): T {
    const queued = this.failures.get(command);
    if (queued?.length) throw queued.shift();
    const out = fn();
    const after = this.failuresAfter.get(command);
    if (after?.length) throw after.shift();
    return out;
  }

  private page<T>(items: T[], token: string | undefined): { Items: T[]; NextToken?: string } {
    const start = token ? Number(token) : 0;
    const end = start + this.pageSize;
    return { Items: items.slice(start, end), NextToken: end < items.length ? String(end) : undefined };
  }

  private appById(id: string | undefined): FakeApp {
    const a = this.apps.find((x) => x.id === id);
    if (!a) throw new ResourceNotFoundException({ message: `Application ${id} not found`, $metadata: { httpStatusCode: 404 } });
    return a;
  }

  private find(applicationId: string | undefined, environmentId: string | undefined, number: number | undefined): FakeDeployment {
    const d = this.deployments.find((x) => x.applicationId === applicationId && x.environmentId === environmentId && x.number === number);
    if (!d) throw new ResourceNotFoundException({ message: `Deployment ${number} not found`, $metadata: { httpStatusCode: 404 } });
    return d;
  }

  private id(): string {
    return `id${(++this.ids).toString(36).padStart(4, '0')}`;
  }
}

const IN_FLIGHT = new Set<DeploymentState>(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);

export function event(type: DeploymentEvent['EventType'], by: DeploymentEvent['TriggeredBy'], description: string, minute: number): DeploymentEvent {
  return { EventType: type, TriggeredBy: by, Description: description, OccurredAt: new Date(T0 + minute * 60_000) };
}

/**
 * A fresh fake AppConfig, clock and client for every test of the calling file, torn down
 * after each: `const aws = freshFakesPerTest();` then `aws.fake`, `aws.clock`, `aws.client`.
 */
export function freshFakesPerTest(): { fake: FakeAppConfig; clock: FakeClock; client: AppConfigClient } {
  const aws = {} as { fake: FakeAppConfig; clock: FakeClock; client: AppConfigClient };
  beforeEach(() => {
    aws.fake = new FakeAppConfig();
    aws.clock = new FakeClock();
    aws.client = new AppConfigClient({ region: 'us-east-1' });
  });
  afterEach(() => {
    aws.client.destroy();
    aws.fake.restore();
  });
  return aws;
}
