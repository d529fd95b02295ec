/**
 * The browser profile going away (every browser flag now `exposure: server`): the agent
 * answers 404 for a profile it served, and the BFF must stop serving those flags everywhere:
 * GET /config, server-side rendering, connected sockets and new ones. A 5xx or a dead agent is
 * not that, and keeps the last good snapshot.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { EMPTY_SNAPSHOT } from '../../lib/runtime/bff';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, listen, mountBff, waitFor } from './helpers';

const APP = 'groupsync-v3';
const EMPTY = { version: '', flags: {} };

type Snapshot = { type: string; version: string; flags: Record<string, unknown> };

class Recorder {
  readonly frames: Snapshot[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data) => this.frames.push(JSON.parse(String(data))));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
  }
  last(): Snapshot | undefined {
    return this.frames.at(-1);
  }
  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

function mount(agentUrl: string, logs: string[], contextFor?: (req: http.IncomingMessage) => Record<string, string> | undefined) {
  return mountBff({ agentUrl, application: APP, environment: 'beta', pollIntervalMs: 3_600_000, demoPage: true, log: (l) => logs.push(l), ...(contextFor ? { contextFor } : {}) });
}

const session = (req: http.IncomingMessage) => (/session=team/.test(req.headers.cookie ?? '') ? { plan: 'team', userId: 'u-1' } : undefined);

describe('BFF: a browser profile that goes away (404) clears the snapshot everywhere', () => {
  test('bff: a 404 for a browser profile that existed clears GET /config, SSR and every socket (real local agent)', async () => {
    const root = copySample();
    const agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20 });
    const logs: string[] = [];
    const bff = await mount(agent.url, logs, session);
    const browserProfile = `${agent.url}/applications/${APP}/environments/beta/configurations/browser`;
    try {
      const plain = new Recorder(bff.ws);
      const team = new Recorder(bff.ws, { cookie: 'session=team' });
      await Promise.all([plain.opened, team.opened]);
      await waitFor('both first snapshots', () => plain.frames.length >= 1 && team.frames.length >= 1);
      const browserKeys = Object.keys(plain.last()!.flags);
      // The test can fail: these flags are served before the change.
      expect(browserKeys.sort()).toEqual(['new-group-editor', 'realtime-presence', 'theme']);
      expect(team.last()!.flags['realtime-presence']).toMatchObject({ _variant: 'paid-plans' });

      // Every browser flag becomes server-only: the app has no browser profile any more.
      const file = path.join(root, 'flags', `${APP}.json`);
      const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const flag of Object.values(doc.flags) as { exposure?: string }[]) flag.exposure = 'server';
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));
      await waitFor('the agent to answer 404 for the browser profile', async () => (await get(browserProfile)).status === 404);

      expect(await bff.gateway.refresh()).toBe(true);
      await waitFor('both connected clients to get the empty set', () => plain.frames.length >= 2 && team.frames.length >= 2);
      expect(plain.last()).toEqual({ type: 'snapshot', ...EMPTY });
      expect(team.last()).toEqual({ type: 'snapshot', ...EMPTY });

      const config = await get(`${bff.url}/config`);
      expect(config.status).toBe(200);
      expect(JSON.parse(config.body)).toEqual(EMPTY);
      // The context path asks the agent again: it must not fall back to the old flags.
      expect(JSON.parse((await get(`${bff.url}/config`, { cookie: 'session=team' })).body)).toEqual(EMPTY);
      const ssr = await bff.gateway.renderSnapshotScript({ headers: { cookie: 'session=team' } } as http.IncomingMessage);
      expect(ssr).toBe('<script type="application/json" id="dynconf-snapshot">{"version":"","flags":{}}</script>');
      const page = (await get(`${bff.url}/config/demo`)).body;

      const later = new Recorder(bff.ws);
      const laterTeam = new Recorder(bff.ws, { cookie: 'session=team' });
      await Promise.all([later.opened, laterTeam.opened]);
      await waitFor('the new clients to get a snapshot', () => later.frames.length >= 1 && laterTeam.frames.length >= 1);
      expect(later.frames).toEqual([{ type: 'snapshot', ...EMPTY }]);
      expect(laterTeam.frames).toEqual([{ type: 'snapshot', ...EMPTY }]);

      for (const text of [config.body, ssr, page, JSON.stringify([plain.last(), team.last(), later.frames, laterTeam.frames])]) {
        for (const key of browserKeys) expect(text).not.toContain(key);
      }
      expect(logs.join('\n')).toMatch(/browser profile of groupsync-v3 in beta is gone .*404.*serving no flags .*told 2 connected clients/);
      // Another 404 changes nothing and says nothing more.
      const logCount = logs.length;
      expect(await bff.gateway.refresh()).toBe(false);
      expect(logs).toHaveLength(logCount);
      expect(plain.frames).toHaveLength(2);
      await Promise.all([plain, team, later, laterTeam].map((c) => c.close()));
    } finally {
      await bff.close();
      await agent.close();
      rmrf(root);
    }
  });

  test('bff: 5xx and an unreachable agent keep the last good snapshot; a 404 clears it; the profile coming back restores it', async () => {
    // A fake agent whose answer the test sets.
    let mode: 'ok' | '500' | '404' = 'ok';
    const body = JSON.stringify({ theme: { enabled: true, scheme: 'dark' } });
    const upstream = await listen((_req, res) => {
      if (mode === 'ok') res.writeHead(200, { 'content-type': 'application/json', 'configuration-version': 'v7' }).end(body);
      else res.writeHead(Number(mode), { 'content-type': 'text/plain' }).end(mode === '404' ? 'no such configuration\n' : 'boom\n');
    });
    const logs: string[] = [];
    const bff = await mount(upstream.url, logs);
    const client = new Recorder(bff.ws);
    try {
      await client.opened;
      await waitFor('the first snapshot', () => client.frames.length === 1);
      const good = { version: 'v7', flags: { theme: { enabled: true, scheme: 'dark' } } };
      expect(JSON.parse((await get(`${bff.url}/config`)).body)).toEqual(good);

      mode = '500';
      expect(await bff.gateway.refresh()).toBe(false);
      expect(JSON.parse((await get(`${bff.url}/config`)).body)).toEqual(good);
      expect(bff.gateway.snapshot()).toEqual(good);

      mode = '404';
      expect(await bff.gateway.refresh()).toBe(true);
      await waitFor('the empty set to be pushed', () => client.frames.length === 2);
      expect(client.last()).toEqual({ type: 'snapshot', ...EMPTY });
      expect(JSON.parse((await get(`${bff.url}/config`)).body)).toEqual(EMPTY);
      expect(bff.gateway.snapshot()).toEqual(EMPTY_SNAPSHOT);

      // Back with the very content and version it had: still a change for browsers.
      mode = 'ok';
      expect(await bff.gateway.refresh()).toBe(true);
      await waitFor('the flags to be pushed again', () => client.frames.length === 3);
      expect(client.last()).toEqual({ type: 'snapshot', ...good });
      expect(JSON.parse((await get(`${bff.url}/config`)).body)).toEqual(good);
      expect(logs.join('\n')).toMatch(/is back \(version v7\)/);

      // The agent goes away entirely: not a 404, so the last good snapshot stays.
      await upstream.close();
      expect(await bff.gateway.refresh()).toBe(false);
      expect(JSON.parse((await get(`${bff.url}/config`)).body)).toEqual(good);
      expect(client.frames).toHaveLength(3);
      await client.close();
    } finally {
      await bff.close();
      await upstream.close();
    }
  });
});
