/** Writing a build folder so that a reader never sees half of it. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Replace `out` with exactly `files` (relative path -> content): everything is written into
 * a sibling temporary folder first, then swapped in with renames. On failure the previous
 * folder is left as it was.
 */
export function replaceDirectory(out: string, files: ReadonlyMap<string, string>): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(`${out}.tmp-`);
  try {
    // mkdtemp makes the folder private; build output is read by other tools and users.
    fs.chmodSync(staging, 0o755);
    for (const [rel, content] of files) {
      const file = path.join(staging, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    let previous: string | undefined;
    if (fs.existsSync(out)) {
      previous = `${staging}.old`;
      fs.renameSync(out, previous);
    }
    fs.renameSync(staging, out);
    if (previous) fs.rmSync(previous, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Replace one file so that a reader (an editor, a concurrent `validate`) sees the old or
 * the new content, never half: write a sibling temporary file, then rename it over.
 */
export function replaceFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const staging = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(staging, content);
    fs.renameSync(staging, file);
  } catch (e) {
    fs.rmSync(staging, { force: true });
    throw e;
  }
}
