import { detectDrift, itemKey, type DriftItem, type DriftReport } from '../../rollout';
import { choiceOption, EXIT_FAILURE, EXIT_OK, numberOption, type Command } from '../command';
import { requireModel, workspaceRoot } from '../workspace';
import { DEFAULT_AWS_DEPS, DEFAULT_CALL_TIMEOUT_MINUTES, isAncestor, SELECTION_OPTIONS, selectTarget, withPlane, type AwsDeps } from './rollout';

export function makeDriftCommand(deps: AwsDeps = DEFAULT_AWS_DEPS): Command {
  return {
    name: 'drift',
    summary: 'compare what AppConfig serves in an environment with what this checkout compiles',
    usage: `usage: dynconf drift --env <env> [--app <app>] [--profile flags|ops|browser] [--format text|json]
         [--timeout <minutes>] [--root <dir>]

For each profile, reads the version of its newest COMPLETE deployment in AWS AppConfig
(the one serving) and compares its bytes with the compiled document. Every difference is
reported, as JSON leaves (checkout -> AppConfig) when both are JSON: a console edit shows
up as the values it changed. A profile, environment or application missing in AppConfig,
or never deployed, is drift too. A difference deployed by the emergency lane (its
deployment described 'dynconf emergency <commit>') is named as that emergency deployment:
it stays a difference until the commit is merged into this checkout. Exit 0 when
everything matches, 1 on drift.
  --timeout  minutes allowed for retries of throttled calls (default ${DEFAULT_CALL_TIMEOUT_MINUTES})`,
    options: { ...SELECTION_OPTIONS, format: { type: 'string' } },
    async run(args, io) {
      const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
      const timeout = numberOption(args, 'timeout', DEFAULT_CALL_TIMEOUT_MINUTES, { min: 1, max: 1440 });
      const root = workspaceRoot(args, io);
      const model = requireModel(root, io);
      const target = selectTarget(model, args);
      const report = await withPlane(deps, target, io, timeout, (plane) => detectDrift(plane, target, { isMerged: (commit) => isAncestor(root, commit, 'HEAD') }));
      io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderDrift(report));
      return report.drifted ? EXIT_FAILURE : EXIT_OK;
    },
  };
}

export const driftCommand = makeDriftCommand();

function emergencyLine(i: DriftItem): string {
  const e = i.emergency!;
  const what = `emergency deployment of ${e.commit}`;
  if (e.merged === true) return `${what}, merged into this checkout, which has changed the profile since; the next pipeline run deploys that`;
  return `${what}, not yet on main: merge its branch into main (the main pipeline then redeploys the same bytes; nothing changes for users)`;
}

export function renderDrift(r: DriftReport): string {
  const why = r.emergency ? ` (${r.emergency} by the emergency lane, not yet on this checkout)` : '';
  const head = r.drifted
    ? `${r.environment} (account ${r.account} region ${r.region}): ${r.drifted} of ${r.items.length} profiles differ from this checkout${why}`
    : `${r.environment} (account ${r.account} region ${r.region}): all ${r.items.length} profiles match this checkout`;
  const out = [head];
  for (const i of r.items) {
    const newer = i.newer ? `; newer deployment #${i.newer.deploymentNumber} is ${i.newer.state}` : '';
    if (i.status === 'in-sync') {
      out.push(`  ${itemKey(i)}: in sync (deployment #${i.deploymentNumber}, version ${i.configurationVersion})${newer}`);
    } else if (i.status === 'drifted') {
      out.push(`  ${itemKey(i)}: DRIFT in deployment #${i.deploymentNumber}, version ${i.configurationVersion} (sha256 ${i.deployedFingerprint}, compiled ${i.compiledFingerprint})${newer}; checkout -> AppConfig:`);
      for (const d of i.differences) out.push(`    ${d.path}: ${d.detail}`);
    } else if (i.status === 'emergency') {
      out.push(`  ${itemKey(i)}: EMERGENCY: deployment #${i.deploymentNumber}, version ${i.configurationVersion}, is an ${emergencyLine(i)}${newer}; checkout -> AppConfig:`);
      for (const d of i.differences) out.push(`    ${d.path}: ${d.detail}`);
    } else {
      out.push(`  ${itemKey(i)}: ${i.status === 'missing' ? 'MISSING' : 'NOT DEPLOYED'}: ${i.reason}${newer}`);
    }
  }
  return `${out.join('\n')}\n`;
}
