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
 * - One `?flag=x` returns x's object itself (`{"enabled":...}`), two or more the map, as the
 *   AppConfig Agent 2.0.x does (not in AWS's documentation; see the README).
 *
 * DNS rebinding: requests must name the agent in Host (localhost, an IP literal, or an
 * `allowedHosts` name; host-check.ts). Without it, any web page could read the documents
 * of an agent that has no token, by making its own name resolve to 127.0.0.1.
 *
 * Reloading: a watcher (chokidar: one watch per directory, re-added when a directory is
 * replaced) reloads within `debounceMs` of an edit, and a reconciliation every
 * `reconcileIntervalMs` compares the content hashes of config/ and flags/ with what was last
 * loaded, so nothing that slips past the watcher (git stash, a folder renamed into place, an
 * event lost by the OS) is missed for longer than that. A reload that fails, whatever the
 * reason, is logged and the last good version stays: the agent never exits on an edit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { watch as watchFiles, type FSWatcher } from 'chokidar';
import { formatDiagnostic, loadWorkspaceFromDisk, PROFILE_TYPES, type LoadOptions, type Model, type ProfileName } from '../model';
import { CompiledFeatureFlags, parseContextHeaders } from './feature-flags';
import { HostCheck } from './host-check';

export const DEFAULT_AGENT_PORT = 2772;

/** The folders the model reads; nothing else in the workspace changes what is served. */
const WATCHED_DIRS = ['config', 'flags'] as const;

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
   * Host names (the Host header, any port) the agent answers to, besides `localhost` and IP
   * literals, which are always allowed: pods reach the real agent as `status.hostIP:2772`.
   * A request for any other name gets 421, so that a DNS-rebound page cannot read the
   * documents. `.example.com` allows its subdomains. Same rules as the BFF's (host-check.ts).
   * @default [] (localhost and IP literals only)
   */
  readonly allowedHosts?: readonly string[];
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
  /**
   * How often the content of config/ and flags/ is compared with what was last loaded, as a
   * safety net under the watcher. Files whose size and times did not change are not read
   * again, so an idle agent stats ~40 files per period.
   * @default 2000
   */
  readonly reconcileIntervalMs?: number;
  /**
   * Listen for file events. Without them only the reconciliation reloads: for file systems
   * that deliver no events (some network mounts and VM bind mounts).
   * @default true
   */
  readonly fileEvents?: boolean;
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
    const fingerprints = new FingerprintCache();
    // Hashed before loading: an edit racing the load then shows up as a difference later.
    const before = fingerprints.of(options.root);
    const agent = new LocalAgent(options, buildStateOrExplain(options), fingerprints, before);
    await agent.listen(options.port ?? DEFAULT_AGENT_PORT, options.host ?? '127.0.0.1');
    if (options.watch ?? true) {
      try {
        await agent.watch();
      } catch (e) {
        await agent.close();
        throw e;
      }
    }
    return agent;
  }

  private state: ServedState;
  private readonly server: http.Server;
  private watcher: FSWatcher | undefined;
  private rootWatcher: fs.FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  /** Content hashes of the inputs as they were when the last reload (good or not) began. */
  private attempted: Fingerprint;
  /** ... and when the version served now was loaded. */
  private loaded: Fingerprint;
  private readonly fingerprints: FingerprintCache;
  private readonly token: Buffer | undefined;
  private readonly hosts: HostCheck;
  private readonly log: (line: string) => void;
  private address: AddressInfo | undefined;

  private constructor(
    private readonly options: LocalAgentOptions,
    state: ServedState,
    fingerprints: FingerprintCache,
    loaded: Fingerprint,
  ) {
    this.state = state;
    this.fingerprints = fingerprints;
    this.attempted = this.loaded = loaded;
    // Compared as SHA-256 digests: equal length whatever was sent, so the comparison's time
    // says nothing about the token, not even its length.
    this.token = options.token ? sha256(options.token) : undefined;
    this.log = options.log ?? (() => undefined);
    this.hosts = new HostCheck({ allowedHosts: options.allowedHosts, server: 'dynconf agent', subject: 'this agent', option: 'dynconf agent --allow-host <name>', log: this.log });
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
    let inputs: Fingerprint | undefined;
    try {
      inputs = this.fingerprints.of(this.options.root);
      next = buildState(this.options);
    } catch (e) {
      if (inputs) this.attempted = inputs;
      const still = `still serving the version loaded at ${this.state.loadedAt.toISOString()}`;
      if (e instanceof LocalAgentError) {
        for (const d of e.diagnostics) this.log(d);
        this.log(`dynconf agent: ${e.message}; ${still}`);
      } else {
        // A bug in the loader or compiler, not in the files: it must not take the agent down
        // (an uncaught exception in a timer would exit the process). Name the files that
        // changed since the version served, since the exception cannot.
        const files = inputs ? changedFiles(this.loaded, inputs) : [];
        this.log(
          `dynconf agent: reloading failed with an unexpected error (${describe(e)})${files.length ? ` after changes to ${files.join(', ')}` : ''}; ${still}. ` +
            "Run 'dynconf validate' and report the error if it says nothing.",
        );
      }
      return false;
    }
    this.attempted = this.loaded = inputs;
    const changed = [...next.documents].filter(([k, d]) => this.state.documents.get(k)?.version !== d.version).map(([k]) => k);
    this.state = next;
    if (changed.length) this.log(`dynconf agent: reloaded; changed: ${changed.join(', ')}`);
    return true;
  }

  async close(): Promise<void> {
    clearTimeout(this.reloadTimer);
    clearInterval(this.reconcileTimer);
    this.rootWatcher?.close();
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * The request handler, usable on another server too. A bug that throws while answering is a
   * 500 for that request and a log line, never an uncaught exception that stops the agent.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      this.serve(req, res);
    } catch (e) {
      this.log(`dynconf agent: ${req.method} ${req.url} failed: ${describe(e)}`);
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('the agent failed to answer this request; its log says why\n');
    }
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    // First, before the method, the token or the path: a rebound page learns nothing, not
    // even which applications exist. Checked with a token too: the same rule everywhere.
    if (!this.hosts.allows(req.headers.host)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end(`${this.hosts.refuse(req.headers.host)}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD are supported\n');
      return;
    }
    if (this.token && !this.authorized(req.headers.authorization)) {
      // 401: no Bearer credentials at all (RFC 6750 §3, with the challenge); 403: a token,
      // but not this agent's.
      const status = bearerToken(req.headers.authorization) === undefined ? 401 : 403;
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

    // A key asked twice is the same request as once (AWS does not say; see the README).
    const flagKeys = q < 0 ? [] : [...new Set(new URLSearchParams(url.slice(q + 1)).getAll('flag'))];
    const contextHeader = req.headers.context;
    let body = doc.body;
    if (doc.flags && (flagKeys.length > 0 || contextHeader !== undefined)) {
      const unknown = flagKeys.filter((k) => !doc.flags!.has(k));
      if (unknown.length) return notFound(res, `flag '${unknown[0]}' not found in ${app}/${profile}`);
      const parsed = parseContextHeaders(contextHeader === undefined ? undefined : ([] as string[]).concat(contextHeader));
      if ('error' in parsed) return badRequest(res, parsed.error);
      // Without variants the context changes nothing: the prebuilt body is the answer.
      if (flagKeys.length > 0 || doc.flags.hasVariants) {
        const evaluated = doc.flags.evaluate(parsed.context, flagKeys.length ? flagKeys : undefined);
        // One ?flag= returns that flag's object itself, as the AppConfig Agent (2.0.x) does;
        // two or more return the map keyed by flag.
        body = Buffer.from(JSON.stringify(flagKeys.length === 1 ? evaluated[flagKeys[0]!] : evaluated));
      }
    } else if (!doc.flags && flagKeys.length > 0) {
      return badRequest(res, `?flag= applies to feature flag profiles; '${profile}' is ${PROFILE_TYPES[doc.profile]}`);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'configuration-version': doc.version });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private authorized(header: string | undefined): boolean {
    const given = bearerToken(header);
    return given !== undefined && timingSafeEqual(sha256(given), this.token!);
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

  /**
   * Not fs.watch({recursive}): on Linux (Node 20) it watches inodes, so a folder replaced by
   * git or renamed into place goes unwatched for good, silently. chokidar watches each folder
   * and the files in it; a plain watch on the workspace root (whose inode these operations
   * keep) sees config/ or flags/ being replaced and has chokidar watch the new folder. The
   * reconciliation catches whatever still slips through.
   */
  private async watch(): Promise<void> {
    if (this.options.fileEvents ?? true) await this.watchEvents();
    this.reconcileTimer = setInterval(() => this.reconcile(), this.reconcileMs);
    // The server keeps the process alive; the safety net alone must not.
    this.reconcileTimer.unref();
  }

  private async watchEvents(): Promise<void> {
    const root = path.resolve(this.options.root);
    const dirs = WATCHED_DIRS.map((d) => path.join(root, d));
    const watcher = watchFiles(dirs, { ignoreInitial: true });
    this.watcher = watcher;
    watcher.on('all', () => this.scheduleReload());
    watcher.on('error', (e) => this.log(`dynconf agent: watching ${root} reported ${describe(e)}; edits are still picked up every ${this.reconcileMs / 1000} s`));
    try {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's --root; no request names a path
      this.rootWatcher = fs.watch(root, (_event, name) => {
        const dir = dirs.find((d) => path.basename(d) === String(name));
        if (!dir || !this.watcher) return;
        this.watcher.unwatch(dir);
        this.watcher.add(dir);
        this.scheduleReload();
      });
      this.rootWatcher.on('error', (e) => this.log(`dynconf agent: watching ${root} reported ${describe(e)}; edits are still picked up every ${this.reconcileMs / 1000} s`));
    } catch (e) {
      this.log(`dynconf agent: cannot watch ${root} (${describe(e)}); a replaced config/ or flags/ folder is picked up within ${this.reconcileMs / 1000} s`);
    }
    // Edits made right after start() resolves are then seen by the watcher, not only by the
    // reconciliation.
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  private get reconcileMs(): number {
    return this.options.reconcileIntervalMs ?? 2000;
  }

  /** Reload when the inputs' content differs from what the last reload saw. */
  private reconcile(): void {
    try {
      if (!sameFingerprint(this.fingerprints.of(this.options.root), this.attempted)) this.scheduleReload();
    } catch (e) {
      this.log(`dynconf agent: checking ${this.options.root} for changes failed: ${describe(e)}`);
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), this.options.debounceMs ?? 50);
  }
}

/** A content hash per file under config/ and flags/, by path relative to the root. */
type Fingerprint = ReadonlyMap<string, string>;

/**
 * Hashes the inputs, reading a file again only when its size, inode, mtime or ctime changed,
 * or when it changed so recently that a coarse file-system clock could hide a second write
 * (git's "racily clean" rule).
 */
class FingerprintCache {
  private readonly byPath = new Map<string, { readonly stat: string; readonly hash: string }>();

  of(root: string): Fingerprint {
    const out = new Map<string, string>();
    const seen = new Set<string>();
    const visit = (rel: string, depth: number): void => {
      const abs = path.join(root, rel);
      let entries: fs.Dirent[];
      try {
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's --root and names readdir returned under it; no request names a path
        entries = fs.readdirSync(abs, { withFileTypes: true });
      } catch (e) {
        // A folder that is missing now (mid-replacement) is a state like any other; the
        // loader says what is wrong with it.
        out.set(`${rel}/`, `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`);
        return;
      }
      for (const entry of entries) {
        const childRel = path.join(rel, entry.name);
        const childAbs = path.join(abs, entry.name);
        let st: fs.Stats;
        try {
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- a name readdir returned under the operator's --root
          st = fs.statSync(childAbs);
        } catch (e) {
          out.set(childRel, `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`);
          continue;
        }
        if (st.isDirectory()) {
          // A symlinked folder pointing up the tree must not loop.
          if (depth < 16) visit(childRel, depth + 1);
          continue;
        }
        if (!st.isFile()) continue;
        seen.add(childAbs);
        const stat = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
        const cached = this.byPath.get(childAbs);
        if (cached && cached.stat === stat && Date.now() - st.mtimeMs > 3000) {
          out.set(childRel, cached.hash);
          continue;
        }
        let hash: string;
        try {
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- a name readdir returned under the operator's --root
          hash = createHash('sha256').update(fs.readFileSync(childAbs)).digest('hex');
        } catch (e) {
          hash = `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
        }
        this.byPath.set(childAbs, { stat, hash });
        out.set(childRel, hash);
      }
    };
    for (const dir of WATCHED_DIRS) visit(dir, 0);
    for (const p of this.byPath.keys()) if (!seen.has(p)) this.byPath.delete(p);
    return out;
  }
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function changedFiles(before: Fingerprint, after: Fingerprint): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).map((k) => k.split(path.sep).join('/')).sort();
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. RFC 9110 §11.1: the
 * scheme is case-insensitive; §11.4: credentials = auth-scheme [ 1*SP ( token68 / ... ) ], so
 * one or more spaces separate them (Node has already trimmed the value's outer whitespace).
 */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^bearer +([^ ].*)$/i.exec(header);
  return m ? m[1]!.replace(/[ \t]+$/, '') : undefined;
}

/** buildState at start: anything but a LocalAgentError becomes one, so the CLI exits 1 with a message, not a stack. */
function buildStateOrExplain(options: LocalAgentOptions): ServedState {
  try {
    return buildState(options);
  } catch (e) {
    if (e instanceof LocalAgentError) throw e;
    throw new LocalAgentError(`loading the workspace at ${options.root} failed with an unexpected error (${describe(e)}); run 'dynconf validate' and report the error if it says nothing`);
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
