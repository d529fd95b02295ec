/**
 * Runtime benchmarks, each beside a baseline measured in the same run:
 * - BFF GET /config requests/s vs a bare node:http server returning the same bytes;
 * - local agent requests/s vs a bare node:http server returning the same bytes;
 * - WebSocket fan-out: 10,000 clients on one BFF process, time until every client has a
 *   change, and memory per idle connection;
 * - rule evaluations per second.
 *
 * Servers run in this process (or a child for the fan-out); load comes from child processes
 * so the two compete for the CPU the way a real client and server do.
 *   node --import tsx bench/runtime.ts      # prints a markdown table
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'undici';
import { parseRule } from '../lib/model';
import { BffGateway } from '../lib/runtime/bff';
import { LocalAgent } from '../lib/runtime/local-agent';
import { compileRule, type EvaluationContext } from '../lib/runtime/rule-evaluator';
import { renderTable } from './run';
import type { BenchResult } from './types';

const ROOT = path.resolve(__dirname, '..');
const APP = 'groupsync-v3';
const ENV = 'prod-01';
const BROWSER_PATH = `/applications/${APP}/environments/${ENV}/configurations/browser`;

const LOAD_SECONDS = 2;
const ROUNDS = 5;
const FANOUT_CLIENTS = 10_000;
// One client process leaves the BFF a core of its own on a 2-core machine.
const FANOUT_PROCESSES = 1;
const FANOUT_CHANGES = 20;

// ---------------------------------------------------------------- HTTP throughput

interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener): Promise<Listening> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A bare node:http server answering every request with these bytes. */
function bare(body: Buffer): Promise<Listening> {
  return serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
}

interface LoadResult {
  /** Wall-clock requests/s during the counted window. */
  readonly rps: number;
  /** Requests per second of this process's CPU time (user + system, every thread). */
  readonly perCpuSecond: number;
}

/**
 * Load `url` from a child process over keep-alive connections. Besides wall-clock
 * requests/s it returns requests per CPU-second of this (the server's) process: on a machine
 * shared with other work, wall-clock throughput swings with whatever else runs, while the
 * server's CPU cost per request does not.
 */
function load(url: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const cpu0 = process.cpuUsage();
    const child = fork(__filename, ['--role=load', url, String(seconds)], { execArgv: ['--import', 'tsx'] });
    let reply: { rps: number; total: number } | undefined;
    child.once('message', (m: { rps: number; total: number }) => (reply = m));
    child.once('error', reject);
    child.once('exit', (code) => {
      const cpu = process.cpuUsage(cpu0);
      if (code !== 0 || !reply) return reject(new Error(`load generator exited ${code}`));
      resolve({ rps: reply.rps, perCpuSecond: reply.total / ((cpu.user + cpu.system) / 1e6) });
    });
  });
}

async function loadRole(url: string, seconds: number): Promise<void> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 32, pipelining: 4 });
  let done = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const res = await pool.request({ path: `${u.pathname}${u.search}`, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
      done++;
    }
  };
  // Warm up connections and JIT, then count.
  const warm = Date.now() + 300;
  const workers = Array.from({ length: 128 }, worker);
  while (Date.now() < warm) await new Promise((r) => setTimeout(r, 50));
  const start = done;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rps = ((done - start) * 1000) / (performance.now() - t0);
  stop = true;
  await Promise.all(workers);
  await pool.close();
  process.send!({ rps, total: done });
}

interface Comparison {
  readonly subject: LoadResult;
  readonly baseline: LoadResult;
}

/** Medians for `subject` and `baseline`, measured alternately so drift hits both. */
async function compare(subject: string, baseline: string): Promise<Comparison> {
  const a: LoadResult[] = [];
  const b: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    b.push(await load(baseline, LOAD_SECONDS));
    a.push(await load(subject, LOAD_SECONDS));
  }
  const med = (xs: LoadResult[]): LoadResult => ({ rps: median(xs.map((x) => x.rps)), perCpuSecond: median(xs.map((x) => x.perCpuSecond)) });
  return { subject: med(a), baseline: med(b) };
}

async function httpBenches(): Promise<BenchResult[]> {
  const agent = await LocalAgent.start({ root: ROOT, environment: ENV, port: 0, watch: false });
  const gateway = new BffGateway({ agentUrl: agent.url, application: APP, environment: ENV, pollIntervalMs: 3_600_000 });
  await gateway.start();
  const bffServer = await serve((req, res) => {
    if (!gateway.handleRequest(req, res)) res.writeHead(404).end();
  });
  try {
    const agentBody = Buffer.from(await (await fetch(`${agent.url}${BROWSER_PATH}`)).arrayBuffer());
    const bffBody = Buffer.from(await (await fetch(`${bffServer.url}/config`)).arrayBuffer());
    const bareAgent = await bare(agentBody);
    const bareBff = await bare(bffBody);
    try {
      const a = await compare(`${agent.url}${BROWSER_PATH}`, bareAgent.url);
      const b = await compare(`${bffServer.url}/config`, bareBff.url);
      return [result('Local agent GET (browser profile, no context) vs bare node:http', a, agentBody.length), result('BFF GET /config vs bare node:http', b, bffBody.length)];
    } finally {
      await bareAgent.close();
      await bareBff.close();
    }
  } finally {
    await bffServer.close();
    await gateway.close();
    await agent.close();
  }
}

function result(name: string, c: Comparison, bodyBytes: number): BenchResult {
  return {
    name,
    measured: Math.round(c.subject.perCpuSecond),
    baseline: Math.round(c.baseline.perCpuSecond),
    ratio: round(c.subject.perCpuSecond / c.baseline.perCpuSecond, 2),
    unit: 'req/s per server core',
    target: 'ratio >= 0.8',
    notes: `requests per CPU-second of the server process; wall clock ${Math.round(c.subject.rps)} vs ${Math.round(c.baseline.rps)} req/s (ratio ${round(c.subject.rps / c.baseline.rps, 2)}) with the load generator in another process; ${bodyBytes}-byte body, median of ${ROUNDS} alternating ${LOAD_SECONDS} s runs, 32 keep-alive connections`,
  };
}

// ---------------------------------------------------------------- rules

function ruleBench(): BenchResult {
  const rules = [
    '(eq $tier "pro")',
    '(in $plan ["team", "enterprise", "business"])',
    '(split pct::5 by::$userId seed::"presence")',
    '(and (eq $country "NZ") (gte $age 18))',
    '(or (begins_with $email "admin@") (matches in::$userId pattern::"^u-[0-9]{3}$"))',
  ].map((r) => {
    const parsed = parseRule(r);
    if (!parsed.ok) throw new Error(parsed.message);
    return compileRule(parsed.expr);
  });
  const contexts: EvaluationContext[] = Array.from({ length: 1024 }, (_, i) => ({
    tier: i % 3 ? 'free' : 'pro',
    plan: ['team', 'free', 'enterprise'][i % 3]!,
    userId: `u-${i}`,
    country: i % 2 ? 'NZ' : 'US',
    age: String(10 + (i % 50)),
    email: i % 7 ? `user${i}@example.com` : 'admin@example.com',
  }));
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  const until = t0 + 1500;
  while (performance.now() < until) {
    for (let i = 0; i < 1024; i++) {
      for (const rule of rules) if (rule(contexts[i]!) === true) sink++;
    }
    n += 1024 * rules.length;
  }
  const perSecond = (n * 1000) / (performance.now() - t0);
  return {
    name: 'Rule evaluations (mixed: eq, in, split, and/gte, or/begins_with/matches)',
    measured: Math.round(perSecond),
    unit: 'evaluations/s',
    notes: `one core; split hashes with SHA-256 (${sink > 0 ? 'matches seen' : 'no matches'})`,
  };
}

// ---------------------------------------------------------------- WebSocket fan-out

interface FanoutServerReport {
  port: number;
}

function request<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m: T) => resolve(m));
    child.send(msg);
  });
}

/** The BFF in its own process (with --expose-gc, so memory per connection can be measured). */
async function fanoutServerRole(): Promise<void> {
  let version = 0;
  const body = () => JSON.stringify({ 'new-group-editor': { enabled: version % 2 === 0 }, theme: { enabled: true, scheme: 'dark', accent: '#8250df' }, 'realtime-presence': { enabled: false, _variant: 'off' } });
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': String(version) }).end(body());
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const gateway = new BffGateway({
    agentUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    application: APP,
    environment: ENV,
    pollIntervalMs: 3_600_000,
    // The bench's clients are minimal and do not answer pings; keep the heartbeat out of it.
    heartbeatIntervalMs: 3_600_000,
    maxConnections: FANOUT_CLIENTS + 100,
  });
  await gateway.start();
  const server = http.createServer((req, res) => {
    if (!gateway.handleRequest(req, res)) res.writeHead(404).end();
  });
  gateway.attach(server);
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => r()));
  const gc = (globalThis as { gc?: () => void }).gc!;
  const memory = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed + m.external, rss: m.rss };
  };
  let baseline = memory();
  process.on('message', (m: { cmd: string }) => void onMessage(m).catch(failChild));
  async function onMessage(m: { cmd: string }): Promise<void> {
    if (m.cmd === 'baseline') {
      baseline = memory();
      process.send!({});
    } else if (m.cmd === 'memory') {
      const now = memory();
      process.send!({ heap: now.heap - baseline.heap, rss: now.rss - baseline.rss, connections: gateway.stats().connections });
    } else if (m.cmd === 'change') {
      version++;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await gateway.refresh();
      const t1 = process.hrtime.bigint();
      const cpu = process.cpuUsage(c0);
      process.send!({ t0: t0.toString(), serverMs: Number(t1 - t0) / 1e6, serverCpuMs: (cpu.user + cpu.system) / 1000, version: String(version) });
    } else if (m.cmd === 'stop') {
      await gateway.close();
      server.closeAllConnections();
      server.close();
      upstream.close();
      process.exit(0);
    }
  }
  process.send!({ port: (server.address() as AddressInfo).port } satisfies FanoutServerReport);
}

/**
 * Minimal WebSocket clients (raw sockets, a frame parser, no per-message work beyond noting
 * the time), so the measurement is the server's fan-out rather than the clients' parsing.
 */
async function fanoutClientsRole(port: number, count: number): Promise<void> {
  const arrivals: bigint[][] = [];
  const sockets: net.Socket[] = [];
  const connectOne = (i: number) =>
    new Promise<void>((resolve, reject) => {
      arrivals[i] = [];
      const s = net.connect(port, '127.0.0.1');
      sockets.push(s);
      let buf: Buffer = Buffer.alloc(0);
      let upgraded = false;
      s.on('error', reject);
      s.on('data', (chunk: Buffer) => {
        const now = process.hrtime.bigint();
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        if (!upgraded) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!buf.subarray(0, 12).toString().includes('101')) return reject(new Error(`upgrade refused: ${buf.toString().split('\r\n')[0]}`));
          upgraded = true;
          buf = buf.subarray(end + 4);
        }
        // Unmasked server frames: 2-byte header, then 16- or 64-bit extended lengths.
        for (;;) {
          if (buf.length < 2) return;
          let len = buf[1]! & 0x7f;
          let offset = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            offset = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            offset = 10;
          }
          if (buf.length < offset + len) return;
          if ((buf[0]! & 0x0f) === 0x1) {
            arrivals[i]!.push(now);
            if (arrivals[i]!.length === 1) resolve();
          }
          buf = buf.subarray(offset + len);
        }
      });
      s.write(`GET /config/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from(String(i).padStart(16, '0')).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => connectOne(i + j)));
  }
  process.send!({ connected: count });
  process.on('message', (m: { cmd: string; frame?: number }) => void onMessage(m).catch(failChild));
  async function onMessage(m: { cmd: string; frame?: number }): Promise<void> {
    if (m.cmd === 'collect') {
      const k = m.frame!;
      while (arrivals.some((a) => a.length <= k)) await new Promise((r) => setTimeout(r, 5));
      process.send!({ times: arrivals.map((a) => a[k]!.toString()) });
    } else if (m.cmd === 'stop') {
      sockets.forEach((s) => s.destroy());
      process.exit(0);
    }
  }
}

/**
 * A bench child whose step failed: say why and exit non-zero. process.on ignores the
 * promise an async listener returns, so its rejection would go unhandled
 * (@typescript-eslint/no-misused-promises).
 */
function failChild(e: unknown): never {
  console.error(`bench child (${process.argv.slice(2).join(' ')}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
}

async function fanoutBench(): Promise<BenchResult[]> {
  const server = fork(__filename, ['--role=fanout-server'], { execArgv: ['--import', 'tsx', '--expose-gc'] });
  const { port } = await new Promise<FanoutServerReport>((resolve) => server.once('message', (m: FanoutServerReport) => resolve(m)));
  await request(server, { cmd: 'baseline' });
  const perProcess = FANOUT_CLIENTS / FANOUT_PROCESSES;
  const clients = Array.from({ length: FANOUT_PROCESSES }, () => fork(__filename, ['--role=fanout-clients', String(port), String(perProcess)], { execArgv: ['--import', 'tsx'] }));
  try {
    await Promise.all(clients.map((c) => new Promise((resolve) => c.once('message', resolve))));
    // Idle a moment so that buffers from the handshakes are released before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    const mem = await request<{ heap: number; rss: number; connections: number }>(server, { cmd: 'memory' });
    if (mem.connections !== FANOUT_CLIENTS) throw new Error(`expected ${FANOUT_CLIENTS} connections, the BFF counts ${mem.connections}`);

    const completion: number[] = [];
    const deliveries: number[] = [];
    const serverTimes: number[] = [];
    const serverCpu: number[] = [];
    for (let k = 1; k <= FANOUT_CHANGES; k++) {
      const { t0, serverMs, serverCpuMs } = await request<{ t0: string; serverMs: number; serverCpuMs: number }>(server, { cmd: 'change' });
      serverTimes.push(serverMs);
      serverCpu.push(serverCpuMs);
      const replies = await Promise.all(clients.map((c) => request<{ times: string[] }>(c, { cmd: 'collect', frame: k })));
      const start = BigInt(t0);
      const latencies = replies.flatMap((r) => r.times.map((t) => Number(BigInt(t) - start) / 1e6));
      deliveries.push(...latencies);
      completion.push(Math.max(...latencies));
    }
    return [
      {
        name: `WebSocket fan-out: time until all ${FANOUT_CLIENTS.toLocaleString('en')} clients have a change`,
        measured: round(percentile(completion, 0.99), 1),
        unit: 'ms (p99)',
        target: '< 200 ms',
        notes: `${FANOUT_CHANGES} changes, each from the upstream read to the last client's socket; median ${round(median(completion), 1)} ms; the BFF's own read + send loop took ${round(median(serverTimes), 1)} ms (median), ${round(median(serverCpu), 1)} ms of its CPU (median; steadier than wall clock on a shared machine); per-delivery p99 ${round(percentile(deliveries, 0.99), 1)} ms; clients (raw sockets) in ${FANOUT_PROCESSES} other process${FANOUT_PROCESSES === 1 ? '' : 'es'} on the same ${os.cpus().length} cores`,
      },
      {
        name: 'WebSocket memory per idle connection',
        measured: round(mem.heap / FANOUT_CLIENTS / 1024, 2),
        unit: 'KiB',
        target: '< 10 KiB',
        notes: `V8 heap + external after GC, ${FANOUT_CLIENTS.toLocaleString('en')} connections; RSS grew ${round(mem.rss / FANOUT_CLIENTS / 1024, 2)} KiB per connection (includes allocator slack)`,
      },
    ];
  } finally {
    clients.forEach((c) => c.send({ cmd: 'stop' }));
    server.send({ cmd: 'stop' });
    await Promise.all([server, ...clients].map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)))));
  }
}

// ---------------------------------------------------------------- entry points

const PARTS: Readonly<Record<string, () => Promise<BenchResult[]>>> = {
  http: httpBenches,
  fanout: fanoutBench,
  rules: async () => [ruleBench()],
};

/** Every part, or the named ones (`node --import tsx bench/runtime.ts fanout`). */
export async function run(parts: readonly string[] = Object.keys(PARTS)): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const p of parts) {
    const part = PARTS[p];
    if (!part) throw new Error(`unknown part '${p}'; parts: ${Object.keys(PARTS).join(', ')}`);
    results.push(...(await part()));
  }
  return results;
}

function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (require.main === module) {
  const role = process.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
  const args = process.argv.slice(3);
  const roles: Record<string, () => Promise<void>> = {
    load: () => loadRole(args[0]!, Number(args[1])),
    'fanout-server': fanoutServerRole,
    'fanout-clients': () => fanoutClientsRole(Number(args[0]), Number(args[1])),
  };
  const task = role
    ? roles[role]!()
    : run(process.argv.slice(2).length ? process.argv.slice(2) : undefined).then((results) => console.log(renderTable(results)));
  task.catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
