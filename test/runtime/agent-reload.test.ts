/**
 * Whatever the loader does, `dynconf agent` stays up: a bug that makes the loader throw
 * (rather than return located diagnostics) is logged with the files that changed, and the last
 * good version stays served. The loader is wrapped here so that it throws on demand: the
 * inputs that made it throw in the past get fixed, and this must hold for the next one too.
 */
import * as fs from 'node:fs';
import type * as NodeFs from 'node:fs';
import * as path from 'node:path';
import type * as NodePath from 'node:path';
import type * as Model from '../../lib/model';
import { LocalAgent, LocalAgentError } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, waitFor } from './helpers';

// Read by the mock factory only when the loader is called, after this line has run.
const mockCrashMarker = 'make-the-loader-throw';
const CRASH_MARKER = mockCrashMarker;

jest.mock('../../lib/model', () => {
  const actual = jest.requireActual<typeof Model>('../../lib/model');
  const nodeFs = jest.requireActual<typeof NodeFs>('node:fs');
  const nodePath = jest.requireActual<typeof NodePath>('node:path');
  return {
    ...actual,
    loadWorkspaceFromDisk: (root: string, options?: Model.LoadOptions) => {
      if (nodeFs.readFileSync(nodePath.join(root, 'flags', 'groupsync-v3.json'), 'utf8').includes(mockCrashMarker)) {
        throw new TypeError("Cannot read properties of undefined (reading 'constraints')");
      }
      return actual.loadWorkspaceFromDisk(root, options);
    },
  };
});
const APP = 'groupsync-v3';
const FLAGS_FILE = path.join('flags', `${APP}.json`);

describe('local agent: the loader throwing', () => {
  let root: string;
  beforeEach(() => {
    root = copySample();
  });
  afterEach(() => rmrf(root));

  test('reload: an unexpected loader error is logged with the changed file and the last good version stays', async () => {
    const logs: string[] = [];
    const agent = await LocalAgent.start({ root, environment: 'beta', port: 0, debounceMs: 20, log: (l) => logs.push(l) });
    try {
      const u = `${agent.url}/applications/${APP}/environments/beta/configurations/flags`;
      const before = await get(u);
      const file = path.join(root, FLAGS_FILE);
      const good = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, good.replace('"flags": {', `"description": "${CRASH_MARKER}", "flags": {`));
      await waitFor('the failed reload to be logged', () => logs.some((l) => l.includes('unexpected error')));
      const line = logs.find((l) => l.includes('unexpected error'))!;
      expect(line).toContain('TypeError');
      expect(line).toContain('flags/groupsync-v3.json');
      expect(line).toContain('still serving');
      const during = await get(u);
      expect(during.status).toBe(200);
      expect(during.body).toBe(before.body);
      expect(during.headers['configuration-version']).toBe(before.headers['configuration-version']);

      // Still alive and still following edits.
      fs.writeFileSync(file, good.replace('"batchSize": 500', '"batchSize": 777'));
      await waitFor('the fixed file to be served', async () => JSON.parse((await get(u)).body)['bulk-sync-batch'].batchSize === 777);
    } finally {
      await agent.close();
    }
  });

  test('start: an unexpected loader error is a LocalAgentError (a one-line message and exit 1), not a stack trace', async () => {
    const file = path.join(root, FLAGS_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"flags": {', `"description": "${CRASH_MARKER}", "flags": {`));
    const err = await LocalAgent.start({ root, environment: 'beta', port: 0, watch: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalAgentError);
    expect((err as Error).message).toMatch(/unexpected error \(TypeError: Cannot read properties of undefined.*run 'dynconf validate'/);
  });
});
