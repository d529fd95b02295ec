import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Model } from '../../model';
import { stringOption, EXIT_OK, type Command } from '../command';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const DEFAULT_BUILD_DIR = 'dist/appconfig';

export const buildCommand: Command = {
  name: 'build',
  summary: 'write the compiled documents to dist/appconfig/<env>/<app>/<profile>.json',
  usage: `usage: dynconf build [--out <dir>] [--root <dir>]

Validates, then writes <out>/<env>/<app>/<profile>.json (default out: ${DEFAULT_BUILD_DIR}),
byte for byte what AppConfig will host. Nothing is written unless validation passes, and
the output folder is replaced as a whole: a reader never sees half of a build.`,
  options: { ...ROOT_OPTION, out: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const model = requireModel(root, io);
    const out = path.resolve(root, stringOption(args, 'out') ?? DEFAULT_BUILD_DIR);
    writeBuild(model, out);
    io.stdout.write(`dynconf build: wrote ${model.documents.length} documents to ${path.relative(io.cwd, out) || '.'}\n`);
    return EXIT_OK;
  },
};

/** Write every document into a sibling temporary folder, then swap it in with renames. */
export function writeBuild(model: Model, out: string): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(`${out}.tmp-`);
  // mkdtemp creates 0700; the output is read by other tools and users like any build folder.
  fs.chmodSync(staging, 0o755);
  try {
    for (const doc of model.documents) {
      const file = path.join(staging, doc.environment, doc.application, `${doc.profile}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, doc.content);
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
