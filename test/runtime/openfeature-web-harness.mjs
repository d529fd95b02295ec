/* global process, setTimeout, URL */
/**
 * Runs one scenario of test/runtime/openfeature-web.test.ts in a fresh Node process, on the
 * provider's real ES module and the web SDK's real ES build (what a bundler resolves), with
 * the browser globals the provider touches faked: document (the embedded snapshot), window
 * (the page's URL) and WebSocket (driven by the scenario). Jest runs the tests as CommonJS
 * and cannot import an ES module; a fresh process also gives each scenario its own
 * OpenFeature singleton.
 *
 * stdin: {"source": "<an async function's text>", "embedded": "<element text>" | null}
 * stdout: {"ok": true, "result": <what the function returned>} or {"ok": false, "error": "..."}
 */
import { readFileSync } from 'node:fs';

/** A WebSocket the scenario drives: it never touches the network. */
class FakeWebSocket {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.closedBy = undefined;
    FakeWebSocket.instances.push(this);
  }
  static get last() {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  send() {
    throw new Error('the provider must never send anything: the server decides the context');
  }
  /** A server message; an object is sent as JSON text. */
  message(data) {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  /** The connection is lost (the server went away). */
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
  close(code, reason) {
    this.closedBy = { code, reason };
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait (bounded, so a broken run fails instead of hanging) until check() is truthy. */
async function until(what, check) {
  for (let i = 0; i < 2000; i++) {
    const v = check();
    if (v) return v;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const out = (v) => process.stdout.write(JSON.stringify(v));
try {
  globalThis.WebSocket = FakeWebSocket;
  globalThis.window = { URL, location: { href: 'http://127.0.0.1:8080/app/page' } };
  const consoleErrors = [];
  globalThis.console.error = (...args) => consoleErrors.push(args.map(String).join(' '));
  globalThis.document = {
    getElementById: (id) => (id === 'dynconf-snapshot' && input.embedded !== null ? { textContent: input.embedded } : null),
  };
  const sdk = await import('@openfeature/web-sdk');
  const { DynconfWebProvider, changedFlags } = await import('../../lib/runtime/browser/openfeature-provider.js');
  // Events as the application sees them, in order.
  const events = [];
  for (const type of Object.values(sdk.ProviderEvents)) {
    sdk.OpenFeature.addHandler(type, (details) => events.push({ type, flagsChanged: details?.flagsChanged, message: details?.message }));
  }
  const fn = (0, eval)(`(${input.source})`);
  const result = await fn({ ...sdk, DynconfWebProvider, changedFlags, FakeWebSocket, events, consoleErrors, until, sleep });
  await sdk.OpenFeature.close();
  out({ ok: true, result: result ?? null });
} catch (e) {
  out({ ok: false, error: e instanceof Error ? e.stack : String(e) });
}
