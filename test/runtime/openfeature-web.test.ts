/**
 * The OpenFeature web provider (lib/runtime/browser/openfeature-provider.js) in Node, with a
 * WebSocket the test drives. Each scenario is a self-contained function run by
 * openfeature-web-harness.mjs in a fresh process (the provider is an ES module; Jest runs
 * CommonJS): it may use only what the harness passes in, and returns what it observed. The
 * assertions are made here. The same provider against a real BFF in Chromium:
 * browser-openfeature.test.ts.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type * as Sdk from '@openfeature/web-sdk';
import type { DynconfWebProvider, DynconfWebProviderOptions, changedFlags } from '../../lib/runtime/browser/openfeature-provider.js';

interface FakeSocket {
  readonly url: string;
  readonly closedBy?: { code: number; reason: string };
  open(): void;
  message(data: unknown): void;
  drop(): void;
}

interface Harness extends Omit<typeof Sdk, 'OpenFeature'> {
  OpenFeature: typeof Sdk.OpenFeature;
  DynconfWebProvider: new (options?: DynconfWebProviderOptions) => DynconfWebProvider;
  changedFlags: typeof changedFlags;
  FakeWebSocket: { instances: FakeSocket[]; last: FakeSocket };
  /** Every provider event the application saw, in order. */
  events: { type: string; flagsChanged?: string[]; message?: string }[];
  consoleErrors: string[];
  until<T>(what: string, check: () => T): Promise<T>;
  sleep(ms: number): Promise<void>;
}

const HARNESS = path.join(__dirname, 'openfeature-web-harness.mjs');

/** The browser profile of groupsync-v3 in beta, as the BFF sends it (no context). */
const SNAPSHOT = {
  version: 'v1',
  flags: {
    'new-group-editor': { enabled: true },
    theme: { enabled: true, scheme: 'dark', accent: '#8250df' },
    'realtime-presence': { enabled: false, _variant: 'off' },
  },
};

async function scenario<T>(fn: (h: Harness) => Promise<T>, embedded: string | null = JSON.stringify(SNAPSHOT)): Promise<T> {
  const child = spawn(process.execPath, [HARNESS], { stdio: ['pipe', 'pipe', 'pipe'], cwd: path.join(__dirname, '../..') });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  // Bounds a hung run only; nothing here measures time.
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdin.end(JSON.stringify({ source: fn.toString(), embedded }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(kill);
  let answer: { ok: true; result: T } | { ok: false; error: string };
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw new Error(`the harness exited with ${code} and no answer; stderr: ${stderr}`);
  }
  if (!answer.ok) throw new Error(`scenario failed: ${answer.error}`);
  return answer.result;
}

describe('OpenFeature web provider', () => {
  test('with a snapshot embedded in the page it is READY before the socket has said anything', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider());
      const client = OpenFeature.getClient();
      return {
        status: client.providerStatus,
        socket: FakeWebSocket.instances.map((s) => s.url),
        editor: client.getBooleanDetails('new-group-editor', false),
        events: events.map((e) => e.type),
      };
    });
    // The socket exists but was never opened: the values come from the page.
    expect(r.socket).toEqual(['ws://127.0.0.1:8080/config/ws']);
    expect(r.status).toBe('READY');
    expect(r.editor).toEqual({ flagKey: 'new-group-editor', value: true, reason: 'STATIC', flagMetadata: { version: 'v1' } });
    expect(r.events).toEqual(['PROVIDER_READY']);
  });

  test('a flag the browser profile does not carry is FLAG_NOT_FOUND with the caller default, never a guess', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider());
      const c = OpenFeature.getClient();
      return {
        serverOnlyTrue: c.getBooleanDetails('bulk-sync-batch', true),
        serverOnlyFalse: c.getBooleanValue('bulk-sync-batch', false),
        inherited: ['constructor', '__proto__', 'toString'].map((k) => c.getBooleanDetails(k, false).errorCode),
        attribute: c.getStringDetails('theme.font', 'serif'),
        attributeOfMissing: c.getNumberDetails('bulk-sync-batch.batchSize', 7),
      };
    });
    expect(r.serverOnlyTrue).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(r.serverOnlyTrue.errorMessage).toBe(`flag 'bulk-sync-batch' is not in the browser profile (only flags with "exposure": "browser" reach a browser)`);
    expect(r.serverOnlyFalse).toBe(false);
    expect(r.inherited).toEqual(['FLAG_NOT_FOUND', 'FLAG_NOT_FOUND', 'FLAG_NOT_FOUND']);
    expect(r.attribute).toMatchObject({ value: 'serif', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: "flag 'theme' has no attribute 'font'" });
    expect(r.attributeOfMissing).toMatchObject({ value: 7, errorCode: 'FLAG_NOT_FOUND' });
  });

  test('values map like the server provider: enabled, <flag>.<attribute>, the whole flag, with variant and reason', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider }) => {
      const snapshot = {
        version: 'v9',
        flags: {
          theme: { enabled: true, scheme: 'dark', tags: ['a'] },
          presence: { enabled: true, heartbeatSeconds: 15, _variant: 'paid-plans' },
        },
      };
      await OpenFeature.setProviderAndWait(new DynconfWebProvider({ initial: snapshot }));
      const c = OpenFeature.getClient();
      const whole = c.getObjectValue('theme', {}) as Record<string, unknown>;
      whole.scheme = 'edited by the page';
      return {
        scheme: c.getStringDetails('theme.scheme', 'light'),
        heartbeat: c.getNumberDetails('presence.heartbeatSeconds', 60),
        presence: c.getBooleanDetails('presence', false),
        variantAttribute: c.getStringValue('presence._variant', ''),
        enabledAttribute: c.getBooleanValue('theme.enabled', false),
        object: c.getObjectDetails('theme', {}),
        array: c.getObjectValue('theme.tags', []),
      };
    }, null);
    expect(r.scheme).toEqual({ flagKey: 'theme.scheme', value: 'dark', reason: 'STATIC', flagMetadata: { version: 'v9' } });
    expect(r.heartbeat).toEqual({ flagKey: 'presence.heartbeatSeconds', value: 15, variant: 'paid-plans', reason: 'TARGETING_MATCH', flagMetadata: { version: 'v9' } });
    expect(r.presence).toMatchObject({ value: true, variant: 'paid-plans', reason: 'TARGETING_MATCH' });
    expect(r.variantAttribute).toBe('paid-plans');
    expect(r.enabledAttribute).toBe(true);
    // The page edited the object it got; the snapshot did not change.
    expect(r.object).toMatchObject({ value: { enabled: true, scheme: 'dark', tags: ['a'] }, reason: 'STATIC' });
    expect(r.array).toEqual(['a']);
  });

  test('a value of another type is TYPE_MISMATCH with the caller default', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider());
      const c = OpenFeature.getClient();
      return [c.getStringDetails('theme', 'x'), c.getNumberDetails('theme.scheme', 1), c.getBooleanDetails('theme.accent', true), c.getObjectDetails('theme.scheme', { a: 1 })].map((d) => [d.value, d.reason, d.errorCode, d.errorMessage]);
    });
    expect(r).toEqual([
      ['x', 'ERROR', 'TYPE_MISMATCH', "'theme' is object, not a string"],
      [1, 'ERROR', 'TYPE_MISMATCH', "'theme.scheme' is string, not a number"],
      [true, 'ERROR', 'TYPE_MISMATCH', "'theme.accent' is string, not a boolean"],
      [{ a: 1 }, 'ERROR', 'TYPE_MISMATCH', "'theme.scheme' is string, not an object"],
    ]);
  });

  test('a change pushed on the socket fires ConfigurationChanged with the changed, added and removed flag keys', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider());
      const c = OpenFeature.getClient();
      const socket = FakeWebSocket.last;
      socket.open();
      // The server's snapshot on connect: the same flags, so nothing changed.
      socket.message({ type: 'snapshot', version: 'v1', flags: { 'new-group-editor': { enabled: true }, theme: { enabled: true, scheme: 'dark', accent: '#8250df' }, 'realtime-presence': { enabled: false, _variant: 'off' } } });
      const afterConnect = events.length;
      socket.message({ type: 'snapshot', version: 'v2', flags: { 'new-group-editor': { enabled: false }, theme: { enabled: true, scheme: 'dark', accent: '#8250df' }, 'dark-mode': { enabled: true } } });
      // Not a snapshot, or not one at all: ignored, as by the plain client.
      socket.message({ type: 'hello' });
      socket.message('not json');
      return {
        afterConnect,
        events: events.map((e) => [e.type, e.flagsChanged]),
        editor: c.getBooleanDetails('new-group-editor', true),
        presence: c.getBooleanDetails('realtime-presence', true).errorCode,
        darkMode: c.getBooleanValue('dark-mode', false),
      };
    });
    expect(r.afterConnect).toBe(1);
    expect(r.events).toEqual([
      ['PROVIDER_READY', null],
      ['PROVIDER_CONFIGURATION_CHANGED', ['dark-mode', 'new-group-editor', 'realtime-presence']],
    ]);
    expect(r.editor).toMatchObject({ value: false, reason: 'STATIC', flagMetadata: { version: 'v2' } });
    expect(r.presence).toBe('FLAG_NOT_FOUND');
    expect(r.darkMode).toBe(true);
  });

  test('a lost socket makes it STALE (values kept, reason STALE) once, and the next snapshot READY again', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events, until }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider({ minDelayMs: 1, maxDelayMs: 4 }));
      const c = OpenFeature.getClient();
      const snapshot = { type: 'snapshot', version: 'v1', flags: { 'new-group-editor': { enabled: true }, theme: { enabled: true, scheme: 'dark', accent: '#8250df' }, 'realtime-presence': { enabled: false, _variant: 'off' } } };
      FakeWebSocket.last.open();
      FakeWebSocket.last.message(snapshot);
      FakeWebSocket.last.drop();
      const stale = { status: c.providerStatus, editor: c.getBooleanDetails('new-group-editor', false) };
      // Reconnect attempts that fail again say nothing new.
      await until('a second attempt', () => FakeWebSocket.instances.length === 2);
      FakeWebSocket.last.drop();
      await until('a third attempt', () => FakeWebSocket.instances.length === 3);
      const whileDown = events.map((e) => e.type);
      // Back, with the same flags: READY, and no ConfigurationChanged.
      FakeWebSocket.last.open();
      const openOnly = c.providerStatus;
      FakeWebSocket.last.message(snapshot);
      return { stale, whileDown, openOnly, status: c.providerStatus, editor: c.getBooleanDetails('new-group-editor', false), events: events.map((e) => [e.type, e.message]) };
    });
    expect(r.stale.status).toBe('STALE');
    expect(r.stale.editor).toMatchObject({ value: true, reason: 'STALE' });
    expect(r.whileDown).toEqual(['PROVIDER_READY', 'PROVIDER_STALE']);
    // An open socket is not yet proof of current values: the snapshot is.
    expect(r.openOnly).toBe('STALE');
    expect(r.status).toBe('READY');
    expect(r.editor).toMatchObject({ value: true, reason: 'STATIC' });
    expect(r.events).toEqual([
      ['PROVIDER_READY', null],
      ['PROVIDER_STALE', 'lost the connection to ws://127.0.0.1:8080/config/ws; serving version v1 until it is back'],
      ['PROVIDER_READY', 'ws://127.0.0.1:8080/config/ws is back (version v1)'],
    ]);
  });

  test('without an embedded snapshot, initialization waits for the socket and settles with its first snapshot', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events, sleep }) => {
      let settled = false;
      const ready = OpenFeature.setProviderAndWait(new DynconfWebProvider({ url: 'wss://flags.example.com/cfg/ws' })).then(() => (settled = true));
      const c = OpenFeature.getClient();
      await sleep(20);
      const before = { settled, status: c.providerStatus, editor: c.getBooleanDetails('new-group-editor', false).errorCode };
      FakeWebSocket.last.open();
      FakeWebSocket.last.message({ type: 'snapshot', version: 'v3', flags: { 'new-group-editor': { enabled: true } } });
      await ready;
      return { url: FakeWebSocket.last.url, before, status: c.providerStatus, editor: c.getBooleanValue('new-group-editor', false), events: events.map((e) => e.type) };
    }, null);
    expect(r.url).toBe('wss://flags.example.com/cfg/ws');
    expect(r.before).toEqual({ settled: false, status: 'NOT_READY', editor: 'PROVIDER_NOT_READY' });
    expect(r.status).toBe('READY');
    expect(r.editor).toBe(true);
    expect(r.events).toEqual(['PROVIDER_READY']);
  });

  test('without a snapshot, a socket that fails first makes initialization fail, and the first snapshot later makes it READY', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events, until }) => {
      const waiting = OpenFeature.setProviderAndWait(new DynconfWebProvider({ minDelayMs: 1, maxDelayMs: 4 })).then(
        () => 'resolved',
        (e: Error) => e.message,
      );
      const c = OpenFeature.getClient();
      FakeWebSocket.last.drop();
      const failure = await waiting;
      const failed = { status: c.providerStatus, editor: c.getBooleanDetails('new-group-editor', true) };
      await until('a second attempt', () => FakeWebSocket.instances.length === 2);
      FakeWebSocket.last.open();
      FakeWebSocket.last.message({ type: 'snapshot', version: 'v4', flags: { 'new-group-editor': { enabled: false }, theme: { enabled: true } } });
      return { failure, failed, status: c.providerStatus, editor: c.getBooleanValue('new-group-editor', true), events: events.map((e) => [e.type, e.flagsChanged]) };
    }, null);
    expect(r.failure).toBe('no snapshot was embedded in the page and ws://127.0.0.1:8080/config/ws closed before sending one; retrying');
    expect(r.failed.status).toBe('ERROR');
    expect(r.failed.editor).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    expect(r.status).toBe('READY');
    expect(r.editor).toBe(false);
    expect(r.events).toEqual([
      ['PROVIDER_ERROR', null],
      ['PROVIDER_READY', null],
      ['PROVIDER_CONFIGURATION_CHANGED', ['new-group-editor', 'theme']],
    ]);
  });

  test('a damaged embedded snapshot is reported, not taken for an empty one', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, consoleErrors }) => {
      const waiting = OpenFeature.setProviderAndWait(new DynconfWebProvider()).then(() => 'resolved');
      const before = OpenFeature.getClient().getBooleanDetails('new-group-editor', false).errorCode;
      FakeWebSocket.last.open();
      FakeWebSocket.last.message({ type: 'snapshot', version: 'v5', flags: { 'new-group-editor': { enabled: true } } });
      return { consoleErrors, before, settled: await waiting, editor: OpenFeature.getClient().getBooleanValue('new-group-editor', false) };
    }, '{"version": "v1", "flags": ');
    expect(r.consoleErrors).toEqual(['dynconf: the element #dynconf-snapshot does not hold a snapshot ({"version": "...", "flags": {...}}); waiting for ws://127.0.0.1:8080/config/ws instead']);
    expect(r.before).toBe('PROVIDER_NOT_READY');
    expect(r.settled).toBe('resolved');
    expect(r.editor).toBe(true);
  });

  test('the page context changes no value (static context: the server decides variants), and a STALE provider stays STALE', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, events }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider());
      const c = OpenFeature.getClient();
      const before = c.getBooleanDetails('realtime-presence', true);
      await OpenFeature.setContext({ targetingKey: 'u-1', plan: 'enterprise' });
      const after = c.getBooleanDetails('realtime-presence', true);
      const statusAfterContext = c.providerStatus;
      FakeWebSocket.last.drop();
      await OpenFeature.setContext({ targetingKey: 'u-2', plan: 'team' });
      return { before, after, statusAfterContext, staleAfterContext: c.providerStatus, events: events.map((e) => e.type) };
    });
    expect(r.before).toMatchObject({ value: false, variant: 'off', reason: 'TARGETING_MATCH' });
    expect(r.after).toEqual(r.before);
    expect(r.statusAfterContext).toBe('READY');
    // The SDK marks a provider READY after any context change; the provider says STALE again.
    expect(r.staleAfterContext).toBe('STALE');
    // No RECONCILING: there is nothing to fetch for a new context.
    expect(r.events).toEqual(['PROVIDER_READY', 'PROVIDER_CONTEXT_CHANGED', 'PROVIDER_STALE', 'PROVIDER_CONTEXT_CHANGED', 'PROVIDER_STALE']);
  });

  test('closing OpenFeature closes the socket and stops reconnecting', async () => {
    const r = await scenario(async ({ OpenFeature, DynconfWebProvider, FakeWebSocket, sleep }) => {
      await OpenFeature.setProviderAndWait(new DynconfWebProvider({ minDelayMs: 1, maxDelayMs: 2 }));
      FakeWebSocket.last.open();
      await OpenFeature.close();
      await sleep(30);
      return { closedBy: FakeWebSocket.last.closedBy, sockets: FakeWebSocket.instances.length };
    });
    expect(r.closedBy).toEqual({ code: 1000, reason: 'closed by the page' });
    expect(r.sockets).toBe(1);
  });

  test('changedFlags names added, removed and changed flags, sorted', async () => {
    const r = await scenario(async ({ changedFlags }) => changedFlags({ a: { enabled: true }, b: { enabled: true }, c: { enabled: false } }, { c: { enabled: true }, a: { enabled: true }, d: { enabled: false } }));
    expect(r).toEqual(['b', 'c', 'd']);
  });
});
