/**
 * Fuzz: the BFF's WebSocket and HTTP surface. Clients send arbitrary frames (raw bytes after
 * a handshake, malformed headers, reserved opcodes, unmasked and oversized frames, huge
 * declared lengths, invalid close codes, pings) and broken handshakes; through all of it the
 * BFF stays up, never answers 5xx or a stack trace, and a well-behaved client connected the
 * whole time still receives every update. And whatever the flags become, a flag that is now
 * server-only is not on GET /config nor in the last frame a browser received.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { BffGateway } from '../../lib/runtime/bff';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { get, listen, waitFor } from '../runtime/helpers';
import { fuzzParams, headerValueArb, jestTimeout, minimalWorkspace, PERCENT_GARBAGE, rawRequest, resetWorkspace, stackTraceIn, type FuzzWorkspace } from './support';

const APP = 'demo-app';
const ENV = 'prod-01';

function fail(message: string): never {
  throw new Error(message);
}

/** A client that records every message; the witness that must keep receiving updates. */
class Recorder {
  readonly frames: string[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => this.frames.push(String(data)));
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  last(): { flags?: Record<string, { enabled?: boolean; _variant?: string }> } | undefined {
    const f = this.frames[this.frames.length - 1];
    return f === undefined ? undefined : (JSON.parse(f) as ReturnType<Recorder['last']>);
  }
}

// --- Frames ------------------------------------------------------------------------------

interface FrameSpec {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** 'exact' writes the payload's length; the others declare a length that is not the payload's. */
  readonly length: 'exact' | 'short' | 'long' | 'huge16' | 'huge64';
  readonly payload: Uint8Array;
}

function encodeFrame(f: FrameSpec): Buffer {
  const n = f.payload.length;
  const declared = f.length === 'exact' ? n : f.length === 'short' ? Math.max(0, n - 1) : f.length === 'long' ? n + 10 : f.length === 'huge16' ? 65_535 : -1;
  const head: number[] = [(f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f)];
  const maskBit = f.masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (declared === -1) {
    head.push(maskBit | 127);
    ext = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  } else if (declared < 126) head.push(maskBit | declared);
  else if (declared < 65_536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(declared);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(declared));
  }
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const payload = Buffer.from(f.payload.map((b, i) => (f.masked ? b ^ key[i % 4]! : b)));
  return Buffer.concat([Buffer.from(head), ext, f.masked ? key : Buffer.alloc(0), payload]);
}

const frameArb: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        fin: fc.boolean(),
        rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
        opcode: fc.oneof(fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa), fc.integer({ min: 0, max: 15 })),
        masked: fc.oneof(fc.constant(true), fc.boolean()),
        length: fc.constantFrom('exact' as const, 'exact' as const, 'short' as const, 'long' as const, 'huge16' as const, 'huge64' as const),
        payload: fc.oneof(fc.uint8Array({ maxLength: 140 }), fc.constantFrom(new Uint8Array([0xff, 0xfe]), new Uint8Array([0x03, 0xe7]), new Uint8Array([0x03, 0xed]), new Uint8Array([0xff, 0xff]), new Uint8Array([0x03]))),
      })
      .map(encodeFrame),
  },
  // Over the BFF's 1 KiB maxPayload, announced truthfully.
  { weight: 1, arbitrary: fc.integer({ min: 1025, max: 70_000 }).map((n) => encodeFrame({ fin: true, rsv: 0, opcode: 1, masked: true, length: 'exact', payload: new Uint8Array(n).fill(0x61) })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)) },
);

// --- Attacks -----------------------------------------------------------------------------

type Attack =
  | { readonly kind: 'frames'; readonly frames: readonly Buffer[] }
  | { readonly kind: 'handshake'; readonly request: string }
  | { readonly kind: 'client'; readonly sends: readonly { readonly type: 'text' | 'binary' | 'ping' | 'pong'; readonly data: Uint8Array | string }[]; readonly close: boolean }
  | { readonly kind: 'http'; readonly request: string };

function handshake(port: number, extra = '', target = '/config/ws'): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

function attackArb(port: number): fc.Arbitrary<Attack> {
  const header = fc.tuple(fc.constantFrom('Origin', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol', 'Host', 'Upgrade', 'Connection', 'Cookie'), headerValueArb).map(([k, v]) => `${k}: ${v}\r\n`);
  const target = fc.constantFrom('/config/ws', '/config/ws?x=%ZZ', '/config/ws/', '/config//ws', '/config/ws/../ws', `/config/ws?${PERCENT_GARBAGE.join('&')}`, '/config/ws#x');
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(frameArb, { minLength: 1, maxLength: 4 }).map((frames): Attack => ({ kind: 'frames', frames })) },
    {
      weight: 2,
      arbitrary: fc.tuple(target, fc.array(header, { maxLength: 3 })).map(([t, hs]): Attack => ({ kind: 'handshake', request: handshake(port, hs.join(''), t) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          sends: fc.array(
            fc.oneof(
              fc.record({ type: fc.constant('text' as const), data: fc.string({ maxLength: 50 }) }),
              fc.record({ type: fc.constantFrom('binary' as const, 'ping' as const, 'pong' as const), data: fc.uint8Array({ maxLength: 125 }) }),
              fc.record({ type: fc.constant('text' as const), data: fc.integer({ min: 1025, max: 5000 }).map((n) => 'x'.repeat(n)) }),
            ),
            { maxLength: 4 },
          ),
          close: fc.boolean(),
        })
        .map((c): Attack => ({ kind: 'client', ...c })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'PUT'), fc.constantFrom('/config', '/config/', '/config/client.js', '/config/demo', '/config/demo.js', '/config?x=%ZZ', '/config/ws', '/config%2Fws'), fc.array(header, { maxLength: 3 }))
        .map(([m, t, hs]): Attack => ({ kind: 'http', request: `${m} ${t} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${hs.join('')}Connection: close\r\n\r\n` })),
    },
  );
}

/** The HTTP reply of a raw connection must be 1xx/2xx/4xx with no stack trace. */
function checkRaw(text: string): void {
  for (const m of text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)) if (Number(m[1]) >= 500) fail(`status ${m[1]}: ${text.slice(0, 300)}`);
  const frame = stackTraceIn(text);
  if (frame) fail(`a stack trace in a reply (${frame}): ${text.slice(0, 400)}`);
}

/** Handshake on a raw socket, then write `frames`; resolve when the server closes (or after a bound). */
function rawFrames(port: number, frames: readonly Buffer[]): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' });
    const bound = setTimeout(() => socket.destroy(), 5_000);
    let upgraded = false;
    socket.on('error', () => undefined);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!upgraded && Buffer.concat(chunks).includes('\r\n\r\n')) {
        upgraded = true;
        // Everything at once: the frames arrive in one or several reads, as the kernel likes.
        socket.end(Buffer.concat(frames));
      }
    });
    socket.on('close', () => {
      clearTimeout(bound);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('connect', () => socket.write(handshake(port)));
  });
}

function runClient(url: string, attack: Extract<Attack, { kind: 'client' }>): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const bound = setTimeout(() => ws.terminate(), 5_000);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(bound);
      resolve();
    });
    ws.on('open', () => {
      for (const s of attack.sends) {
        if (s.type === 'text') ws.send(String(s.data));
        else if (s.type === 'binary') ws.send(s.data);
        else if (s.type === 'ping') ws.ping(s.data);
        else ws.pong(s.data);
      }
      if (attack.close) ws.close(1000);
      else ws.terminate();
    });
  });
}

async function runAttack(port: number, attack: Attack): Promise<void> {
  if (attack.kind === 'frames') return checkRaw(await rawFrames(port, attack.frames));
  if (attack.kind === 'client') return runClient(`ws://127.0.0.1:${port}/config/ws`, attack);
  const reply = await rawRequest(port, Buffer.from(attack.request, 'utf8'), 5_000);
  checkRaw(reply.text);
}

// --- The servers -------------------------------------------------------------------------

interface Flags {
  flags: Record<string, { exposure?: string; default?: Record<string, unknown> }>;
}

function editFlags(root: string, edit: (doc: Flags) => void): void {
  const file = path.join(root, 'flags', `${APP}.json`);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Flags;
  edit(doc);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}

async function startStack(ws: FuzzWorkspace) {
  const agent = await LocalAgent.start({ root: ws.root, environment: ENV, port: 0, watch: false });
  // Long intervals: the test drives every read with refresh(), so nothing depends on timing.
  const gateway = new BffGateway({ agentUrl: agent.url, application: APP, environment: ENV, pollIntervalMs: 3_600_000, heartbeatIntervalMs: 3_600_000 });
  await gateway.start();
  const server = await listen((req, res) => {
    if (!gateway.handleRequest(req, res)) res.writeHead(404).end();
  });
  gateway.attach(server.server);
  return {
    agent,
    gateway,
    port: server.port,
    url: server.url,
    wsUrl: `ws://127.0.0.1:${server.port}/config/ws`,
    async close() {
      await gateway.close();
      await server.close();
      await agent.close();
    },
  };
}

/**
 * A workspace, an agent and BFF over it, and a "witness" client connected from the start,
 * set up once per describe block.
 */
function stackWithWitness(): { ws: FuzzWorkspace; stack: Awaited<ReturnType<typeof startStack>>; witness: Recorder } {
  const state = {} as { ws: FuzzWorkspace; stack: Awaited<ReturnType<typeof startStack>>; witness: Recorder };
  beforeAll(async () => {
    state.ws = minimalWorkspace();
    state.stack = await startStack(state.ws);
    state.witness = new Recorder(state.stack.wsUrl);
    await state.witness.opened;
    await waitFor('the first snapshot', () => state.witness.frames.length >= 1);
  });
  afterAll(async () => {
    state.witness?.ws.terminate();
    await state.stack?.close();
    state.ws?.dispose();
  });
  return state;
}

const FRAMES_LIMIT_MS = 8_000;

describe('fuzz: the BFF stays up under hostile WebSocket and HTTP traffic', () => {
  const state = stackWithWitness();

  test(
    'after any attack, GET /config answers, a new client gets the snapshot, and the witness gets the next update',
    async () => {
      const { ws, stack, witness } = state;
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(attackArb(stack.port), { minLength: 1, maxLength: 3 }), async (attacks) => {
          await Promise.all(attacks.map((a) => runAttack(stack.port, a)));

          const res = await get(`${stack.url}/config`);
          if (res.status !== 200) fail(`GET /config answered ${res.status} after the attacks: ${res.body.slice(0, 200)}`);
          const fresh = new Recorder(stack.wsUrl);
          try {
            await fresh.opened;
            await waitFor('a new client to get the snapshot', () => fresh.frames.length >= 1, 10_000);
          } finally {
            fresh.ws.terminate();
          }

          // An update reaches the witness, connected through every attack.
          if (witness.ws.readyState !== WebSocket.OPEN) fail('the witness was disconnected by another client\'s traffic');
          const enabled = ++round % 2 === 1;
          editFlags(ws.root, (doc) => {
            const variants = doc.flags['dark-mode']!.default!.variants as { enabled: boolean }[];
            variants[1]!.enabled = enabled;
          });
          if (!stack.agent.reload()) fail('the agent rejected the edit');
          await stack.gateway.refresh();
          await waitFor('the witness to get the update', () => witness.last()?.flags?.['dark-mode']?.enabled === enabled, 10_000);
        }),
        fuzzParams(150, FRAMES_LIMIT_MS),
      );
    },
    jestTimeout(FRAMES_LIMIT_MS),
  );
});

const EXPOSURE_LIMIT_MS = 5_000;

describe('fuzz: a flag that is server-only never stays on the BFF', () => {
  const state = stackWithWitness();

  test(
    'after any sequence of exposure edits, GET /config and the last frame hold no server-only flag',
    async () => {
      const { ws, stack, witness } = state;
      const edit = fc.record({ flag: fc.constantFrom('dark-mode', 'new-checkout'), exposure: fc.constantFrom('browser', 'server', undefined) });
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
          // Each run starts from the fixture (dark-mode in the browser profile), so a
          // counterexample does not depend on the runs before it.
          resetWorkspace(ws);
          if (!stack.agent.reload()) fail('the agent rejected the minimal workspace');
          await stack.gateway.refresh();
          await waitFor('the witness to hold the fixture\'s snapshot', () => witness.ws.readyState !== WebSocket.OPEN || witness.last()?.flags?.['dark-mode'] !== undefined, 10_000);
          for (const e of edits) {
            editFlags(ws.root, (doc) => {
              if (e.exposure === undefined) delete doc.flags[e.flag]!.exposure;
              else doc.flags[e.flag]!.exposure = e.exposure;
            });
            if (!stack.agent.reload()) fail('the agent rejected the edit');
            await stack.gateway.refresh();
            const doc = JSON.parse(fs.readFileSync(path.join(ws.root, 'flags', `${APP}.json`), 'utf8')) as Flags;
            const serverOnly = Object.keys(doc.flags).filter((k) => doc.flags[k]!.exposure !== 'browser');
            const res = await get(`${stack.url}/config`);
            for (const k of serverOnly) if (res.body.includes(`"${k}"`)) fail(`GET /config (${res.status}) still holds '${k}', which is now server-only: ${res.body.slice(0, 300)}`);
            // The witness either has a frame without the flag, or has been told otherwise (closed).
            await waitFor(
              `the witness to stop holding ${serverOnly.join(', ') || 'nothing'}`,
              () => witness.ws.readyState !== WebSocket.OPEN || !serverOnly.some((k) => witness.last()?.flags?.[k] !== undefined),
              10_000,
            ).catch(() => fail(`the last frame a browser received still holds a server-only flag (${serverOnly.join(', ')}): ${witness.frames[witness.frames.length - 1]}`));
          }
        }),
        fuzzParams(40, EXPOSURE_LIMIT_MS),
      );
    },
    jestTimeout(EXPOSURE_LIMIT_MS),
  );
});
