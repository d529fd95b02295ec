import * as path from 'node:path';
import { renderAllManifests } from '../../agent';
import { CommandError, stringOption, EXIT_OK, type Command } from '../command';
import { replaceDirectory } from '../output';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const DEFAULT_MANIFESTS_DIR = 'dist/k8s';

export const manifestsCommand: Command = {
  name: 'manifests',
  summary: 'write the AppConfig Agent manifests of every EKS cluster to dist/k8s/<cluster>.k8s.yaml',
  usage: `usage: dynconf manifests [--out <dir>] [--root <dir>]

Validates, then writes <out>/<cluster>.k8s.yaml (default out: ${DEFAULT_MANIFESTS_DIR}) for every
cluster in config/workload.json: the agent's namespace, ServiceAccount, DaemonSet, RBAC and
the ExternalSecrets that bring its token, the same objects the CDK stage applies, for
GitOps tools. No token value is written. Nothing is written unless validation passes, and
the output folder is replaced as a whole: a reader never sees half of the clusters.`,
  options: { ...ROOT_OPTION, out: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const model = requireModel(root, io);
    const out = path.resolve(root, stringOption(args, 'out') ?? DEFAULT_MANIFESTS_DIR);
    // Render everything before touching the disk: a chart that throws leaves the old files.
    let files: Map<string, string>;
    try {
      files = renderAllManifests(model);
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    replaceDirectory(out, files);
    io.stdout.write(`dynconf manifests: wrote ${files.size} cluster manifest${files.size === 1 ? '' : 's'} to ${path.relative(io.cwd, out) || '.'}\n`);
    return EXIT_OK;
  },
};
