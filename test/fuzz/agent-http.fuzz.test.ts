/**
 * Fuzz: the local agent's HTTP surface, over raw sockets on 127.0.0.1. Whatever a client
 * sends (arbitrary methods, paths, query strings, headers, broken percent-encoding, garbage
 * bytes, pipelined requests, huge headers), the agent answers 2xx or 4xx, never a stack
 * trace, and after each batch still answers a good request with 200. And whatever the
 * workspace becomes under it, a reload never throws and a failed one keeps the last good version.
 */
import fc from 'fast-check';
import { LocalAgent } from '../../lib/runtime/local-agent';
import {
  applyMutations,
  byteMutationArb,
  fsMutationArb,
  fuzzParams,
  headerValueArb,
  HOSTILE_NAMES,
  jestTimeout,
  jsonMutationArb,
  minimalWorkspace,
  parseResponse,
  PERCENT_GARBAGE,
  queryArb,
  rawRequest,
  resetWorkspace,
  stackTraceIn,
  type FuzzWorkspace,
  type RawReply,
} from './support';

const TOKEN = 'fuzz-token-0123456789';
const GOOD = '/applications/demo-app/environments/prod-01/configurations/flags';
const OPS = '/applications/demo-app/environments/prod-01/configurations/ops';

function fail(message: string): never {
  throw new Error(message);
}

const segmentArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('demo-app', 'prod-01', 'flags', 'browser', 'ops', 'beta', 'nope', ...HOSTILE_NAMES.map(encodeURIComponent), ...HOSTILE_NAMES, ...PERCENT_GARBAGE),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
  fc.string({ maxLength: 8 }),
);

const targetArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(segmentArb, segmentArb, segmentArb).map(([a, e, p]) => `/applications/${a}/environments/${e}/configurations/${p}`) },
      { weight: 2, arbitrary: fc.constantFrom(GOOD, OPS, '/applications/demo-app/environments/prod-01/configurations/browser') },
      { weight: 1, arbitrary: fc.constantFrom('*', '/', '', '//applications/demo-app', `http://127.0.0.1${GOOD}`, `${GOOD}/`, `${GOOD}#x`, '/applications/%2e%2e/%2e%2e/etc/passwd', `${GOOD}%00`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    ),
    fc.option(queryArb, { nil: undefined }),
  )
  .map(([p, q]) => (q === undefined ? p : `${p}?${q}`));

const headerNameArb = fc.oneof(
  fc.constantFrom('Context', 'context', 'CONTEXT', 'Authorization', 'Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Expect', 'Origin', 'Accept', 'Accept-Encoding', 'Range', 'If-None-Match', 'X-Forwarded-For', 'Upgrade'),
  fc.string({ minLength: 1, maxLength: 10 }),
);

const authorizationArb = fc.constantFrom(
  `Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer  ${TOKEN}`, `Bearer ${TOKEN} `, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`,
  'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(10_000)}`, `Bearer ${TOKEN}\u00e9`, `Bearer ${TOKEN},Bearer x`, '',
);

interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'CONNECT', 'get', 'PRI') }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
  target: targetArb,
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', ''),
  headers: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.constant('Context'), headerValueArb) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('Authorization'), authorizationArb) },
      { weight: 2, arbitrary: fc.tuple(headerNameArb, headerValueArb) },
    ),
    { maxLength: 5 },
  ),
  body: fc.oneof(fc.constant(''), fc.string({ maxLength: 20 })),
});

function encodeRequest(r: FuzzRequest): string {
  const headers = r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `${r.method} ${r.target} ${r.version}\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n${r.body}`;
}

/** What a connection may carry: requests (pipelined), or bytes that are not HTTP at all. */
const connectionArb: fc.Arbitrary<{ bytes: Buffer; single?: FuzzRequest }> = fc.oneof(
  { weight: 6, arbitrary: requestArb.map((r) => ({ bytes: Buffer.from(encodeRequest(r), 'utf8'), single: r })) },
  { weight: 2, arbitrary: fc.array(requestArb, { minLength: 2, maxLength: 3 }).map((rs) => ({ bytes: Buffer.from(rs.map(encodeRequest).join(''), 'utf8') })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ bytes: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(`GET ${GOOD} HTTP/1.1\r\n`, 'GET / HTTP/1.1\r\nHost: x\r\n', ''), fc.uint8Array({ maxLength: 100 })).map(([p, b]) => ({ bytes: Buffer.concat([Buffer.from(p), Buffer.from(b), Buffer.from('\r\n\r\n')]) })) },
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 100_000 }).map((n) => ({ bytes: Buffer.from(`GET ${GOOD} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(n)}\r\nConnection: close\r\n\r\n`) })) },
);

/** The promises every reply keeps. */
function checkReply(reply: RawReply, single: FuzzRequest | undefined): void {
  for (const status of reply.statuses) if (status < 200 || status >= 500) fail(`status ${status}: ${reply.text.slice(0, 300)}`);
  const frame = stackTraceIn(reply.text);
  if (frame) fail(`a stack trace in the reply (${frame}): ${reply.text.slice(0, 500)}`);
  if (!single || reply.statuses.length !== 1) return;
  const res = parseResponse(reply.text);
  if (res && res.status === 200 && single.method === 'GET' && res.headers['content-type'] === 'application/json') {
    try {
      JSON.parse(res.body);
    } catch {
      fail(`a 200 whose body is not JSON: ${res.body.slice(0, 300)}`);
    }
  }
}

function goodRequest(path: string, token?: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Connection: close\r\n\r\n`);
}

async function assertServing(agent: LocalAgent, token?: string): Promise<string> {
  const reply = await rawRequest(agent.port, goodRequest(GOOD, token));
  const res = parseResponse(reply.text);
  if (res?.status !== 200) fail(`the agent no longer answers a good request with 200: ${reply.text.slice(0, 300) || '(no reply)'}`);
  JSON.parse(res.body);
  return res.body;
}

const HTTP_LIMIT_MS = 7_000;

describe('fuzz: the local agent stays up under hostile requests', () => {
  let ws: FuzzWorkspace;
  let open: LocalAgent;
  let guarded: LocalAgent;

  beforeAll(async () => {
    ws = minimalWorkspace();
    open = await LocalAgent.start({ root: ws.root, environment: 'prod-01', port: 0, watch: false });
    guarded = await LocalAgent.start({ root: ws.root, environment: 'prod-01', port: 0, watch: false, token: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    ws?.dispose();
  });

  test('a good request is answered (so the property can pass)', async () => {
    await assertServing(open);
    await assertServing(guarded, TOKEN);
  });

  test(
    'arbitrary requests get 2xx/4xx, never a stack trace, and the agent still serves afterwards',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(connectionArb, { minLength: 1, maxLength: 4 }), fc.boolean(), async (connections, withToken) => {
          const agent = withToken ? guarded : open;
          const replies = await Promise.all(connections.map((c) => rawRequest(agent.port, c.bytes)));
          replies.forEach((r, i) => checkReply(r, connections[i]!.single));
          await assertServing(open);
          await assertServing(guarded, TOKEN);
        }),
        fuzzParams(200, HTTP_LIMIT_MS),
      );
    },
    jestTimeout(HTTP_LIMIT_MS),
  );
});

const RELOAD_LIMIT_MS = 7_000;

describe('fuzz: the local agent keeps the last good version over any workspace edit', () => {
  let ws: FuzzWorkspace;
  let agent: LocalAgent;
  const logs: string[] = [];

  beforeAll(async () => {
    ws = minimalWorkspace();
    agent = await LocalAgent.start({ root: ws.root, environment: 'prod-01', port: 0, watch: false, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await agent?.close();
    ws?.dispose();
  });

  test(
    'reload never throws; a rejected workspace leaves every answer as it was',
    async () => {
      const good = { flags: await assertServing(agent), ops: parseResponse((await rawRequest(agent.port, goodRequest(OPS))).text)!.body };
      const mutations = fc.array(fc.oneof(jsonMutationArb, byteMutationArb, fsMutationArb), { minLength: 1, maxLength: 3 });
      await fc.assert(
        fc.asyncProperty(mutations, async (ms) => {
          resetWorkspace(ws);
          if (!agent.reload()) fail(`the minimal workspace was not accepted: ${logs.slice(-3).join(' | ')}`);
          applyMutations(ws, ms);
          let accepted: boolean;
          try {
            accepted = agent.reload();
          } catch (e) {
            // Under `dynconf agent` this is a file-watcher callback: the process would exit.
            fail(`reload threw ${(e as Error).name}: ${(e as Error).message}`);
          }
          for (const log of logs.splice(0)) if (stackTraceIn(log)) fail(`a stack trace in the agent's log: ${log}`);
          if (accepted) return;
          const flags = parseResponse((await rawRequest(agent.port, goodRequest(GOOD))).text);
          const ops = parseResponse((await rawRequest(agent.port, goodRequest(OPS))).text);
          if (flags?.status !== 200 || flags.body !== good.flags) fail(`a rejected reload changed what is served for flags: ${flags?.status} ${flags?.body.slice(0, 200)}`);
          if (ops?.status !== 200 || ops.body !== good.ops) fail(`a rejected reload changed what is served for ops: ${ops?.status} ${ops?.body.slice(0, 200)}`);
        }),
        fuzzParams(150, RELOAD_LIMIT_MS),
      );
      resetWorkspace(ws);
      expect(agent.reload()).toBe(true);
    },
    jestTimeout(RELOAD_LIMIT_MS),
  );
});
