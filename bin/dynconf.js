#!/usr/bin/env node
/**
 * The `dynconf` command (package.json "bin", `npx dynconf`, the npm scripts): runs the
 * compiled CLI, dist/cli/dynconf.js, which `npm ci` builds (scripts/build-cli.js, through
 * `prepare`). Node starts it in a few tens of milliseconds where bin/dynconf.ts through a
 * TypeScript loader takes most of a second.
 *
 * It never runs stale code: dist/cli/manifest.json lists every file the build read with
 * its size and mtime, and any difference (an edit, a branch switch, a file copied with an
 * older mtime, a deleted file, a missing build) rebuilds in-process before running, with one
 * line on stderr saying so (stdout stays the command's own, `--format json` included).
 * Checking costs one stat per file (about a hundred); nothing else is loaded unless it rebuilds.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_FILE = path.join(ROOT, 'dist', 'cli', 'dynconf.js');
const MANIFEST = path.join(ROOT, 'dist', 'cli', 'manifest.json');
/** The format scripts/build-cli.js writes (its MANIFEST_FORMAT). */
const MANIFEST_FORMAT = 1;

/** Why the build cannot be run as it is, or undefined when it matches the sources. */
function staleness() {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch (e) {
    return e.code === 'ENOENT' ? 'no build yet' : `unreadable ${path.relative(ROOT, MANIFEST)}`;
  }
  if (manifest.format !== MANIFEST_FORMAT) return 'a build of another format';
  for (const [rel, size, mtimeMs] of [manifest.output, ...manifest.inputs]) {
    const st = fs.statSync(path.join(ROOT, rel), { throwIfNoEntry: false });
    if (!st) return `${rel} is gone`;
    // Equal, not newer: a file restored with an older mtime (git checkout, cp -p, tar) counts.
    if (st.size !== size || st.mtimeMs !== mtimeMs) return `${rel} changed`;
  }
  return undefined;
}

async function run() {
  const why = staleness();
  if (why) {
    const started = Date.now();
    const { buildCli } = require('../scripts/build-cli.js');
    try {
      await buildCli();
    } catch (e) {
      process.stderr.write(`dynconf: cannot build ${path.relative(ROOT, OUT_FILE)} (${why}): ${e.message}\n(fix: run npm run build:cli in ${ROOT} and read its errors; after a fresh clone, npm ci)\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`dynconf: rebuilt ${path.relative(ROOT, OUT_FILE)} in ${Date.now() - started} ms (${why})\n`);
  }
  require(OUT_FILE);
}

run().catch((e) => {
  process.stderr.write(`dynconf: ${e.message}\n`);
  process.exitCode = 1;
});
