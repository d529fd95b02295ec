/** Helpers shared by the runtime tests: polling for an eventual state, raw HTTP servers. */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CommandIO } from '../../lib/cli/command';
import { main } from '../../lib/cli/main';
import { BffGateway, type BffGatewayOptions } from '../../lib/runtime/bff';

/**
 * Poll until `check` returns a value other than undefined/false, or fail after `timeoutMs`
 * with the last observation. The timeout only bounds a broken run; nothing asserts speed.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A server on 127.0.0.1 with an ephemeral port (or a given one, to restart on the same port). */
export async function listen(handler: http.RequestListener, port = 0): Promise<{ server: http.Server; url: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${p}`,
    port: p,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function get(url: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Send these bytes to 127.0.0.1:port, exactly as written (a hostile Host, none at all, ...);
 * read until the server closes or the head and declared body are in.
 */
export function raw(port: number, text: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    // At close, whatever arrived is the answer (a HEAD declares a length it does not send).
    const parse = (final = false): RawResponse | undefined => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const body = data.slice(end + 4);
      const status = Number(statusLine!.split(' ')[1]);
      // A 101 has no body; other answers here say their length.
      if (!final && status !== 101 && headers['content-length'] !== undefined && Buffer.byteLength(body) < Number(headers['content-length'])) return undefined;
      return { status, headers, body };
    };
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      data += c;
      const r = parse();
      if (r && (r.status === 101 || r.headers['content-length'] !== undefined)) {
        socket.destroy();
        resolve(r);
      }
    });
    socket.on('close', () => {
      const r = parse(true);
      if (r) resolve(r);
      else reject(new Error(`no complete response to ${JSON.stringify(text.split('\r\n')[0])}: ${JSON.stringify(data)}`));
    });
    socket.on('error', () => undefined);
    socket.write(text);
  });
}

/** One request with exactly these headers (undefined ones left out) and Connection: close. */
export function rawRequest(port: number, headers: Record<string, string | undefined>, opts: { path: string; method?: string; version?: string }): Promise<RawResponse> {
  const lines = Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return raw(port, `${opts.method ?? 'GET'} ${opts.path} HTTP/${opts.version ?? '1.1'}\r\n${lines}Connection: close\r\n\r\n`);
}

/** Run a long-running verb (`dynconf agent`, `dynconf bff`) in process; `stop()` sends the signal and resolves with the exit code. */
export function runCommand(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const sink = (append: (s: string) => void) => ({ write: (c: string | Uint8Array) => (append(String(c)), true) }) as unknown as NodeJS.WritableStream;
  const io: CommandIO = { cwd, stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env, signal: controller.signal };
  const exit = main(args, io);
  return {
    out: () => out,
    err: () => err,
    exit,
    /** The URL the verb printed when it started listening. */
    url: () => waitFor(`${args[0]} to start (stdout: ${out}, stderr: ${err})`, () => /on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1]),
    stop: async () => {
      controller.abort();
      return exit;
    },
  };
}

/** The BFF mounted on a plain node:http server on 127.0.0.1, as a user would in their own server. */
export async function mountBff(options: BffGatewayOptions) {
  const gateway = new BffGateway(options);
  await gateway.start();
  const server = await listen((req, res) => {
    if (!gateway.handleRequest(req, res)) res.writeHead(404).end();
  });
  gateway.attach(server.server);
  return {
    gateway,
    url: server.url,
    port: server.port,
    ws: `ws://127.0.0.1:${server.port}/config/ws`,
    async close() {
      await gateway.close();
      await server.close();
    },
  };
}
