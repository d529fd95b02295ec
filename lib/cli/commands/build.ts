import * as path from 'node:path';
import type { Model } from '../../model';
import { stringOption, EXIT_OK, type Command } from '../command';
import { replaceDirectory } from '../output';
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

/** Every document at <env>/<app>/<profile>.json, swapped in whole. */
export function writeBuild(model: Model, out: string): void {
  replaceDirectory(out, new Map(model.documents.map((d) => [path.join(d.environment, d.application, `${d.profile}.json`), d.content])));
}
