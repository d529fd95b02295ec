/**
 * The OpenFeature web provider end to end in a real Chromium, beside browser-e2e.test.ts
 * (the plain client): an application page, server-rendered with the BFF's snapshot, loads
 * `@openfeature/web-sdk` through an import map (no bundler), sets DynconfWebProvider, and
 * follows flag edits in the workspace. Local agent on a temporary copy of config/ and
 * flags/, the BFF mounted in the application's own server, all on 127.0.0.1.
 */
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { Client, EvaluationDetails } from '@openfeature/web-sdk';
import { BffGateway } from '../../lib/runtime/bff';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { editBetaFlag, launchChromium, requireChromium, WAIT } from './browser-support';
import { listen } from './helpers';

const APP = 'groupsync-v3';

/** What the application's server serves besides the BFF: ES modules, as files on disk. */
const MODULES: Readonly<Record<string, string>> = {
  '/vendor/openfeature-web-sdk.js': path.join(REPO_ROOT, 'node_modules/@openfeature/web-sdk/dist/esm/index.js'),
  '/vendor/openfeature-core.js': path.join(REPO_ROOT, 'node_modules/@openfeature/core/dist/esm/index.js'),
  '/lib/openfeature-provider.js': path.join(REPO_ROOT, 'lib/runtime/browser/openfeature-provider.js'),
  '/lib/dynconf-client.js': path.join(REPO_ROOT, 'lib/runtime/browser/dynconf-client.js'),
};

/**
 * The page's own script: counts the messages the BFF's socket delivers (to show that the
 * provider was ready before any arrived), records provider events, sets the provider.
 */
const APP_SCRIPT = `
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { DynconfWebProvider } from '/lib/openfeature-provider.js';
const Native = window.WebSocket;
window.__messages = 0;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => window.__messages++);
  }
};
window.__events = [];
for (const type of Object.values(ProviderEvents)) {
  OpenFeature.addHandler(type, (details) => window.__events.push({ type, flagsChanged: details && details.flagsChanged }));
}
await OpenFeature.setProviderAndWait(new DynconfWebProvider());
window.__messagesAtReady = window.__messages;
window.__client = OpenFeature.getClient();
`;

interface PageGlobals {
  __messages: number;
  __messagesAtReady?: number;
  __events: { type: string; flagsChanged?: string[] }[];
  __client?: Client;
}

async function startApp(agentUrl: string, port = 0) {
  const gateway = new BffGateway({ agentUrl, application: APP, environment: 'beta', pollIntervalMs: 200 });
  await gateway.start();
  const page = async (req: IncomingMessage, res: ServerResponse) => {
    const importMap = JSON.stringify({ imports: { '@openfeature/web-sdk': '/vendor/openfeature-web-sdk.js', '@openfeature/core': '/vendor/openfeature-core.js' } });
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>app</title><script type="importmap">${importMap}</script></head><body>${await gateway.renderSnapshotScript(req)}<script type="module" src="/app.js"></script></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  };
  const server = await listen((req, res) => {
    if (gateway.handleRequest(req, res)) return;
    const url = req.url ?? '/';
    const js = { 'content-type': 'text/javascript; charset=utf-8' };
    if (url === '/app') void page(req, res);
    else if (url === '/app.js') res.writeHead(200, js).end(APP_SCRIPT);
    else if (MODULES[url]) res.writeHead(200, js).end(fs.readFileSync(MODULES[url]));
    else res.writeHead(404).end();
  }, port);
  gateway.attach(server.server);
  return {
    url: server.url,
    port: server.port,
    async close() {
      await gateway.close();
      await server.close();
    },
  };
}

describe('OpenFeature web provider end to end (Chromium)', () => {
  let root: string;
  let profileDir: string;
  let agent: LocalAgent;
  let app: Awaited<ReturnType<typeof startApp>>;
  let context: BrowserContext;
  let page: Page;

  const editFlag = (key: string, beta: Record<string, unknown>) => editBetaFlag(root, APP, key, beta);
  const events = () => page.evaluate(() => (window as unknown as PageGlobals).__events);
  const details = (kind: 'Boolean' | 'String', key: string, fallback: boolean | string) =>
    page.evaluate(([k, f, n]) => {
      const c = (window as unknown as PageGlobals).__client!;
      return (n === 'Boolean' ? c.getBooleanDetails(k as string, f as boolean) : c.getStringDetails(k as string, f as string)) as EvaluationDetails<boolean | string>;
    }, [key, fallback, kind] as const);

  beforeAll(async () => {
    requireChromium();
    root = copySample();
    profileDir = tempDir('dynconf-chromium-');
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20 });
    app = await startApp(agent.url);
    context = await launchChromium(profileDir);
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await app?.close();
    await agent?.close();
    // Set only once beforeAll got that far: a missing browser must be the one error shown.
    if (root) rmrf(root);
    if (profileDir) rmrf(profileDir);
  });

  test('the provider starts from the server-rendered snapshot, resolves only browser flags, and follows a flag edit', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}/app`);
    await page.waitForFunction(() => (window as unknown as PageGlobals).__client !== undefined, undefined, WAIT);
    expect(errors).toEqual([]);
    // READY came from the embedded snapshot: no socket message had arrived.
    expect(await page.evaluate(() => (window as unknown as PageGlobals).__messagesAtReady)).toBe(0);
    expect(await details('Boolean', 'new-group-editor', false)).toMatchObject({ value: true, reason: 'STATIC' });
    expect(await details('Boolean', 'realtime-presence', true)).toMatchObject({ value: false, variant: 'off', reason: 'TARGETING_MATCH' });
    expect(await details('String', 'theme.scheme', 'system')).toMatchObject({ value: 'dark', reason: 'STATIC' });
    // Server-only flags: not in the page, not guessed (directory-connector-v2 is on in beta).
    expect(await details('Boolean', 'directory-connector-v2', false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await details('Boolean', 'bulk-sync-batch', false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await page.content()).not.toMatch(/bulk-sync-batch"|directory-connector-v2"/);

    // The socket's snapshot on connect, then an edit in the workspace.
    await page.waitForFunction(() => (window as unknown as PageGlobals).__messages >= 1, undefined, WAIT);
    editFlag('new-group-editor', { enabled: false });
    await page.waitForFunction(() => (window as unknown as PageGlobals).__events.some((e) => e.type === 'PROVIDER_CONFIGURATION_CHANGED'), undefined, WAIT);
    expect(await events()).toEqual([
      { type: 'PROVIDER_READY' },
      { type: 'PROVIDER_CONFIGURATION_CHANGED', flagsChanged: ['new-group-editor'] },
    ]);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).__client!.getBooleanValue('new-group-editor', true))).toBe(false);
  });

  test('the provider is STALE while the BFF is gone and READY when it is back, then follows edits again', async () => {
    const port = app.port;
    await app.close();
    await page.waitForFunction(() => (window as unknown as PageGlobals).__events.some((e) => e.type === 'PROVIDER_STALE'), undefined, WAIT);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).__client!.providerStatus)).toBe('STALE');
    expect(await details('Boolean', 'new-group-editor', true)).toMatchObject({ value: false, reason: 'STALE' });

    app = await startApp(agent.url, port);
    await page.waitForFunction(() => (window as unknown as PageGlobals).__events.at(-1)?.type === 'PROVIDER_READY', undefined, WAIT);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).__client!.providerStatus)).toBe('READY');
    editFlag('theme', { enabled: true, scheme: 'light', accent: '#8250df' });
    await page.waitForFunction(() => (window as unknown as PageGlobals).__events.at(-1)?.type === 'PROVIDER_CONFIGURATION_CHANGED', undefined, WAIT);
    expect((await events()).slice(2)).toEqual([{ type: 'PROVIDER_STALE' }, { type: 'PROVIDER_READY' }, { type: 'PROVIDER_CONFIGURATION_CHANGED', flagsChanged: ['theme'] }]);
    expect(await details('String', 'theme.scheme', 'system')).toMatchObject({ value: 'light', reason: 'STATIC' });
  });
});
