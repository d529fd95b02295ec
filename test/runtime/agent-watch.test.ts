/**
 * The local agent keeps following the working tree through what git and editors do to it:
 * stash (lint-staged stashes on every commit), stash pop, checkout of a file, the flags/
 * folder replaced or renamed into place, and an editor's atomic save. Every operation is the
 * real one (real git in a temporary repository under os.tmpdir()), and every assertion polls
 * the agent's HTTP endpoint until it serves what the files say: nothing asserts speed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalAgent } from '../../lib/runtime/local-agent';
import { copySample, rmrf } from '../support/workspace';
import { get, waitFor } from './helpers';

const APP = 'groupsync-v3';
const FLAGS_FILE = `flags/${APP}.json`;
// Edits land within the debounce, or at the latest on the next reconciliation; this only
// bounds a broken run.
const SERVED_WITHIN_MS = 30_000;

/** git in `cwd` only: nothing inherited from a hook or shell that would point it at another repo. */
function git(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1' };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_CONFIG_GLOBAL']) delete env[k];
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', ...args], { cwd, env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The flags file's text with bulk-sync-batch's default batchSize set to `n` (a marker the agent serves). */
function withBatchSize(text: string, n: number): string {
  const doc = JSON.parse(text) as { flags: Record<string, { default: Record<string, unknown> }> };
  doc.flags['bulk-sync-batch']!.default.batchSize = n;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// Each path alone must follow every operation: file events with the reconciliation pushed out
// of the test's reach, and the reconciliation with no file events at all.
const MODES = [
  ['file events', { reconcileIntervalMs: 10 * 60_000 }],
  ['reconciliation alone', { fileEvents: false, reconcileIntervalMs: 200 }],
] as const;

describe.each(MODES)('local agent: reloading survives git and editors (%s)', (_mode, watchOptions) => {
  let root: string;
  let agent: LocalAgent;
  let logs: string[];
  let original: string;
  const file = () => path.join(root, FLAGS_FILE);
  const edit = (n: number) => fs.writeFileSync(file(), withBatchSize(fs.readFileSync(file(), 'utf8'), n));
  const served = async (): Promise<unknown> => {
    const res = await get(`${agent.url}/applications/${APP}/environments/beta/configurations/flags?flag=bulk-sync-batch&flag=theme`);
    return (JSON.parse(res.body) as Record<string, { batchSize?: number }>)['bulk-sync-batch']?.batchSize;
  };
  const expectServed = (n: number, after: string) => waitFor(`batchSize ${n} to be served after ${after} (logs: ${logs.join(' | ')})`, async () => (await served()) === n, SERVED_WITHIN_MS);

  beforeEach(async () => {
    root = copySample();
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'workspace');
    original = fs.readFileSync(file(), 'utf8');
    logs = [];
    agent = await LocalAgent.start({ root, environment: 'beta', port: 0, host: '127.0.0.1', ...watchOptions, log: (l) => logs.push(l) });
    expect(await served()).toBe(500);
  });
  afterEach(async () => {
    await agent.close();
    rmrf(root);
  });

  test('watch: git stash and git stash pop are served, and later edits too', async () => {
    edit(501);
    await expectServed(501, 'an edit');
    git(root, 'stash', '-q');
    await expectServed(500, 'git stash');
    edit(502);
    await expectServed(502, 'an edit after git stash');
    git(root, 'checkout', '-q', '--', FLAGS_FILE);
    git(root, 'stash', 'pop', '-q');
    await expectServed(501, 'git stash pop');
    edit(503);
    await expectServed(503, 'an edit after git stash pop');
  });

  test('watch: git checkout -- <file> is served, and later edits too', async () => {
    edit(511);
    await expectServed(511, 'an edit');
    git(root, 'checkout', '-q', '--', FLAGS_FILE);
    await expectServed(500, 'git checkout -- file');
    edit(512);
    await expectServed(512, 'an edit after git checkout');
  });

  test('watch: flags/ removed and created again is served, and later edits too', async () => {
    const dir = path.join(root, 'flags');
    const files = new Map(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), name === `${APP}.json` ? withBatchSize(text, 521) : text);
    await expectServed(521, 'rm -rf flags && recreate');
    edit(522);
    await expectServed(522, 'an edit in the recreated flags/');
  });

  test('watch: a new flags/ folder renamed into place is served, and later edits too', async () => {
    const fresh = path.join(root, 'new-flags');
    fs.cpSync(path.join(root, 'flags'), fresh, { recursive: true });
    fs.writeFileSync(path.join(fresh, `${APP}.json`), withBatchSize(original, 531));
    fs.renameSync(path.join(root, 'flags'), path.join(root, 'old-flags'));
    fs.renameSync(fresh, path.join(root, 'flags'));
    await expectServed(531, 'mv new-flags flags');
    edit(532);
    await expectServed(532, 'an edit in the renamed flags/');
  });

  test("watch: an editor's atomic save (write a temporary file, rename it over) is served, and later ones too", async () => {
    for (const n of [541, 542, 543]) {
      const tmp = path.join(root, 'flags', `.${APP}.json.swp${n}`);
      fs.writeFileSync(tmp, withBatchSize(fs.readFileSync(file(), 'utf8'), n));
      fs.renameSync(tmp, file());
      await expectServed(n, `atomic save #${n}`);
    }
  });
});
