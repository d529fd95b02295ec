/**
 * Where DynamicConfig reads from: the agent over HTTP, or AppConfig's data plane directly
 * (StartConfigurationSession, then GetLatestConfiguration with the next-poll token).
 */
import { AppConfigDataClient, BadRequestException, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import { AgentRequestError, flagsBodyAsMap, type AgentClient, type FailureKind } from './agent-client';

export type FetchOutcome = { readonly unchanged: true } | { readonly unchanged?: false; readonly content: string; readonly version?: string; readonly contentType?: string };

export interface ConfigSource {
  /** For messages: where the configuration comes from. */
  readonly description: string;
  /** Rejects with SourceError. */
  fetch(timeoutMs: number): Promise<FetchOutcome>;
  /** The shortest interval the source allows between fetches (the data plane dictates one). */
  minimumIntervalMs(): number;
  close(): Promise<void>;
}

export class SourceError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** The HTTP status, for kind 'http'. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ProfileId {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
}

export class AgentSource implements ConfigSource {
  readonly description: string;

  constructor(
    readonly client: AgentClient,
    private readonly id: ProfileId,
    /** Only these flags (?flag=), for a feature-flag profile. */
    private readonly flags: readonly string[] = [],
  ) {
    this.description = `${client.baseUrl}${client.pathOf(id.application, id.environment, id.profile)}`;
  }

  async fetch(timeoutMs: number): Promise<FetchOutcome> {
    try {
      const res = await this.client.get(this.id.application, this.id.environment, this.id.profile, { timeoutMs, flags: this.flags });
      return { content: flagsBodyAsMap(res.body, this.flags), version: res.version, contentType: res.contentType };
    } catch (e) {
      if (e instanceof AgentRequestError) throw new SourceError(e.kind, e.message, e.status);
      throw e;
    }
  }

  minimumIntervalMs(): number {
    return 0;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export interface DirectSourceOptions {
  /** @default a new AppConfigDataClient with the default credential chain and region */
  readonly client?: AppConfigDataClient;
  /**
   * RequiredMinimumPollIntervalInSeconds for the session (AppConfig's minimum is 15).
   * @default 15
   */
  readonly minimumPollIntervalSeconds?: number;
}

/**
 * The data plane: a session, a token that must be used exactly once, a poll interval the
 * service sets, and an empty Configuration meaning "unchanged since your last token".
 */
export class DirectSource implements ConfigSource {
  readonly description: string;
  private readonly client: AppConfigDataClient;
  private readonly ownsClient: boolean;
  private token: string | undefined;
  private nextPollAt = 0;
  private intervalMs: number;

  constructor(
    private readonly id: ProfileId,
    private readonly options: DirectSourceOptions = {},
  ) {
    this.client = options.client ?? new AppConfigDataClient({});
    this.ownsClient = !options.client;
    this.intervalMs = (options.minimumPollIntervalSeconds ?? 15) * 1000;
    this.description = `appconfigdata ${id.application}/${id.environment}/${id.profile}`;
  }

  async fetch(timeoutMs: number): Promise<FetchOutcome> {
    // Polling before the interval the service asked for is refused; the value is current.
    if (Date.now() < this.nextPollAt) return { unchanged: true };
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      if (!this.token) {
        const session = await this.client.send(
          new StartConfigurationSessionCommand({
            ApplicationIdentifier: this.id.application,
            EnvironmentIdentifier: this.id.environment,
            ConfigurationProfileIdentifier: this.id.profile,
            RequiredMinimumPollIntervalInSeconds: this.options.minimumPollIntervalSeconds ?? 15,
          }),
          { abortSignal },
        );
        if (!session.InitialConfigurationToken) throw new SourceError('http', 'StartConfigurationSession returned no InitialConfigurationToken');
        this.token = session.InitialConfigurationToken;
      }
      const res = await this.client.send(new GetLatestConfigurationCommand({ ConfigurationToken: this.token }), { abortSignal });
      // The token is spent whatever the body says; without a new one, start a new session.
      this.token = res.NextPollConfigurationToken;
      if (res.NextPollIntervalInSeconds !== undefined) this.intervalMs = res.NextPollIntervalInSeconds * 1000;
      this.nextPollAt = Date.now() + this.intervalMs;
      const bytes = res.Configuration;
      if (!bytes || bytes.length === 0) return { unchanged: true };
      return { content: Buffer.from(bytes).toString('utf8'), version: res.VersionLabel || undefined, contentType: res.ContentType };
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw this.classify(e, timeoutMs);
    }
  }

  minimumIntervalMs(): number {
    return this.intervalMs;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private classify(e: unknown, timeoutMs: number): SourceError {
    const err = e as Error & { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    if (e instanceof BadRequestException) {
      // An expired or reused token: the next fetch starts a new session.
      this.token = undefined;
      return new SourceError('http', `GetLatestConfiguration: ${err.message} (a new session is started on the next poll)`);
    }
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return new SourceError('timeout', `${this.description} did not answer within ${timeoutMs} ms`);
    const status = err.$metadata?.httpStatusCode;
    if (status !== undefined) return new SourceError('http', `${this.description}: ${err.name} (${status}): ${err.message}`, status);
    return new SourceError('connection', `${this.description}: ${err.message}${err.code ? ` (${err.code})` : ''}`);
  }
}
