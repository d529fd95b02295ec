/** jest's globalTeardown: removes the run's temporary folder (see ./run-tmpdir-setup). */
import * as fs from 'node:fs';

export default function teardown(): void {
  const dir = process.env.DYNCONF_JEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
