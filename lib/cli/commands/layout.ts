import * as path from 'node:path';
import { assignParts, budgetShare, describeCost, Diagnostics, DiskTree, FILL_BUDGET, HARD_BUDGET, LAYOUT_FILE, layoutFileContent, partsOverBudget, partUsage, readExistingLayout } from '../../model';
import { CommandError, EXIT_FAILURE, EXIT_OK, stringOption, UsageError, type Command } from '../command';
import { replaceFile } from '../output';
import { printDiagnostics, requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const layoutCommand: Command = {
  name: 'layout',
  summary: 'give new applications an AppConfig stack part in config/layout.json, never moving another',
  usage: `usage: dynconf layout [--check] [--move <app>] [--root <dir>]

Writes ${LAYOUT_FILE}: the stack part of every application (its shared stack in each
account and region and its stack in each environment). Every existing entry is kept, so
no other application changes stack or logical IDs; entries of applications that
config/workload.json no longer declares are dropped; each new application, in name
order, goes to the lowest-numbered part where it fits within the fill budget in every
stack of that part (space freed by removals is reused), else to a new part.
  --check        write nothing; exit 1 if the file would change (for CI)
  --move <app>   give <app> another part: the lowest other part it fits in, else a new
                 one. Moving recreates the application's AppConfig Application and
                 Environments in the new stacks: see the README's runbook first.
Fill budget per stack: ${describeCost(FILL_BUDGET)}; validate fails above the hard
budget: ${describeCost(HARD_BUDGET)}.`,
  options: { ...ROOT_OPTION, check: { type: 'boolean', default: false }, move: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const tree = new DiskTree(root);
    const move = stringOption(args, 'move');
    const check = args.values.check === true;
    if (check && move !== undefined) throw new UsageError('--check and --move cannot be combined');
    const model = requireModel(tree, io, { withoutLayout: true });
    const diags = new Diagnostics();
    const existing = readExistingLayout(tree, diags);
    if (!existing) {
      printDiagnostics(diags.all, io);
      throw new CommandError(`${LAYOUT_FILE} does not parse or conform; fix it by hand (deleting it would re-place every application, moving some)`);
    }
    if (move !== undefined && !model.applications.some((a) => a.name === move)) {
      throw new UsageError(`--move: config/workload.json declares no application '${move}'`);
    }

    const result = assignParts(model, existing.parts, { move });
    const content = layoutFileContent(result.parts, existing);
    const changed = content !== existing.text;
    for (const name of result.dropped) io.stdout.write(`dropped ${name} (part ${existing.parts[name]}): config/workload.json no longer declares it\n`);
    for (const p of result.placed) {
      const was = existing.parts[p.application];
      io.stdout.write(was === undefined ? `placed ${p.application} in part ${p.part}\n` : `moved ${p.application} from part ${was} to part ${p.part}: its Application and Environments will be recreated\n`);
    }
    for (const u of partUsage(model, result.parts)) {
      io.stdout.write(`part ${u.part}: ${u.applications} application${u.applications === 1 ? '' : 's'}; fullest: ${u.fullest.label}, ${describeCost(u.fullest.cost)} (${Math.round(100 * budgetShare(u.fullest.cost, HARD_BUDGET))}% of the hard budget)\n`);
    }
    const file = path.relative(io.cwd, path.join(root, LAYOUT_FILE)) || LAYOUT_FILE;
    if (check) {
      io.stdout.write(changed ? `dynconf layout: ${file} is out of date; run \`npx dynconf layout\` and commit it\n` : `dynconf layout: ${file} is up to date\n`);
      return changed ? EXIT_FAILURE : EXIT_OK;
    }
    if (changed) replaceFile(path.join(root, LAYOUT_FILE), content);
    io.stdout.write(changed ? `dynconf layout: wrote ${file}\n` : `dynconf layout: ${file} is up to date\n`);
    for (const over of partsOverBudget(model, result.parts)) {
      const largest = over.applications[0]?.name;
      io.stdout.write(`warning: part ${over.part} of ${over.slot.label} is over the hard budget (${describeCost(over.cost)})${largest ? `; move its largest application: npx dynconf layout --move ${largest}` : ''}\n`);
    }
    return EXIT_OK;
  },
};
