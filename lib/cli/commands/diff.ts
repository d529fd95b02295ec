import { diffModels, type Change, type ModelDiff } from '../../model';
import { choiceOption, EXIT_OK, requiredOption, type Command } from '../command';
import { GitTree } from '../git-tree';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'what a change does, per environment, against a git ref (markdown for PR comments)',
  usage: `usage: dynconf diff --base <git-ref> [--format text|markdown|json] [--root <dir>]

Compiles the workspace at <git-ref> and the working tree and prints, per environment in
pipeline order, what AppConfig will see change: flags added, removed or toggled,
attribute, variant and rule changes, exposure changes, ops keys; and which stage or wave
each change reaches first. Exit 0 whether or not there are changes.`,
  options: { ...ROOT_OPTION, base: { type: 'string' }, format: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const ref = requiredOption(args, 'base');
    const format = choiceOption(args, 'format', ['text', 'markdown', 'json'] as const, 'text');
    const head = requireModel(root, io);
    // The base may predate config/layout.json, and stack parts do not change what AppConfig serves.
    const base = requireModel(new GitTree(root, ref), io, { withoutLayout: true });
    const diff = diffModels(base, head);
    io.stdout.write(format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : format === 'markdown' ? renderMarkdown(diff, ref) : renderText(diff, ref));
    return EXIT_OK;
  },
};

function stepLabel(diff: ModelDiff, e: ModelDiff['environments'][number]): string {
  return `${e.step.kind} ${e.step.name}, step ${e.step.order + 1} of ${diff.stepCount}`;
}

function line(c: Change): string {
  const where = c.profile === 'flags' ? '' : `[${c.profile}] `;
  return `${c.application} ${where}${c.subject}: ${c.detail}`;
}

/** Where each distinct change shows up first, for the summary. */
function firstReach(diff: ModelDiff): string | undefined {
  const first = diff.environments[0];
  return first ? `${first.environment} (${first.step.kind} ${first.step.name})` : undefined;
}

export function renderText(diff: ModelDiff, ref: string): string {
  const out: string[] = [];
  if (diff.environments.length === 0 && diff.workload.length === 0) return `No changes against ${ref}.\n`;
  for (const e of diff.environments) {
    out.push(`${e.environment} (${stepLabel(diff, e)})`);
    for (const c of e.changes) out.push(`  ${e.environment}: ${line(c)}`);
  }
  if (diff.workload.length) {
    out.push('workload');
    for (const c of diff.workload) out.push(`  ${c.subject}: ${c.detail}`);
  }
  const reach = firstReach(diff);
  const count = diff.environments.reduce((n, e) => n + e.changes.length, 0);
  out.push('', `${count} change${count === 1 ? '' : 's'} in ${diff.environments.length} environment${diff.environments.length === 1 ? '' : 's'} against ${ref}${reach ? `; reaches ${reach} first` : ''}.`);
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(diff: ModelDiff, ref: string): string {
  if (diff.environments.length === 0 && diff.workload.length === 0) return `### dynconf: no configuration changes against \`${ref}\`\n`;
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  const out: string[] = [`### dynconf: what this change does against \`${ref}\``, ''];
  out.push('| Step | Environment | Changes |', '| --- | --- | --- |');
  for (const e of diff.environments) out.push(`| ${e.step.order + 1}. ${e.step.kind} \`${e.step.name}\` | \`${e.environment}\` | ${e.changes.length} |`);
  out.push('');
  const reach = firstReach(diff);
  if (reach) out.push(`First reaches **${reach}**.`, '');
  for (const e of diff.environments) {
    out.push(`<details><summary><b>${e.environment}</b> (${stepLabel(diff, e)}): ${e.changes.length} change${e.changes.length === 1 ? '' : 's'}</summary>`, '');
    for (const c of e.changes) out.push(`- \`${c.application}\` ${c.profile === 'flags' ? '' : `[${c.profile}] `}**${esc(c.subject)}**: ${esc(c.detail)}`);
    out.push('', '</details>', '');
  }
  if (diff.workload.length) {
    out.push('#### Workload', '');
    for (const c of diff.workload) out.push(`- **${esc(c.subject)}**: ${esc(c.detail)}`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
