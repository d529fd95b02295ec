/**
 * lib/model as the compiled CLI runs it: bundled by esbuild with scripts/build-cli.js's own
 * options and plugins (the format validators generated at build time included), and loaded
 * from memory as if it were a file in dist/cli/, so that it finds config/schemas/ and
 * node_modules where dist/cli/dynconf.js finds them. Nothing is written.
 *
 * `dynconf validate` runs dist/cli/dynconf.js, not the TypeScript sources through a loader;
 * bench/validate.ts measures this, and test/model/format-validators.test.ts checks that it
 * reports exactly what the sources report.
 */
import * as path from 'node:path';
import type * as Esbuild from 'esbuild';
import type * as Model from '../lib/model';
import { compileCommonJs } from '../lib/model/module-loading';

const ROOT = path.resolve(__dirname, '..');

interface BuildCli {
  esbuildOptions(o: { standalone: boolean }): Record<string, unknown>;
}

/** The JavaScript of lib/model/index.ts, bundled as build-cli bundles the CLI. */
export async function compiledModelSource(): Promise<{ code: string; filename: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS script, the build's own options
  const { esbuildOptions } = require('../scripts/build-cli.js') as BuildCli;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build tool, loaded only to build
  const esbuild = require('esbuild') as typeof Esbuild;
  const filename = path.join(ROOT, 'dist', 'cli', 'model.js');
  const result = await esbuild.build({ ...esbuildOptions({ standalone: false }), entryPoints: ['lib/model/index.ts'], outfile: filename, write: false });
  return { code: result.outputFiles[0]!.text, filename };
}

/** Compile bundled code as the module at `filename` (which need not exist) and return its exports. */
export function loadCompiled(code: string, filename: string): typeof Model {
  return compileCommonJs(code, filename) as typeof Model;
}
