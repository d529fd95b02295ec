/**
 * The HTTP client of the agent contract (real AppConfig Agent or `dynconf agent`): one
 * request, one classified outcome. Keeping the last good value is DynamicConfig's job.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { contextHeaderValues } from './feature-flags';
import type { EvaluationContext } from './rule-evaluator';

export const DEFAULT_AGENT_HOST = 'localhost';
export const DEFAULT_AGENT_PORT_NUMBER = 2772;

/**
 * The agent's base URL from the environment the pod gets (Downward API `status.hostIP` as
 * APPCONFIG_AGENT_HOST). An IPv6 address is put in brackets.
 */
export function agentBaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.APPCONFIG_AGENT_HOST?.trim() || DEFAULT_AGENT_HOST;
  const portText = env.APPCONFIG_AGENT_PORT?.trim() || String(DEFAULT_AGENT_PORT_NUMBER);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`APPCONFIG_AGENT_PORT must be a port number from 1 to 65535 (got '${portText}')`);
  }
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${bracketed}:${port}`;
}

/** Why a read failed: the categories a caller (and a dashboard) tells apart. */
export type FailureKind = 'timeout' | 'connection' | 'http' | 'parse';

export class AgentRequestError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface AgentResponse {
  readonly body: string;
  /** The Configuration-Version header. */
  readonly version?: string;
  readonly contentType?: string;
}

export interface AgentRequest {
  /** ?flag= keys: only these flags are returned. */
  readonly flags?: readonly string[];
  /** Sent as Context headers, one per key. */
  readonly context?: EvaluationContext;
  /** @default the client's timeoutMs */
  readonly timeoutMs?: number;
}

export interface AgentClientOptions {
  /** @default agentBaseUrlFromEnv() */
  readonly baseUrl?: string;
  /**
   * Sent as `Authorization: Bearer <token>`; a function is called per request so a rotated
   * token file is picked up.
   * @default APPCONFIG_AGENT_TOKEN when set, else no Authorization header
   */
  readonly token?: string | (() => string | undefined);
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export class AgentClient {
  readonly baseUrl: string;
  private readonly token: () => string | undefined;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;

  constructor(options: AgentClientOptions = {}) {
    const env = options.env ?? process.env;
    this.baseUrl = (options.baseUrl ?? agentBaseUrlFromEnv(env)).replace(/\/+$/, '');
    const token = options.token ?? (env.APPCONFIG_AGENT_TOKEN || undefined);
    this.token = typeof token === 'function' ? token : () => token;
    this.timeoutMs = options.timeoutMs ?? 3000;
    // A private pool: keep-alive to the node-local agent, and close() releases it.
    this.dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  }

  pathOf(application: string, environment: string, profile: string): string {
    return `/applications/${encodeURIComponent(application)}/environments/${encodeURIComponent(environment)}/configurations/${encodeURIComponent(profile)}`;
  }

  /** One GET; resolves with a 200's body, rejects with AgentRequestError otherwise. */
  async get(application: string, environment: string, profile: string, req: AgentRequest = {}): Promise<AgentResponse> {
    // Distinct keys: how many were asked decides the response's shape (flagsBodyAsMap).
    const query = [...new Set(req.flags ?? [])].map((f) => `flag=${encodeURIComponent(f)}`).join('&');
    const url = `${this.baseUrl}${this.pathOf(application, environment, profile)}${query ? `?${query}` : ''}`;
    const headers: Record<string, string | string[]> = {};
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const context = contextHeaderValues(req.context);
    if (context.length) headers.context = context;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await request(url, { method: 'GET', headers, signal: controller.signal, dispatcher: this.dispatcher });
      const body = await res.body.text();
      if (res.statusCode !== 200) {
        throw new AgentRequestError('http', `${url} answered ${res.statusCode}${statusHint(res.statusCode)}: ${body.trim().slice(0, 200)}`, res.statusCode);
      }
      return { body, version: headerValue(res.headers['configuration-version']), contentType: headerValue(res.headers['content-type']) };
    } catch (e) {
      if (e instanceof AgentRequestError) throw e;
      if (controller.signal.aborted) throw new AgentRequestError('timeout', `${url} did not answer within ${timeoutMs} ms`);
      const err = e as Error & { code?: string; cause?: { code?: string } };
      const code = err.code ?? err.cause?.code ?? '';
      if (code === 'ECONNREFUSED') throw new AgentRequestError('connection', `connection refused by ${this.baseUrl}: is the agent running there?`);
      throw new AgentRequestError('connection', `${url}: ${err.message}${code ? ` (${code})` : ''}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * A feature-flags response as the map `{ "<flag>": {...} }` whatever was asked. With exactly
 * one distinct ?flag=, the AppConfig Agent (2.0.x) returns that flag's object itself
 * (`{"enabled": ...}`), and `dynconf agent` does the same; older or other agents may wrap it.
 * The caller knows which flag it asked for, so both shapes are read without guessing: a flag
 * object has a boolean "enabled", a map's values are objects (a flag named "enabled" is still
 * told apart, its value being an object). Anything else is returned as it is, for the caller's
 * parser to reject with its own message.
 */
export function flagsBodyAsMap(body: string, flags: readonly string[] | undefined): string {
  const asked = [...new Set(flags ?? [])];
  if (asked.length !== 1) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
  if (typeof (parsed as { enabled?: unknown }).enabled !== 'boolean') return body;
  return JSON.stringify({ [asked[0]!]: parsed });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function statusHint(status: number): string {
  if (status === 401) return ' (set APPCONFIG_AGENT_TOKEN to the agent token)';
  if (status === 403) return ' (the token is not the agent\'s)';
  if (status === 404) return ' (check the application, environment and profile names)';
  return '';
}
