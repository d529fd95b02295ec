/**
 * `dynconf agent`: the AppConfig Agent's HTTP contract, served from the workspace's own
 * compiled documents, live on edit. A developer without AWS points a service at it exactly
 * as at the real agent on the node.
 *
 *   GET /applications/{app}/environments/{env}/configurations/{profile}[?flag=a&flag=b]
 *   Context: key=value            (one per key, or comma-separated; feature flags only)
 *   Authorization: Bearer <token> (when the agent has a token)
 *
 * Differences from the real agent, on purpose or by necessity:
 * - Configuration-Version is the first 16 hex digits of the SHA-256 of the document, not
 *   AppConfig's version number: it changes exactly when the content changes, and two local
 *   agents on the same files agree.
 * - `split` buckets come from a documented hash (rule-evaluator.ts), not AWS's.
 * - An unknown `?flag=` key is a 404 naming the flag.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { formatDiagnostic, loadWorkspaceFromDisk, PROFILE_TYPES, type LoadOptions, type Model, type ProfileName } from '../model';
import { CompiledFeatureFlags, parseContextHeaders } from './feature-flags';

export const DEFAULT_AGENT_PORT = 2772;

export interface LocalAgentOptions {
  /** The workspace root holding config/ and flags/. */
  readonly root: string;
  /** The one environment this agent serves, as the real agent serves its node's. */
  readonly environment: string;
  /** @default 2772 */
  readonly port?: number;
  /** @default '127.0.0.1' (never all interfaces unless asked) */
  readonly host?: string;
  /**
   * Requests must carry `Authorization: Bearer <token>`.
   * @default - no token is required
   */
  readonly token?: string;
  /**
   * Reload when config/ or flags/ change.
   * @default true
   */
  readonly watch?: boolean;
  /**
   * How long to wait after the last file event before reloading: an editor's save is often
   * several events (truncate, write, rename).
   * @default 50
   */
  readonly debounceMs?: number;
  /** @default - nothing is logged */
  readonly log?: (line: string) => void;
  /** @default {} */
  readonly loadOptions?: LoadOptions;
}

/** The workspace does not validate, or the environment is not in it. */
export class LocalAgentError extends Error {
  constructor(
    message: string,
    readonly diagnostics: readonly string[] = [],
  ) {
    super(message);
  }
}

interface ServedDocument {
  readonly application: string;
  readonly profile: ProfileName;
  readonly version: string;
  /** The response to a request without ?flag= and without context, built once. */
  readonly body: Buffer;
  readonly flags?: CompiledFeatureFlags;
}

interface ServedState {
  readonly model: Model;
  /** `${application}/${profile}` -> document */
  readonly documents: ReadonlyMap<string, ServedDocument>;
  readonly loadedAt: Date;
}

export class LocalAgent {
  /** Load the workspace, then listen. Rejects with LocalAgentError when it does not validate. */
  static async start(options: LocalAgentOptions): Promise<LocalAgent> {
    const agent = new LocalAgent(options, buildState(options));
    await agent.listen(options.port ?? DEFAULT_AGENT_PORT, options.host ?? '127.0.0.1');
    if (options.watch ?? true) agent.watch();
    return agent;
  }

  private state: ServedState;
  private readonly server: http.Server;
  private readonly watchers: fs.FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly token: Buffer | undefined;
  private readonly log: (line: string) => void;
  private address: AddressInfo | undefined;

  private constructor(
    private readonly options: LocalAgentOptions,
    state: ServedState,
  ) {
    this.state = state;
    this.token = options.token ? Buffer.from(options.token) : undefined;
    this.log = options.log ?? (() => undefined);
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
  }

  /** e.g. http://127.0.0.1:2772 (IPv6 hosts in brackets). */
  get url(): string {
    const a = this.address!;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  get port(): number {
    return this.address!.port;
  }

  /** The versions served now, `${app}/${profile}` -> Configuration-Version. */
  versions(): Record<string, string> {
    return Object.fromEntries([...this.state.documents].map(([k, d]) => [k, d.version]));
  }

  /**
   * Load the workspace again. A valid workspace replaces what is served at once; an invalid
   * one is logged and the last good version stays. Returns whether it was accepted.
   */
  reload(): boolean {
    let next: ServedState;
    try {
      next = buildState(this.options);
    } catch (e) {
      if (!(e instanceof LocalAgentError)) throw e;
      for (const d of e.diagnostics) this.log(d);
      this.log(`dynconf agent: ${e.message}; still serving the version loaded at ${this.state.loadedAt.toISOString()}`);
      return false;
    }
    const changed = [...next.documents].filter(([k, d]) => this.state.documents.get(k)?.version !== d.version).map(([k]) => k);
    this.state = next;
    if (changed.length) this.log(`dynconf agent: reloaded; changed: ${changed.join(', ')}`);
    return true;
  }

  async close(): Promise<void> {
    clearTimeout(this.reloadTimer);
    for (const w of this.watchers.splice(0)) w.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The request handler, usable on another server too. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD are supported\n');
      return;
    }
    if (this.token && !this.authorized(req.headers.authorization)) {
      const status = req.headers.authorization ? 403 : 401;
      res.writeHead(status, { 'content-type': 'text/plain', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
      res.end(status === 401 ? 'missing Authorization: Bearer <token>\n' : 'the bearer token is not this agent\'s token\n');
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const m = /^\/applications\/([^/]+)\/environments\/([^/]+)\/configurations\/([^/]+)$/.exec(pathname);
    if (!m) return notFound(res, 'use GET /applications/{app}/environments/{env}/configurations/{profile}');
    const [app, env, profile] = [m[1]!, m[2]!, m[3]!].map(safeDecode);
    const { model, documents } = this.state;
    if (!model.applications.some((a) => a.name === app)) return notFound(res, `application '${app}' not found (applications: ${model.applications.map((a) => a.name).join(', ')})`);
    if (env !== this.options.environment) {
      return notFound(res, model.environments.includes(env ?? '') ? `environment '${env}' is not served by this agent (it serves '${this.options.environment}'); start one with --env ${env}` : `environment '${env}' not found`);
    }
    const doc = documents.get(`${app}/${profile}`);
    if (!doc) return notFound(res, `configuration profile '${profile}' not found for '${app}' (profiles: ${model.applications.find((a) => a.name === app)!.profiles.join(', ')})`);

    const flagKeys = q < 0 ? [] : new URLSearchParams(url.slice(q + 1)).getAll('flag');
    const contextHeader = req.headers.context;
    let body = doc.body;
    if (doc.flags && (flagKeys.length > 0 || contextHeader !== undefined)) {
      const unknown = flagKeys.filter((k) => !doc.flags!.has(k));
      if (unknown.length) return notFound(res, `flag '${unknown[0]}' not found in ${app}/${profile}`);
      const parsed = parseContextHeaders(contextHeader === undefined ? undefined : ([] as string[]).concat(contextHeader));
      if ('error' in parsed) return badRequest(res, parsed.error);
      // Without variants the context changes nothing: the prebuilt body is the answer.
      if (flagKeys.length > 0 || doc.flags.hasVariants) body = Buffer.from(JSON.stringify(doc.flags.evaluate(parsed.context, flagKeys.length ? flagKeys : undefined)));
    } else if (!doc.flags && flagKeys.length > 0) {
      return badRequest(res, `?flag= applies to feature flag profiles; '${profile}' is ${PROFILE_TYPES[doc.profile]}`);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'configuration-version': doc.version });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private authorized(header: string | undefined): boolean {
    if (!header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7).trim());
    return given.length === this.token!.length && timingSafeEqual(given, this.token!);
  }

  private listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  private watch(): void {
    for (const dir of ['config', 'flags']) {
      const watcher = fs.watch(path.join(this.options.root, dir), { recursive: true }, () => this.scheduleReload());
      watcher.on('error', (e) => this.log(`dynconf agent: watching ${dir}/ failed: ${e.message}; restart the agent to pick up edits`));
      this.watchers.push(watcher);
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), this.options.debounceMs ?? 50);
  }
}

function buildState(options: LocalAgentOptions): ServedState {
  const result = loadWorkspaceFromDisk(options.root, options.loadOptions ?? {});
  if (!result.model) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    throw new LocalAgentError(`the workspace does not validate (${errors.length} error${errors.length === 1 ? '' : 's'}); run 'dynconf validate'`, errors.map(formatDiagnostic));
  }
  const model = result.model;
  if (!model.environments.includes(options.environment)) {
    throw new LocalAgentError(`environment '${options.environment}' is not in config/workload.json (environments: ${model.environments.join(', ')})`);
  }
  const documents = new Map<string, ServedDocument>();
  for (const doc of model.documents) {
    if (doc.environment !== options.environment) continue;
    const version = createHash('sha256').update(doc.content).digest('hex').slice(0, 16);
    if (PROFILE_TYPES[doc.profile] === 'AWS.AppConfig.FeatureFlags') {
      const flags = CompiledFeatureFlags.fromContent(doc.content);
      documents.set(`${doc.application}/${doc.profile}`, { application: doc.application, profile: doc.profile, version, flags, body: Buffer.from(JSON.stringify(flags.evaluate({}))) });
    } else {
      documents.set(`${doc.application}/${doc.profile}`, { application: doc.application, profile: doc.profile, version, body: Buffer.from(doc.content) });
    }
  }
  return { model, documents, loadedAt: new Date() };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function notFound(res: http.ServerResponse, message: string): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end(`${message}\n`);
}

function badRequest(res: http.ServerResponse, message: string): void {
  res.writeHead(400, { 'content-type': 'text/plain' }).end(`${message}\n`);
}
