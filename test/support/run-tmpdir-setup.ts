/**
 * jest's globalSetup: one temporary folder for the whole run, which every test process (and
 * every process a test starts) gets as TMPDIR, and ./run-tmpdir-teardown removes. Without it
 * each `new App()` of aws-cdk-lib without an outdir left a cdk.outXXXXXX folder in /tmp for
 * good (some forty per run). jest chooses its own cache folder before this runs, so that
 * stays where it was and outlives the run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export default function setup(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-jest-'));
  process.env.DYNCONF_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
