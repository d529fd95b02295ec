/**
 * DynamicConfig: what a Node service holds. It reads one profile (from the node-local
 * agent, or from AppConfig directly), refreshes it in the background, emits `change`, and
 * keeps serving the last good value when a read times out, is refused, answers 5xx or
 * returns a body that does not parse. A flag lookup never throws and never waits.
 */
import { EventEmitter } from 'node:events';
import { findDocument, loadWorkspaceFromDisk, type ProfileName } from '../model';
import { AgentClient, AgentRequestError, flagsBodyAsMap, type AgentClientOptions, type FailureKind } from './agent-client';
import { CompiledFeatureFlags, ContextHeaderError, type EvaluatedFlag, type EvaluatedFlags } from './feature-flags';
import type { EvaluationContext } from './rule-evaluator';
import { AgentSource, DirectSource, SourceError, type ConfigSource, type DirectSourceOptions, type FetchOutcome } from './sources';

/** The compiled document of a named environment, served until the first successful read. */
export type DefaultsOption =
  /** The exact bytes of a compiled document (e.g. dist/appconfig/<env>/<app>/<profile>.json). */
  | { readonly content: string }
  /** Compile the workspace at `root` and take this environment's document. */
  | { readonly root: string; readonly environment: string };

export interface DynamicConfigOptions {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
  /**
   * `agent` reads the node-local agent; `direct` calls AppConfig's data plane.
   * @default 'agent'
   */
  readonly mode?: 'agent' | 'direct';
  /**
   * `flags` for feature-flag profiles (values must be `{enabled, ...}`), `json` otherwise.
   * @default 'flags' for the profiles named flags and browser, else 'json'
   */
  readonly kind?: 'flags' | 'json';
  /**
   * Agent mode, feature-flag profiles: read only these flags (`?flag=`).
   * @default - every flag of the profile
   */
  readonly flags?: readonly string[];
  /** @default - URL and token from APPCONFIG_AGENT_HOST, APPCONFIG_AGENT_PORT, APPCONFIG_AGENT_TOKEN */
  readonly agent?: AgentClientOptions;
  /** @default - a client with the default credential chain */
  readonly direct?: DirectSourceOptions;
  /**
   * Time between background reads; in direct mode never shorter than the service's
   * NextPollIntervalInSeconds.
   * @default 30000
   */
  readonly refreshIntervalMs?: number;
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default - nothing until the first successful read */
  readonly defaults?: DefaultsOption;
  /**
   * Context-specific reads (flagsFor) kept at most, least recently used dropped first.
   * @default 256
   */
  readonly maxContexts?: number;
}

export interface RefreshFailure {
  readonly kind: FailureKind;
  readonly message: string;
  /** The HTTP status, for kind 'http'. */
  readonly status?: number;
  readonly at: Date;
}

export interface ConfigStatus {
  /** Where the value served now came from. */
  readonly source: 'remote' | 'defaults' | 'none';
  readonly version?: string;
  /** When the source last confirmed the value (a read that succeeded). */
  readonly confirmedAt?: Date;
  /** Milliseconds since confirmedAt: how stale the value may be. */
  readonly ageMs?: number;
  /** The most recent failure, if the most recent read failed. */
  readonly lastError?: RefreshFailure;
  readonly consecutiveFailures: number;
}

export interface ChangeEvent<T> {
  readonly value: T;
  readonly previous: T | undefined;
  readonly version?: string;
}

interface Current<T> {
  readonly value: T;
  readonly content: string;
  readonly version?: string;
  readonly source: 'remote' | 'defaults';
}

interface ContextEntry {
  readonly flags: EvaluatedFlags;
  readonly baseVersion: string | undefined;
  readonly fetchedAt: number;
}

export interface DynamicConfigEvents<T> {
  change: [ChangeEvent<T>];
  failure: [RefreshFailure];
}

export class DynamicConfig<T = unknown> extends EventEmitter<DynamicConfigEvents<T>> {
  private readonly source: ConfigSource;
  private readonly agentSource: AgentSource | undefined;
  private readonly kind: 'flags' | 'json';
  private readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxContexts: number;
  private current: Current<T> | undefined;
  private confirmedAt: Date | undefined;
  private lastError: RefreshFailure | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;
  private closed = false;
  private started: Promise<ConfigStatus> | undefined;
  private readonly contexts = new Map<string, ContextEntry>();
  private readonly contextFetches = new Map<string, Promise<EvaluatedFlags>>();

  constructor(readonly options: DynamicConfigOptions) {
    super();
    const id = { application: options.application, environment: options.environment, profile: options.profile };
    this.kind = options.kind ?? (options.profile === 'flags' || options.profile === 'browser' ? 'flags' : 'json');
    this.refreshIntervalMs = options.refreshIntervalMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.maxContexts = options.maxContexts ?? 256;
    if ((options.mode ?? 'agent') === 'agent') {
      this.agentSource = new AgentSource(new AgentClient({ timeoutMs: this.timeoutMs, ...options.agent }), id, options.flags);
      this.source = this.agentSource;
    } else {
      this.source = new DirectSource(id, options.direct);
    }
    if (options.defaults) {
      const content = defaultsContent(options.defaults, id, this.kind);
      this.current = { value: this.parse(content) as T, content, source: 'defaults' };
    }
  }

  /** Read once, then keep refreshing in the background. Resolves (never rejects) with the status. */
  start(): Promise<ConfigStatus> {
    this.started ??= this.refresh().then(() => {
      this.schedule();
      return this.status();
    });
    return this.started;
  }

  /**
   * Read now. Resolves with whether the value changed; never rejects: a failure is kept in
   * status() and emitted as `failure`, and the last good value stays.
   */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.doRefresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The last good value (or the defaults), undefined before any. */
  value(): T | undefined {
    return this.current?.value;
  }

  /** One evaluated flag, or undefined when unknown or nothing has loaded. Never throws. */
  flag(key: string): EvaluatedFlag | undefined {
    const v = this.current?.value as Record<string, unknown> | undefined;
    if (this.kind !== 'flags' || !v || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    return v[key] as EvaluatedFlag;
  }

  isEnabled(key: string, fallback = false): boolean {
    return this.flag(key)?.enabled ?? fallback;
  }

  /** An attribute of a flag, or the fallback when the flag or attribute is missing or of another type. */
  attribute<V extends string | number | boolean | readonly unknown[]>(key: string, attribute: string, fallback: V): V {
    const v = this.flag(key)?.[attribute];
    if (v === undefined || typeof v !== typeof fallback || Array.isArray(v) !== Array.isArray(fallback)) return fallback;
    return v as V;
  }

  /**
   * The flags evaluated for a caller (agent mode: a read with Context headers, cached until
   * the profile's version changes or refreshIntervalMs passes). On failure it serves the
   * caller's last good result, else the context-free value (default variants). Never
   * rejects. Direct mode cannot evaluate variants and returns the context-free value.
   */
  async flagsFor(context: EvaluationContext): Promise<EvaluatedFlags> {
    const base = (this.kind === 'flags' ? this.current?.value : undefined) as EvaluatedFlags | undefined;
    const key = contextKey(context);
    if (!this.agentSource || key === '') return base ?? {};
    const cached = this.contexts.get(key);
    if (cached && cached.baseVersion === this.current?.version && Date.now() - cached.fetchedAt < this.refreshIntervalMs) {
      this.contexts.delete(key);
      this.contexts.set(key, cached);
      return cached.flags;
    }
    let fetch = this.contextFetches.get(key);
    if (!fetch) {
      fetch = this.fetchForContext(key, context, cached?.flags ?? base ?? {}).finally(() => this.contextFetches.delete(key));
      this.contextFetches.set(key, fetch);
    }
    return fetch;
  }

  status(): ConfigStatus {
    return {
      source: this.current?.source ?? 'none',
      ...(this.current?.version !== undefined ? { version: this.current.version } : {}),
      ...(this.confirmedAt ? { confirmedAt: this.confirmedAt, ageMs: Date.now() - this.confirmedAt.getTime() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      consecutiveFailures: this.failures,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await Promise.allSettled([...this.contextFetches.values()]);
    await this.source.close();
  }

  private async doRefresh(): Promise<boolean> {
    let outcome: FetchOutcome;
    try {
      outcome = await this.source.fetch(this.timeoutMs);
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      this.fail(e.kind, e.message, e.status);
      return false;
    }
    if (outcome.unchanged) {
      if (this.current?.source === 'remote') this.succeed();
      return false;
    }
    if (outcome.contentType && /\bion\b/i.test(outcome.contentType)) {
      this.fail('parse', `${this.source.description} returned ${outcome.contentType}: multi-variant flags come back as Amazon Ion from the data plane; read them through the agent (mode 'agent')`);
      return false;
    }
    let value: T;
    try {
      value = this.parse(outcome.content) as T;
    } catch (e) {
      this.fail('parse', `${this.source.description} returned a body that does not parse: ${(e as Error).message}`);
      return false;
    }
    const previous = this.current;
    this.current = { value, content: outcome.content, version: outcome.version, source: 'remote' };
    this.succeed();
    // A new version with the same context-free content is still a change: the variants that
    // context-specific callers get may be what changed.
    if (previous?.source === 'remote' && previous.content === outcome.content && previous.version === outcome.version) return false;
    // Context-specific results were evaluated against the old document.
    this.contexts.clear();
    try {
      this.emit('change', { value, previous: previous?.value, ...(outcome.version !== undefined ? { version: outcome.version } : {}) });
    } catch (e) {
      // A listener's bug must not stop the refresh loop; it surfaces as an uncaught
      // exception, as it would from any other EventEmitter listener.
      process.nextTick(() => {
        throw e;
      });
    }
    return true;
  }

  private async fetchForContext(key: string, context: EvaluationContext, fallback: EvaluatedFlags): Promise<EvaluatedFlags> {
    const { application, environment, profile } = this.options;
    try {
      const res = await this.agentSource!.client.get(application, environment, profile, { context, flags: this.options.flags ?? [], timeoutMs: this.timeoutMs });
      const flags = this.parse(flagsBodyAsMap(res.body, this.options.flags)) as EvaluatedFlags;
      this.contexts.set(key, { flags, baseVersion: this.current?.version, fetchedAt: Date.now() });
      while (this.contexts.size > this.maxContexts) this.contexts.delete(this.contexts.keys().next().value!);
      return flags;
    } catch (e) {
      // A failed read, a body that does not parse, or a context the header format cannot
      // carry: the caller still gets flags, never an exception.
      if (e instanceof AgentRequestError || e instanceof SyntaxError || e instanceof TypeError || e instanceof ContextHeaderError) return fallback;
      throw e;
    }
  }

  private parse(content: string): unknown {
    const value = JSON.parse(content) as unknown;
    if (this.kind === 'flags') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('a feature flags profile must be an object of flags');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'object' || v === null || typeof (v as { enabled?: unknown }).enabled !== 'boolean') throw new TypeError(`flag '${k}' has no boolean "enabled"`);
      }
    }
    return value;
  }

  private succeed(): void {
    this.confirmedAt = new Date();
    this.lastError = undefined;
    this.failures = 0;
  }

  private fail(kind: FailureKind, message: string, status?: number): void {
    this.lastError = { kind, message, ...(status !== undefined ? { status } : {}), at: new Date() };
    this.failures++;
    if (this.listenerCount('failure') > 0) this.emit('failure', this.lastError);
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = Math.max(this.refreshIntervalMs, this.source.minimumIntervalMs());
    this.timer = setTimeout(() => {
      void this.refresh().then(() => this.schedule());
    }, delay);
    // A service exits when its own work is done; a config refresh alone keeps nothing alive.
    this.timer.unref();
  }
}

/** A stable key for a context: sorted keys, so {a,b} and {b,a} share a cache entry. */
export function contextKey(context: EvaluationContext | undefined): string {
  if (!context) return '';
  const keys = Object.keys(context).sort();
  return keys.length ? JSON.stringify(keys.map((k) => [k, context[k]])) : '';
}

function defaultsContent(defaults: DefaultsOption, id: { application: string; environment: string; profile: string }, kind: 'flags' | 'json'): string {
  if ('content' in defaults) return kind === 'flags' ? retrievalFormat(defaults.content) : defaults.content;
  const result = loadWorkspaceFromDisk(defaults.root);
  if (!result.model) throw new Error(`defaults: the workspace at ${defaults.root} does not validate; run 'dynconf validate' there`);
  const doc = findDocument(result.model, defaults.environment, id.application, id.profile as ProfileName);
  if (!doc) throw new Error(`defaults: no compiled document ${defaults.environment}/${id.application}/${id.profile} in ${defaults.root} (check the environment, application and profile names)`);
  return kind === 'flags' ? retrievalFormat(doc.content) : doc.content;
}

/**
 * A compiled feature-flags document as the agent would serve it without context. Content
 * already in retrieval format (no "values" key) is kept as it is.
 */
function retrievalFormat(content: string): string {
  const parsed = JSON.parse(content) as Record<string, unknown>;
  if (!('values' in parsed) || !('version' in parsed)) return content;
  return JSON.stringify(CompiledFeatureFlags.fromContent(content).evaluate({}));
}
