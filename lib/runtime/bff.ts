/**
 * The BFF gateway: the only way flags reach a browser. It reads the application's
 * `browser` profile from the agent (that profile holds only flags whose exposure is
 * `browser`, decided at compile time), and serves it as
 *
 *   GET  <base>            the snapshot {version, flags}
 *   WS   <base>/ws         the snapshot on connect and on every change
 *   GET  <base>/client.js  the browser client module
 *
 * One upstream poll serves every client. Connections whose server-side context differs
 * (contextFor) are grouped, and each group costs one agent read per change, not one per
 * client. A slow client is dropped when its send buffer passes a bound; dead ones are found
 * by ping/pong; the connection count is capped; requests for a Host name it does not answer
 * to get 421 (DNS rebinding) and pages from origins it does not allow get 403.
 *
 * When the browser profile goes away (the agent answers 404 after having served it: every
 * flag is now `exposure: server`), the gateway serves the empty flag set
 * {"version":"","flags":{}} everywhere and pushes it to every client; it never keeps serving
 * flags that have become server-only. Other failures keep the last good snapshot.
 *
 * It plugs into an existing Node or Next.js custom server:
 *
 *   const bff = new BffGateway({ agentUrl, application, environment, contextFor });
 *   await bff.start();
 *   const server = http.createServer((req, res) => bff.handleRequest(req, res) || nextHandler(req, res));
 *   bff.attach(server);
 */
import * as fs from 'node:fs';
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import * as path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { EvaluatedFlags } from './feature-flags';
import { contextKey, DynamicConfig } from './dynamic-config';
import { HostCheck } from './host-check';
import type { EvaluationContext } from './rule-evaluator';
import { renderSnapshotScript, type SnapshotScriptOptions } from './ssr';

export const BROWSER_PROFILE = 'browser';

/** What a browser receives. */
export interface BrowserSnapshot {
  /** The agent's Configuration-Version of the browser profile. */
  readonly version: string;
  readonly flags: EvaluatedFlags;
}

export interface BffGatewayOptions {
  /** Base URL of the agent (real or `dynconf agent`), e.g. http://127.0.0.1:2772. */
  readonly agentUrl: string;
  readonly application: string;
  readonly environment: string;
  /**
   * The agent token; a function is called per request (a mounted Secret may rotate).
   * @default - no Authorization header
   */
  readonly token?: string | (() => string | undefined);
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default '/config' */
  readonly basePath?: string;
  /**
   * Origins (scheme://host[:port]) whose pages may read the snapshot and open the socket.
   * The BFF's own origin (the scheme it is served on, http or https, with the request's
   * allowed Host) is always allowed. The whole origin is compared: scheme, host and port.
   * Behind a proxy that terminates TLS, the page's https origin is not the BFF's own
   * (it sees http): list it here.
   * @default [] (same origin only)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Host names (the Host header, any port) this BFF answers to; a request for any other
   * name gets 421. This is the defence against DNS rebinding, where a page on an attacker's
   * name is made to resolve to this server and is then same-origin with it. `localhost`
   * and IP addresses are always allowed (a rebinding attack needs a DNS name the attacker
   * controls); an entry starting with a dot (`.example.com`) allows every subdomain.
   * @default [] (localhost and IP addresses only)
   */
  readonly allowedHosts?: readonly string[];
  /** @default 20000 */
  readonly maxConnections?: number;
  /**
   * Bytes a client may have waiting to be sent before it is dropped as too slow.
   * @default 1048576 (1 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * Ping interval; a client that has not answered the previous ping is terminated.
   * @default 30000
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * The variant context of a request, computed on the server from its session (cookie,
   * token, user record). Never from what the browser says about itself. For a WebSocket it
   * is called once, at the upgrade.
   * @default - no context: every browser gets the default variants
   */
  readonly contextFor?: (req: IncomingMessage) => EvaluationContext | undefined | Promise<EvaluationContext | undefined>;
  /**
   * Serve the demo page at <base>/demo (the `dynconf bff` command also serves it at /).
   * @default false
   */
  readonly demoPage?: boolean;
  /** @default - nothing is logged */
  readonly log?: (line: string) => void;
}

/** The BFF cannot serve this application (no browser profile, wrong token, unknown names). */
export class BffStartError extends Error {}

interface Group {
  readonly key: string;
  readonly context: EvaluationContext | undefined;
  readonly clients: Set<Client>;
  snapshot?: BrowserSnapshot;
  /** The snapshot message as UTF-8, encoded once and shared by every client's send. */
  message?: Buffer;
}

interface Client {
  readonly ws: WebSocket;
  readonly group: Group;
  /** Answered the last ping. */
  alive: boolean;
}

/** What browsers get once the browser profile is gone: no flags at all. */
export const EMPTY_SNAPSHOT: BrowserSnapshot = Object.freeze({ version: '', flags: Object.freeze({}) });

/** Sent on every response, error or not: no browser may sniff a body into something else. */
const NOSNIFF = { 'x-content-type-options': 'nosniff' } as const;
const TEXT = { 'content-type': 'text/plain; charset=utf-8', ...NOSNIFF } as const;
/**
 * The demo page runs only its own scripts (the embedded snapshot is data, not code), may
 * not be framed (clickjacking), cannot have its base URL or form targets redirected, and
 * sends no Referer.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

const BROWSER_DIR = path.join(__dirname, 'browser');
/** Context groups re-read from the agent at once after a change. */
const GROUP_READ_CONCURRENCY = 8;

export class BffGateway {
  readonly basePath: string;
  private readonly config: DynamicConfig<EvaluatedFlags>;
  private readonly wss: WebSocketServer;
  private readonly groups = new Map<string, Group>();
  private readonly clientOf = new WeakMap<WebSocket, Client>();
  private readonly log: (line: string) => void;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly hosts: HostCheck;
  private readonly maxConnections: number;
  private readonly maxBufferedBytes: number;
  private readonly clientModule: Buffer;
  private readonly demoScript: Buffer;
  private readonly demoTemplate: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<boolean> | undefined;
  /** The agent said the browser profile is gone (404) after serving it: no flags are served. */
  private withdrawn = false;
  private connections = 0;
  private baseBody: Buffer | undefined;
  private counters = { dropped: 0, rejected: 0, terminated: 0 };
  private closed = false;
  /** Listeners shared by every connection (no closures per client): `this` is the socket. */
  private readonly handlers: { pong(this: WebSocket): void; close(this: WebSocket): void; error(): void; message(): void };

  constructor(readonly options: BffGatewayOptions) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listeners' own `this` is the socket
    const gateway = this;
    this.handlers = {
      pong() {
        const client = gateway.clientOf.get(this);
        if (client) client.alive = true;
      },
      close() {
        gateway.forget(this);
      },
      error() {
        // 'close' follows every 'error'; without a listener the error would be thrown.
      },
      message() {
        // Browsers have nothing to say here: their context comes from the server.
      },
    };
    this.basePath = (options.basePath ?? '/config').replace(/\/+$/, '');
    this.log = options.log ?? (() => undefined);
    this.allowedOrigins = new Set((options.allowedOrigins ?? []).map(canonicalOrigin));
    this.hosts = new HostCheck({ allowedHosts: options.allowedHosts, server: 'dynconf bff', subject: 'this BFF', option: 'allowedHosts (dynconf bff --allow-host <name>)', log: this.log });
    this.maxConnections = options.maxConnections ?? 20_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.config = new DynamicConfig<EvaluatedFlags>({
      application: options.application,
      environment: options.environment,
      profile: BROWSER_PROFILE,
      kind: 'flags',
      agent: { baseUrl: options.agentUrl, ...(options.token !== undefined ? { token: options.token } : { env: {} }) },
      refreshIntervalMs: options.pollIntervalMs ?? 5000,
      timeoutMs: options.timeoutMs ?? 3000,
    });
    // The browser sends nothing; a tiny payload limit turns any attempt into a close.
    // No permessage-deflate: each client would need its own compressor (zlib state and
    // memory per connection, CPU per send), which is what sharing one message avoids.
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 1024 });
    this.wss.on('headers', (headers) => headers.push('X-Content-Type-Options: nosniff'));
    // A handshake ws refuses (bad key, version, method) is answered here, so it carries the
    // same headers as every other response.
    this.wss.on('wsClientError', (err, socket, req) => {
      this.counters.rejected++;
      if (req.method !== 'GET') return rejectUpgrade(socket, 405, err.message, { allow: 'GET' });
      rejectUpgrade(socket, 400, err.message, /Sec-WebSocket-Version/.test(err.message) ? { 'sec-websocket-version': '13, 8' } : {});
    });
    this.groups.set('', { key: '', context: undefined, clients: new Set() });
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file beside this module, read once at start; no request names a path
    this.clientModule = fs.readFileSync(path.join(BROWSER_DIR, 'dynconf-client.js'));
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file beside this module, read once at start; no request names a path
    this.demoScript = fs.readFileSync(path.join(BROWSER_DIR, 'demo.js'));
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file beside this module, read once at start; no request names a path
    this.demoTemplate = fs.readFileSync(path.join(BROWSER_DIR, 'demo.html'), 'utf8');
    this.config.on('failure', (f) => {
      // A 404 once the profile was served is not a failure but a withdrawal: poll() says so.
      if (isGone(f) && this.groups.get('')!.snapshot) return;
      // The first failure of a streak, then every 100th: an agent that is down for an hour
      // should not fill the log.
      const n = this.config.status().consecutiveFailures;
      if (n === 1 || n % 100 === 0) this.log(`dynconf bff: reading the browser profile failed ${n} time${n === 1 ? '' : 's'} in a row (${f.kind}): ${f.message}; ${this.snapshot() ? 'serving the last good snapshot' : `${this.basePath} answers 503 until a read succeeds`}`);
    });
  }

  /**
   * Read the browser profile once and start polling. Rejects with BffStartError when the
   * agent says the profile cannot be read (404, 401, 403); an agent that is down is not an
   * error: the gateway starts and serves as soon as it answers.
   */
  async start(): Promise<void> {
    await this.poll();
    const err = this.config.status().lastError;
    if (err?.kind === 'http' && (err.status === 404 || err.status === 401 || err.status === 403)) {
      await this.config.close();
      const hint = err.status === 404 ? `; does '${this.options.application}' have browser-exposed flags ("exposure": "browser")?` : '';
      throw new BffStartError(`cannot read the ${BROWSER_PROFILE} profile of ${this.options.application} in ${this.options.environment}: ${err.message}${hint}`);
    }
    // The gateway drives the polling itself (not DynamicConfig's own timer): after every
    // read it must see the outcome, to withdraw the flags on a 404 and to bring them back
    // when the profile returns, even with the same content it had before.
    this.schedulePoll();
    const interval = this.options.heartbeatIntervalMs ?? 30_000;
    this.heartbeat = setInterval(() => this.beat(), interval);
    this.heartbeat.unref();
  }

  /** The context-free snapshot (default variants), undefined before the first read. */
  snapshot(): BrowserSnapshot | undefined {
    return this.groups.get('')!.snapshot;
  }

  /** The snapshot for a request, evaluated with contextFor(req). */
  async snapshotFor(req: IncomingMessage): Promise<BrowserSnapshot | undefined> {
    const context = await this.contextOf(req);
    const base = this.snapshot();
    if (!base || this.withdrawn || contextKey(context) === '') return base;
    const flags = await this.config.flagsFor(context!);
    // The profile may have gone while the agent was asked (DynamicConfig would also fall
    // back to its last good value, which is then no longer the browser's to see).
    return this.withdrawn ? EMPTY_SNAPSHOT : { version: base.version, flags };
  }

  /** SSR: the `<script type="application/json">` element with this request's snapshot. */
  async renderSnapshotScript(req: IncomingMessage, options: SnapshotScriptOptions = {}): Promise<string> {
    const snapshot = await this.snapshotFor(req);
    return snapshot ? renderSnapshotScript(snapshot, options) : '';
  }

  /** Poll the agent now (tests, or an operator's nudge). Resolves with whether anything changed. */
  refresh(): Promise<boolean> {
    return this.poll();
  }

  stats(): { connections: number; dropped: number; rejected: number; terminated: number; groups: number } {
    return { connections: this.connections, ...this.counters, groups: this.groups.size };
  }

  /** Serve GET <base>, <base>/client.js (and the demo). Returns false for other URLs. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (!pathname.startsWith(this.basePath)) return false;
    const rest = pathname.slice(this.basePath.length);
    if (rest !== '' && rest !== '/client.js' && rest !== '/demo.js' && rest !== '/demo') return false;
    if (rest === '/demo' || rest === '/demo.js') {
      if (!this.options.demoPage) return false;
    }
    const host = req.headers.host;
    if (!this.hosts.allows(host)) return reply(res, 421, TEXT, `${this.hosts.refuse(host)}\n`), true;
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { allow: 'GET, HEAD', ...TEXT }, 'only GET and HEAD\n'), true;
    if (rest === '/client.js') return this.sendStatic(res, this.clientModule, 'text/javascript; charset=utf-8'), true;
    if (rest === '/demo.js') return this.sendStatic(res, this.demoScript, 'text/javascript; charset=utf-8'), true;
    if (rest === '/demo') {
      void this.serveDemo(req, res);
      return true;
    }
    const origin = req.headers.origin;
    // The answer depends on Origin (200 or 403, and the CORS header): caches must key on it.
    if (!this.originAllowed(origin, req)) return reply(res, 403, { vary: 'Origin', ...TEXT }, `origin ${origin} is not allowed to read this configuration\n`), true;
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'Origin', ...NOSNIFF, ...(origin !== undefined ? { 'access-control-allow-origin': origin } : {}) };
    if (!this.options.contextFor) {
      const body = this.baseBody;
      if (!body) return this.unavailable(res), true;
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    this.snapshotFor(req).then(
      (snapshot) => {
        if (!snapshot) return this.unavailable(res);
        const body = Buffer.from(JSON.stringify(snapshot));
        res.writeHead(200, { ...headers, 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        this.log(`dynconf bff: contextFor failed: ${(e as Error).message}`);
        reply(res, 500, TEXT, 'could not compute the request context\n');
      },
    );
    return true;
  }

  /** Take over an upgrade to <base>/ws. Returns false for other URLs (leave them to others). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== `${this.basePath}/ws`) return false;
    socket.on('error', () => socket.destroy());
    if (this.closed) return rejectUpgrade(socket, 503, 'shutting down'), true;
    const host = req.headers.host;
    if (!this.hosts.allows(host)) {
      this.counters.rejected++;
      return rejectUpgrade(socket, 421, this.hosts.refuse(host)), true;
    }
    if (!this.originAllowed(req.headers.origin, req)) {
      this.counters.rejected++;
      return rejectUpgrade(socket, 403, `origin ${req.headers.origin} is not allowed`), true;
    }
    if (this.connections >= this.maxConnections) {
      this.counters.rejected++;
      return rejectUpgrade(socket, 503, `connection limit (${this.maxConnections}) reached`), true;
    }
    // Counted from now: upgrades still computing their context hold a slot too. Until the
    // socket is a client, its close gives the slot back (a failed handshake included).
    this.connections++;
    const release = (): void => void this.connections--;
    socket.once('close', release);
    this.contextOf(req).then(
      (context) => {
        if (socket.destroyed || this.closed) return void socket.destroy();
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('close', release);
          this.onConnection(ws, context);
        });
      },
      (e: unknown) => {
        this.log(`dynconf bff: contextFor failed at upgrade: ${(e as Error).message}`);
        rejectUpgrade(socket, 500, 'could not compute the connection context');
      },
    );
    return true;
  }

  /** Route the server's upgrades to <base>/ws here; other upgrades are left to other listeners. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.handleUpgrade(req, socket, head) && server.listenerCount('upgrade') === 1) socket.destroy();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.pollTimer);
    await this.polling;
    for (const group of this.groups.values()) for (const c of group.clients) c.ws.terminate();
    await this.config.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async contextOf(req: IncomingMessage): Promise<EvaluationContext | undefined> {
    return this.options.contextFor ? await this.options.contextFor(req) : undefined;
  }

  private onConnection(ws: WebSocket, context: EvaluationContext | undefined): void {
    const key = contextKey(context);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, context, clients: new Set() };
      this.groups.set(key, group);
    }
    const client: Client = { ws, group, alive: true };
    group.clients.add(client);
    this.clientOf.set(ws, client);
    const h = this.handlers;
    ws.on('pong', h.pong);
    ws.on('close', h.close);
    ws.on('error', h.error);
    ws.on('message', h.message);
    if (group.message) this.send(client, group.message);
    else if (group.key !== '') void this.refreshGroup(group);
    // A base-group client before the first read gets the snapshot with everyone else.
  }

  private forget(ws: WebSocket): void {
    const client = this.clientOf.get(ws);
    if (!client || !client.group.clients.delete(client)) return;
    this.connections--;
    const group = client.group;
    if (group.key !== '' && group.clients.size === 0) this.groups.delete(group.key);
  }

  private send(client: Client, message: Buffer): void {
    // After a close frame no data frame may follow; a closing client gets nothing more.
    if (client.ws.readyState !== WebSocket.OPEN) return;
    const unsent = client.ws.bufferedAmount;
    if (unsent + message.length > this.maxBufferedBytes) {
      // Buffering without limit for a client that does not read is how one slow tab takes
      // the gateway's memory; it reconnects and gets the current snapshot anyway.
      this.counters.dropped++;
      this.log(`dynconf bff: dropped a slow client (${unsent} bytes unsent)`);
      client.ws.terminate();
      return;
    }
    // ws's own framing: a 2-10 byte header per client, the payload Buffer shared and never
    // copied (server frames are not masked, compression is off), ws's close and error
    // handling intact. Against writing one pre-encoded frame under ws to each socket, the
    // fan-out bench (10,000 clients) measured about 1.2x the CPU per change (median 174 vs
    // 148 ms, five alternating runs): not worth bypassing the library for.
    client.ws.send(message, SEND_OPTIONS);
  }

  private broadcast(group: Group): void {
    const message = group.message!;
    for (const client of group.clients) this.send(client, message);
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => void this.poll().then(() => this.schedulePoll()), this.options.pollIntervalMs ?? 5000);
    // The server that mounts the gateway keeps the process alive, not the poll.
    this.pollTimer.unref();
  }

  /** One read, and what it means for browsers; concurrent calls share it. */
  private poll(): Promise<boolean> {
    this.polling ??= this.doPoll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async doPoll(): Promise<boolean> {
    const changed = await this.config.refresh();
    const err = this.config.status().lastError;
    if (err) return isGone(err) ? this.withdraw(err.message) : false;
    if (!changed && !this.withdrawn) return false;
    if (this.withdrawn) this.log(`dynconf bff: the ${BROWSER_PROFILE} profile of ${this.options.application} in ${this.options.environment} is back (version ${this.config.status().version ?? '-'}); serving its flags again`);
    this.withdrawn = false;
    await this.onUpstreamChange();
    return true;
  }

  /**
   * The agent answers 404 for a profile it served before: the application has no browser
   * flags any more. Keeping the last good snapshot here would keep serving flags that are
   * now server-only, so every group gets the empty set, now.
   */
  private withdraw(reason: string): boolean {
    if (this.withdrawn || !this.groups.get('')!.snapshot) return false;
    this.withdrawn = true;
    let clients = 0;
    for (const group of this.groups.values()) {
      this.setSnapshot(group, EMPTY_SNAPSHOT);
      this.broadcast(group);
      clients += group.clients.size;
    }
    this.baseBody = Buffer.from(JSON.stringify(EMPTY_SNAPSHOT));
    this.log(`dynconf bff: the ${BROWSER_PROFILE} profile of ${this.options.application} in ${this.options.environment} is gone (${reason}): no flag is browser-exposed any more; serving no flags (${this.basePath} answers ${JSON.stringify(EMPTY_SNAPSHOT)}) and told ${clients} connected client${clients === 1 ? '' : 's'}`);
    return true;
  }

  private async onUpstreamChange(): Promise<void> {
    const flags = this.config.value();
    const version = this.config.status().version ?? '';
    if (!flags) return;
    const base = this.groups.get('')!;
    this.setSnapshot(base, { version, flags });
    this.baseBody = Buffer.from(JSON.stringify(base.snapshot));
    this.broadcast(base);
    // One agent read per context group, a few at a time: the agent is shared with services.
    const pending = [...this.groups.values()].filter((g) => g.key !== '');
    const worker = async (): Promise<void> => {
      for (let g = pending.shift(); g; g = pending.shift()) await this.refreshGroup(g);
    };
    await Promise.all(Array.from({ length: Math.min(GROUP_READ_CONCURRENCY, pending.length) }, worker));
  }

  private async refreshGroup(group: Group): Promise<void> {
    const base = this.snapshot();
    if (!base || !group.context) return;
    const flags = this.withdrawn ? undefined : await this.config.flagsFor(group.context);
    const previous = group.message;
    // Checked after the read too: the profile may have gone while the agent was asked.
    this.setSnapshot(group, this.withdrawn || !flags ? EMPTY_SNAPSHOT : { version: base.version, flags });
    if (previous?.equals(group.message!)) return;
    this.broadcast(group);
  }

  private setSnapshot(group: Group, snapshot: BrowserSnapshot): void {
    group.snapshot = snapshot;
    group.message = Buffer.from(JSON.stringify({ type: 'snapshot', version: snapshot.version, flags: snapshot.flags }));
  }

  private beat(): void {
    for (const group of this.groups.values()) {
      for (const client of group.clients) {
        if (!client.alive) {
          this.counters.terminated++;
          client.ws.terminate();
          continue;
        }
        client.alive = false;
        client.ws.ping();
      }
    }
  }

  /**
   * No Origin: not a browser page (browsers send it on every WebSocket upgrade and every
   * cross-origin request), so there is no page whose credentials could be abused. Otherwise
   * the Origin must be, byte for byte, the BFF's own origin or an allowed one, each in the
   * serialization browsers send (lowercase, no default port, no path or userinfo): `null`,
   * another scheme or port, `HTTP://...` or `http://user@host` never match.
   */
  private originAllowed(origin: string | undefined, req: IncomingMessage): boolean {
    if (origin === undefined) return true;
    if (this.allowedOrigins.has(origin)) return true;
    // Only called once hosts.allows(req.headers.host): a name or an IP literal and a port.
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    try {
      return origin === new URL(`${scheme}://${req.headers.host!}`).origin;
    } catch {
      return false;
    }
  }

  private sendStatic(res: ServerResponse, body: Buffer, type: string): void {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache', ...NOSNIFF });
    res.end(body);
  }

  private unavailable(res: ServerResponse): void {
    reply(res, 503, { 'retry-after': '1', ...TEXT }, 'no snapshot yet: the agent has not answered\n');
  }

  private async serveDemo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const script = await this.renderSnapshotScript(req);
      const html = this.demoTemplate
        .replaceAll('{{APPLICATION}}', escapeHtml(this.options.application))
        .replaceAll('{{ENVIRONMENT}}', escapeHtml(this.options.environment))
        .replaceAll('{{BASE}}', escapeHtml(this.basePath))
        .replace('{{SNAPSHOT}}', () => script);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...NOSNIFF, ...PAGE_HEADERS });
      res.end(html);
    } catch (e) {
      this.log(`dynconf bff: demo page failed: ${(e as Error).message}`);
      reply(res, 500, TEXT, 'demo page failed\n');
    }
  }
}

/** A text message (never fragmented: one frame), with no compression to negotiate. */
const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;

function isGone(f: { kind: string; status?: number }): boolean {
  return f.kind === 'http' && f.status === 404;
}

/**
 * An allowedOrigins entry as browsers serialize an origin (lowercase scheme and host, no
 * default port), so that the Origin header can be compared as a string.
 */
function canonicalOrigin(origin: string): string {
  let u: URL | undefined;
  try {
    u = new URL(origin);
  } catch {
    // reported below
  }
  const bare = u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && u.pathname === '/' && !u.search && !u.hash && !origin.endsWith('/');
  if (!u || !bare) throw new Error(`allowedOrigins: '${origin}' is not an origin: write scheme://host[:port] (http or https) with no path, e.g. https://app.example.com`);
  return u.origin;
}

function reply(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

function rejectUpgrade(socket: Duplex, status: number, message: string, extra: Readonly<Record<string, string>> = {}): void {
  const headers = Object.entries({ connection: 'close', 'content-type': 'text/plain; charset=utf-8', ...NOSNIFF, ...extra, 'content-length': String(Buffer.byteLength(message) + 1) });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${message}\n`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
