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
 * by ping/pong; the connection count is capped; browsers from other origins are refused.
 *
 * It plugs into an existing Node or Next.js custom server:
 *
 *   const bff = new BffGateway({ agentUrl, application, environment, contextFor });
 *   await bff.start();
 *   const server = http.createServer((req, res) => bff.handleRequest(req, res) || nextHandler(req, res));
 *   bff.attach(server);
 */
import * as fs from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import * as path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { EvaluatedFlags } from './feature-flags';
import { contextKey, DynamicConfig } from './dynamic-config';
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
   * The page's own origin is always allowed.
   * @default [] (same origin only)
   */
  readonly allowedOrigins?: readonly string[];
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
  /** The snapshot as a complete WebSocket text frame, encoded once for every client. */
  frame?: Buffer;
}

interface Client {
  readonly ws: WebSocket;
  /** The upgraded socket: frames encoded once are written to it directly. */
  readonly socket: Duplex;
  readonly group: Group;
  /** Answered the last ping. */
  alive: boolean;
}

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
  private readonly maxConnections: number;
  private readonly maxBufferedBytes: number;
  private readonly clientModule: Buffer;
  private readonly demoScript: Buffer;
  private readonly demoTemplate: string;
  private heartbeat: NodeJS.Timeout | undefined;
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
    this.allowedOrigins = new Set(options.allowedOrigins ?? []);
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
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 1024 });
    this.groups.set('', { key: '', context: undefined, clients: new Set() });
    this.clientModule = fs.readFileSync(path.join(BROWSER_DIR, 'dynconf-client.js'));
    this.demoScript = fs.readFileSync(path.join(BROWSER_DIR, 'demo.js'));
    this.demoTemplate = fs.readFileSync(path.join(BROWSER_DIR, 'demo.html'), 'utf8');
    this.config.on('change', () => void this.onUpstreamChange());
    this.config.on('failure', (f) => {
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
    const status = await this.config.start();
    const err = status.lastError;
    if (err?.kind === 'http' && (err.status === 404 || err.status === 401 || err.status === 403)) {
      await this.config.close();
      const hint = err.status === 404 ? `; does '${this.options.application}' have browser-exposed flags ("exposure": "browser")?` : '';
      throw new BffStartError(`cannot read the ${BROWSER_PROFILE} profile of ${this.options.application} in ${this.options.environment}: ${err.message}${hint}`);
    }
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
    if (!base || contextKey(context) === '') return base;
    return { version: base.version, flags: await this.config.flagsFor(context!) };
  }

  /** SSR: the `<script type="application/json">` element with this request's snapshot. */
  async renderSnapshotScript(req: IncomingMessage, options: SnapshotScriptOptions = {}): Promise<string> {
    const snapshot = await this.snapshotFor(req);
    return snapshot ? renderSnapshotScript(snapshot, options) : '';
  }

  /** Poll the agent now (tests, or an operator's nudge). Resolves with whether anything changed. */
  refresh(): Promise<boolean> {
    return this.config.refresh();
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
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
      return true;
    }
    if (rest === '/client.js') return this.sendStatic(res, this.clientModule, 'text/javascript; charset=utf-8'), true;
    if (rest === '/demo.js') return this.sendStatic(res, this.demoScript, 'text/javascript; charset=utf-8'), true;
    if (rest === '/demo') {
      void this.serveDemo(req, res);
      return true;
    }
    const origin = req.headers.origin;
    if (!this.originAllowed(origin, req.headers.host)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`origin ${origin} is not allowed to read this configuration\n`);
      return true;
    }
    const cors = origin !== undefined ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (!this.options.contextFor) {
      const body = this.baseBody;
      if (!body) return this.unavailable(res), true;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': body.length, ...cors });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    this.snapshotFor(req).then(
      (snapshot) => {
        if (!snapshot) return this.unavailable(res);
        const body = Buffer.from(JSON.stringify(snapshot));
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': body.length, ...cors });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        this.log(`dynconf bff: contextFor failed: ${(e as Error).message}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('could not compute the request context\n');
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
    if (!this.originAllowed(req.headers.origin, req.headers.host)) {
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
          this.onConnection(ws, socket, context);
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
    for (const group of this.groups.values()) for (const c of group.clients) c.ws.terminate();
    await this.config.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async contextOf(req: IncomingMessage): Promise<EvaluationContext | undefined> {
    return this.options.contextFor ? await this.options.contextFor(req) : undefined;
  }

  private onConnection(ws: WebSocket, socket: Duplex, context: EvaluationContext | undefined): void {
    const key = contextKey(context);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, context, clients: new Set() };
      this.groups.set(key, group);
    }
    const client: Client = { ws, socket, group, alive: true };
    group.clients.add(client);
    this.clientOf.set(ws, client);
    const h = this.handlers;
    ws.on('pong', h.pong);
    ws.on('close', h.close);
    ws.on('error', h.error);
    ws.on('message', h.message);
    if (group.frame) this.send(client, group.frame);
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

  private send(client: Client, frame: Buffer): void {
    // After a close frame no data frame may follow; a closing client gets nothing more.
    if (client.ws.readyState !== WebSocket.OPEN) return;
    const unsent = client.socket.writableLength;
    if (unsent + frame.length > this.maxBufferedBytes) {
      // Buffering without limit for a client that does not read is how one slow tab takes
      // the gateway's memory; it reconnects and gets the current snapshot anyway.
      this.counters.dropped++;
      this.log(`dynconf bff: dropped a slow client (${unsent} bytes unsent)`);
      client.ws.terminate();
      return;
    }
    // One write of a frame encoded once. ws writes its own frames (ping, pong, close)
    // synchronously and whole when compression is off, so the two never interleave mid-frame.
    client.socket.write(frame);
  }

  private broadcast(group: Group): void {
    const frame = group.frame!;
    for (const client of group.clients) this.send(client, frame);
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
    const flags = await this.config.flagsFor(group.context);
    const previous = group.frame;
    this.setSnapshot(group, { version: base.version, flags });
    if (previous?.equals(group.frame!)) return;
    this.broadcast(group);
  }

  private setSnapshot(group: Group, snapshot: BrowserSnapshot): void {
    group.snapshot = snapshot;
    group.frame = encodeTextFrame(Buffer.from(JSON.stringify({ type: 'snapshot', version: snapshot.version, flags: snapshot.flags })));
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

  private originAllowed(origin: string | undefined, host: string | undefined): boolean {
    // No Origin: not a browser page (browsers always send it on WebSocket upgrades and
    // cross-origin requests), so there is no page whose credentials could be abused.
    if (origin === undefined) return true;
    if (this.allowedOrigins.has(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  private sendStatic(res: ServerResponse, body: Buffer, type: string): void {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(body);
  }

  private unavailable(res: ServerResponse): void {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('no snapshot yet: the agent has not answered\n');
  }

  private async serveDemo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const script = await this.renderSnapshotScript(req);
      const html = this.demoTemplate
        .replaceAll('{{APPLICATION}}', escapeHtml(this.options.application))
        .replaceAll('{{ENVIRONMENT}}', escapeHtml(this.options.environment))
        .replaceAll('{{BASE}}', escapeHtml(this.basePath))
        .replace('{{SNAPSHOT}}', () => script);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The page runs only its own scripts; the embedded snapshot is data, not code.
        'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'",
      });
      res.end(html);
    } catch (e) {
      this.log(`dynconf bff: demo page failed: ${(e as Error).message}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('demo page failed\n');
    }
  }

}

/** An unmasked, final WebSocket text frame (RFC 6455 section 5.2), as a server sends it. */
export function encodeTextFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const reason = status === 403 ? 'Forbidden' : status === 503 ? 'Service Unavailable' : 'Internal Server Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message) + 1}\r\n\r\n${message}\n`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
