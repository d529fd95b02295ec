/**
 * npm test's pretest step: a machine with Chromium goes straight on; one without it, where
 * the user cannot install it, stops with one line that says what to do (and no second,
 * confusing error from the browser tests).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, rmrf, tempDir } from '../support/workspace';

const SCRIPT = path.join(REPO_ROOT, '.ci/ensure-chromium');

function run(env: Record<string, string>) {
  return spawnSync('/bin/bash', [SCRIPT], { env, encoding: 'utf8' });
}

test('Chromium present: exits 0 and says nothing', () => {
  const r = run({ PATH: process.env.PATH ?? '', DYNCONF_CHROMIUM: process.execPath });
  expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
});

test('Chromium missing and no apt-get to install it: exit 1 and one line with the fix', () => {
  // A PATH with `id` only: no apt-get, as on a developer's machine without root tools.
  const bin = tempDir('dynconf-nopkg-');
  try {
    fs.symlinkSync(spawnSync('/bin/bash', ['-c', 'command -v id'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'id'));
    const r = run({ PATH: bin, DYNCONF_CHROMIUM: path.join(bin, 'no-chromium') });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`dynconf: the browser tests need Chromium at ${path.join(bin, 'no-chromium')}: run 'sudo apt-get install -y chromium' (Debian/Ubuntu), then npm test again`]);
  } finally {
    rmrf(bin);
  }
});
