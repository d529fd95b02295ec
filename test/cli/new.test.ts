/**
 * `dynconf new app|flag`: what it prints and writes, that validate passes afterwards, its
 * errors and exit codes, and that a failure leaves every file as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { DISK_OPS, stagingPath, writeEdits, type WriteOps } from '../../lib/cli/commands/new';
import { DiskTree } from '../../lib/model';
import { planNewApp, type FileEdit } from '../../lib/model/scaffold';
import { captureIO, copySample, MINIMAL, rmrf, tempDir } from '../support/workspace';

let dir: string;
afterEach(() => dir && rmrf(dir));

async function run(...args: string[]) {
  const io = captureIO(dir);
  const code = await main([...args, '--root', dir], io.io);
  return { code, out: io.out(), err: io.err() };
}

/** Every file under the workspace, with its bytes: what "nothing changed" is checked against. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${p}/`] = '';
        walk(p);
      } else out[p] = fs.readFileSync(path.join(root, p), 'latin1');
    }
  };
  walk('');
  return out;
}

describe('dynconf new app', () => {
  test('on a copy of the sample: prints what it wrote and what to do next; validate and layout --check pass', async () => {
    dir = copySample();
    const r = await run('new', 'app', 'billing', '--owner', 'team-billing', '--description', 'Invoices and payouts.');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('changed config/workload.json: applications.billing (owner team-billing)');
    expect(r.out).toContain('created flags/billing.json: no flags yet');
    expect(r.out).toContain('created config/ops/billing/schema.json');
    expect(r.out).toContain('created config/ops/billing/default.json');
    expect(r.out).toContain('changed config/layout.json: billing in part 1');
    expect(r.out).toContain('next:\n  add flags: npx dynconf new flag billing <flag>');
    expect((await run('validate', '--strict')).out).toMatch(/dynconf validate: no problems/);
    expect((await run('layout', '--check')).code).toBe(0);
    expect(Object.keys(snapshot(dir)).filter((f) => f.includes('dynconf-new'))).toEqual([]);
  });

  test('on a near-empty workspace: validate fails before, passes after', async () => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'config'));
    const workload = JSON.parse(fs.readFileSync(path.join(MINIMAL, 'config/workload.json'), 'utf8')) as Record<string, unknown>;
    workload.applications = {};
    fs.writeFileSync(path.join(dir, 'config/workload.json'), `${JSON.stringify(workload, null, 2)}\n`);
    expect((await run('validate')).code).toBe(1);
    expect((await run('new', 'app', 'first', '--owner', 'team-one')).code).toBe(0);
    expect(await run('validate', '--strict')).toMatchObject({ code: 0 });
  });

  test('errors: a bad name and a missing --owner are usage errors (2); an existing application is refused (1); nothing is written', async () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const before = snapshot(dir);
    const bad = await run('new', 'app', 'Billing', '--owner', 'o');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'Billing' is not a valid application name: it must match ^[a-z][a-z0-9-]{0,62}$");
    expect((await run('new', 'app', 'billing')).err).toContain('--owner is required');
    const existing = await run('new', 'app', 'demo-app');
    expect(existing.code).toBe(1);
    expect(existing.err).toContain("dynconf new: application 'demo-app' already exists");
    expect((await run('new', 'app')).code).toBe(2);
    expect((await run('new', 'app', 'a', 'b', '--owner', 'o')).code).toBe(2);
    expect((await run('new', 'app', 'x', '--owner', 'o', '--exposure', 'browser')).err).toContain('--exposure does not apply to new app');
    expect((await run('new', 'thing', 'x')).err).toContain("unknown kind 'thing'");
    expect(snapshot(dir)).toEqual(before);
  });

  test('a change validate would reject prints its errors, exits 1 and writes nothing', async () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const file = path.join(dir, 'config/workload.json');
    const workload = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    workload.serviceQuotas = { appconfig: { applicationsPerRegion: 1 } };
    fs.writeFileSync(file, JSON.stringify(workload, null, 2));
    const before = snapshot(dir);
    const r = await run('new', 'app', 'billing', '--owner', 'o');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^config\/workload\.json:\d+:\d+ error .*applications/m);
    expect(r.err).toContain('nothing was written');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('dynconf new flag', () => {
  test('adds the flag, prints it, and validate passes', async () => {
    dir = copySample();
    const r = await run('new', 'flag', 'groupsync-v3', 'bulk-invite', '--exposure', 'browser', '--expires', '2099-01-31');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('changed flags/groupsync-v3.json: flags.bulk-invite: disabled in beta, gamma, prod-01, prod-02, prod-03; exposure browser; expires 2099-01-31');
    expect(r.out).toContain('"enabled": true under flags.bulk-invite.environments.<env>');
    expect((await run('validate', '--strict')).code).toBe(0);
    const flags = JSON.parse(fs.readFileSync(path.join(dir, 'flags/groupsync-v3.json'), 'utf8')) as { flags: Record<string, { exposure: string; expires: string }> };
    expect(flags.flags['bulk-invite']).toMatchObject({ exposure: 'browser', expires: '2099-01-31' });
    const again = await run('new', 'flag', 'groupsync-v3', 'bulk-invite');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/flag 'bulk-invite' already exists in flags\/groupsync-v3\.json \(line \d+\)/);
  });

  test('errors: bad key, bad date, unknown application, options of the other kind', async () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const before = snapshot(dir);
    expect((await run('new', 'flag', 'demo-app', 'Bad Key')).code).toBe(2);
    expect((await run('new', 'flag', 'demo-app', 'x', '--expires', 'soon')).err).toContain('--expires must be a date written YYYY-MM-DD');
    expect((await run('new', 'flag', 'demo-app', 'x', '--exposure', 'public')).err).toContain('--exposure must be one of server, browser');
    expect((await run('new', 'flag', 'demo-ap', 'x')).err).toContain("did you mean 'demo-app'?");
    expect((await run('new', 'flag', 'demo-app', 'x', '--owner', 'o')).err).toContain('--owner does not apply to new flag');
    expect((await run('new', 'flag', 'demo-app')).code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('nothing half-written', () => {
  function plannedEdits(root: string): readonly FileEdit[] {
    const result = planNewApp(new DiskTree(root), { name: 'billing', owner: 'team-billing' });
    if (!result.ok) throw new Error(result.message);
    return result.plan.edits;
  }

  test('a target that cannot be written (the last of five): the command fails and every file is as it was', async () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    // Something in the way of config/layout.json's staged copy: writing it fails, as for anyone.
    const blocker = stagingPath(path.join(dir, 'config/layout.json'));
    fs.mkdirSync(blocker);
    fs.writeFileSync(path.join(blocker, 'keep'), '');
    const before = snapshot(dir);
    const r = await run('new', 'app', 'billing', '--owner', 'team-billing');
    expect(r.code).toBe(1);
    expect(r.err).toContain('could not write config/layout.json');
    expect(r.err).toContain('nothing was changed');
    expect(snapshot(dir)).toEqual(before);
  });

  test('a failure at any step of writing (staging or renaming) leaves every file as it was', () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const edits = plannedEdits(dir);
    const before = snapshot(dir);
    const mutating = ['mkdir', 'writeFile', 'rename'] as const;
    let steps = 0;
    // Count the steps of a successful write first (on a copy), then fail at each one in turn.
    const counting: WriteOps = { ...DISK_OPS };
    for (const m of mutating) counting[m] = ((...a: [string, string]) => (steps++, (DISK_OPS[m] as (...x: [string, string]) => void)(...a))) as never;
    const scratch = tempDir();
    try {
      fs.cpSync(MINIMAL, scratch, { recursive: true });
      writeEdits(scratch, plannedEdits(scratch), counting);
    } finally {
      rmrf(scratch);
    }
    expect(steps).toBeGreaterThanOrEqual(edits.length * 2);
    for (let failAt = 1; failAt <= steps; failAt++) {
      let n = 0;
      const failing: WriteOps = { ...DISK_OPS };
      for (const m of mutating) {
        failing[m] = ((...a: [string, string]) => {
          if (++n === failAt) throw Object.assign(new Error('injected'), { code: 'EIO' });
          (DISK_OPS[m] as (...x: [string, string]) => void)(...a);
        }) as never;
      }
      // Only the failAt-th call fails: the clean-up after it (removing, restoring) runs as it would.
      expect(() => writeEdits(dir, edits, failing)).toThrow(/could not write .*\(EIO\)/);
      expect([failAt, snapshot(dir)]).toEqual([failAt, before]);
    }
  });

  test('a file changed after the plan read it is not overwritten', () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const edits = plannedEdits(dir);
    fs.appendFileSync(path.join(dir, 'config/workload.json'), '\n');
    const before = snapshot(dir);
    expect(() => writeEdits(dir, edits)).toThrow('config/workload.json changed while dynconf new was running; nothing was written');
    expect(snapshot(dir)).toEqual(before);
  });
});
