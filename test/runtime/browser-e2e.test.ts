/**
 * End to end in a real Chromium: the demo page loads from the BFF, a flag file is edited,
 * the page shows the change. Local agent on a temporary copy of config/ and flags/, BFF
 * against it, both on 127.0.0.1.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { BffGateway } from '../../lib/runtime/bff';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf, tempDir } from '../support/workspace';
import { editBetaFlag, launchChromium, requireChromium, WAIT } from './browser-support';
import { listen } from './helpers';

const APP = 'groupsync-v3';

async function startBff(agentUrl: string, port = 0) {
  const gateway = new BffGateway({ agentUrl, application: APP, environment: 'beta', pollIntervalMs: 200, demoPage: true });
  await gateway.start();
  const server = await listen((req, res) => {
    if (!gateway.handleRequest(req, res)) res.writeHead(404).end();
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

describe('browser end to end (Chromium)', () => {
  let root: string;
  let profileDir: string;
  let agent: LocalAgent;
  let bff: Awaited<ReturnType<typeof startBff>>;
  let context: BrowserContext;
  let page: Page;

  const editFlag = (key: string, beta: Record<string, unknown>) => editBetaFlag(root, APP, key, beta);

  beforeAll(async () => {
    requireChromium();
    root = copySample();
    profileDir = tempDir('dynconf-chromium-');
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20 });
    bff = await startBff(agent.url);
    context = await launchChromium(profileDir);
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await bff?.close();
    await agent?.close();
    // Set only once beforeAll got that far: a missing browser must be the one error shown.
    if (root) rmrf(root);
    if (profileDir) rmrf(profileDir);
  });

  test('the demo page shows a flag edit, and follows the BFF through a restart', async () => {
    await page.goto(`${bff.url}/config/demo`);
    // The first paint comes from the snapshot embedded in the HTML.
    await page.waitForSelector('li[data-flag="new-group-editor"][data-enabled="true"]', WAIT);
    await page.waitForSelector('#status[data-status="open"]', WAIT);
    const shown = await page.$$eval('li[data-flag]', (els) => els.map((e) => e.getAttribute('data-flag')));
    expect(shown.sort()).toEqual(['new-group-editor', 'realtime-presence', 'theme']);
    expect(await page.content()).not.toMatch(/bulk-sync-batch|directory-connector-v2/);

    editFlag('new-group-editor', { enabled: false });
    await page.waitForSelector('li[data-flag="new-group-editor"][data-enabled="false"]', WAIT);
    expect(await page.textContent('#updates')).toBe('1');

    // The BFF goes away and comes back on the same port: the page reconnects by itself.
    const port = bff.port;
    await bff.close();
    await page.waitForSelector('#status[data-status="reconnecting"]', WAIT);
    bff = await startBff(agent.url, port);
    await page.waitForSelector('#status[data-status="open"]', WAIT);
    editFlag('theme', { enabled: true, scheme: 'light', accent: '#8250df' });
    await page.waitForFunction(() => document.querySelector('li[data-flag="theme"] .attributes')?.textContent?.includes('"scheme":"light"'), undefined, WAIT);
    expect(await page.content()).not.toMatch(/bulk-sync-batch|directory-connector-v2/);
  });

  test('the browser client backs off exponentially with jitter, within its bounds', async () => {
    // A string, not a function: the test's compiler would rewrite a dynamic import() for Node.
    const delays = (await page.evaluate(`(async () => {
      const { backoffDelay } = await import('/config/client.js');
      return {
        low: [0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 30000, () => 0)),
        high: [0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 30000, () => 1)),
      };
    })()`)) as { low: number[]; high: number[] };
    expect(delays.low).toEqual([250, 500, 1000, 2000, 15_000]);
    expect(delays.high).toEqual([500, 1000, 2000, 4000, 30_000]);
  });
});
