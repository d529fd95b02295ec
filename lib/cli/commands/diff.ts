import { diffModels, type Change, type EnvironmentChanges, type Model, type ModelDiff, type Tier } from '../../model';
import { computePlan, type EnvironmentPlan, type MonitorPlan, type Plan } from '../../pipeline/plan';
import { choiceOption, EXIT_OK, requiredOption, type Command } from '../command';
import { GitTree } from '../git-tree';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';
import { describeRollout, minutes } from './plan';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'what a change does, per environment, against a git ref, and how far it reaches (markdown for PR comments)',
  usage: `usage: dynconf diff --base <git-ref> [--format text|markdown|json] [--root <dir>]

Compiles the workspace at <git-ref> and the working tree and prints, per environment in
pipeline order, what AppConfig will see change: flags added, removed or toggled,
attribute, variant and rule changes, exposure changes, ops keys; which stage or wave
each change reaches first; and its reach, from the plan of the working tree: the steps,
environments and alarms it passes, the manual approvals it waits for, when the last
changed environment is COMPLETE, and the blast radius when it reaches prod.
  --format  text (default), markdown (the PR comment) or json (every change with its
            target, path, before and after values; steps numbered from 1)
Exit 0 whether or not there are changes.`,
  options: { ...ROOT_OPTION, base: { type: 'string' }, format: { type: 'string' } },
  async run(args, io) {
    const root = workspaceRoot(args, io);
    const ref = requiredOption(args, 'base');
    const format = choiceOption(args, 'format', ['text', 'markdown', 'json'] as const, 'text');
    const head = requireModel(root, io);
    // The base may predate config/layout.json, and stack parts do not change what AppConfig serves.
    const base = requireModel(new GitTree(root, ref), io, { withoutLayout: true });
    const report = diffReport(base, head, ref);
    io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? renderMarkdown(report) : renderText(report));
    return EXIT_OK;
  },
};

/** An environment the change reaches, with what the plan says about it. */
export interface ReachedEnvironment {
  readonly environment: string;
  readonly tier: Tier;
  /** 1-based step that deploys it. */
  readonly step: number;
  readonly changes: number;
  readonly strategy: string;
  /** "linear 20/40/60/80/100% every 6 min", "all at once". */
  readonly rollout: string;
  readonly finalBakeTimeMinutes: number;
  /** The alarms that roll its deployment back. */
  readonly monitors: readonly MonitorPlan[];
  /** Minute its deployment is COMPLETE, from the start of the first step (the plan's estimate). */
  readonly completeAtMinutes: number;
  /** Manual approvals the change waits for before it gets here. */
  readonly manualApprovalsBefore: readonly string[];
}

/** How far a change travels: the plan of the working tree, cut to the environments whose configuration changes. */
export interface DiffReach {
  /** Steps (stages and waves) that deploy a changed environment, in order. */
  readonly steps: readonly { readonly number: number; readonly kind: 'stage' | 'wave'; readonly name: string; readonly environments: readonly string[] }[];
  readonly stepCount: number;
  readonly environments: readonly ReachedEnvironment[];
  /** Environments whose configuration does not change. */
  readonly unchanged: readonly string[];
  readonly prod: { readonly reached: number; readonly total: number };
  /** Every alarm that watches a changed environment, once. */
  readonly alarms: readonly string[];
  /** Manual approvals before the last changed environment. */
  readonly manualApprovals: readonly string[];
  /** Minute the last changed environment is COMPLETE (the plan's estimate: every step deploys, manual approvals untimed). */
  readonly completeAtMinutes: number;
  readonly gateOverheadMinutes: number;
  /** When the change reaches prod: how much of prod it reaches, if it is bad only there, before an alarm can stop it. */
  readonly blastRadius: ChangeBlastRadius | null;
}

/**
 * The plan's blast radius (lib/pipeline/plan.ts) for this change: walking the steps that
 * deploy a changed prod environment, in order, until one whose changed environments all have
 * a monitor and a final bake (its gate holds the next step until the bake is over).
 */
export interface ChangeBlastRadius {
  readonly prodEnvironments: number;
  /** Changed prod environments the change reaches before a step whose alarms can stop it ends. */
  readonly reachedEnvironments: readonly string[];
  /** The step whose alarms and bake can stop it; null when none can. */
  readonly guardedBy: string | null;
  /** Share of prod targets (0-1) holding it when the guarding step's fastest alarm can fire, every prod environment counted the same size; null when an alarm's timing is unknown. */
  readonly targetShare: number | null;
  readonly sentence: string;
}

/** What `diff --format json` prints: the diff, its base, and its reach. */
export interface DiffReport extends ModelDiff {
  readonly base: string;
  /** null when no environment's configuration changes. */
  readonly reach: DiffReach | null;
}

export function diffReport(base: Model, head: Model, ref: string): DiffReport {
  const diff = diffModels(base, head);
  return { base: ref, ...diff, reach: diff.environments.length ? reachOf(diff, computePlan(head)) : null };
}

export function reachOf(diff: ModelDiff, plan: Plan): DiffReach {
  const changed = new Map(diff.environments.map((e) => [e.environment, e]));
  const environments: ReachedEnvironment[] = plan.environments
    .filter((e) => changed.has(e.environment))
    .map((e) => ({
      environment: e.environment,
      tier: e.tier,
      step: e.step,
      changes: changed.get(e.environment)!.changes.length,
      strategy: e.strategy,
      rollout: describeRollout(e),
      finalBakeTimeMinutes: e.finalBakeTimeMinutes,
      monitors: e.monitors,
      completeAtMinutes: e.completeAtMinutes,
      manualApprovalsBefore: e.manualApprovalsBefore,
    }));
  const last = environments.reduce<ReachedEnvironment | undefined>((a, e) => (!a || e.completeAtMinutes > a.completeAtMinutes ? e : a), undefined);
  const reachesProd = environments.some((e) => e.tier === 'prod');
  return {
    steps: plan.steps
      .map((s) => ({ number: s.number, kind: s.kind, name: s.name, environments: s.environments.filter((e) => changed.has(e)) }))
      .filter((s) => s.environments.length > 0),
    stepCount: plan.steps.length,
    environments,
    unchanged: plan.environments.map((e) => e.environment).filter((e) => !changed.has(e)),
    prod: { reached: environments.filter((e) => e.tier === 'prod').length, total: plan.environments.filter((e) => e.tier === 'prod').length },
    alarms: [...new Set(environments.flatMap((e) => e.monitors.map((m) => m.name)))],
    manualApprovals: last?.manualApprovalsBefore ?? [],
    completeAtMinutes: last?.completeAtMinutes ?? 0,
    gateOverheadMinutes: plan.gateOverheadMinutes,
    blastRadius: reachesProd ? changeBlastRadius(plan, new Set(changed.keys())) : null,
  };
}

export function changeBlastRadius(plan: Plan, changed: ReadonlySet<string>): ChangeBlastRadius {
  const prod = plan.environments.filter((e) => e.tier === 'prod');
  const reached: EnvironmentPlan[] = [];
  let guard: Plan['steps'][number] | undefined;
  for (const step of plan.steps) {
    const envs = prod.filter((e) => e.step === step.number && changed.has(e.environment));
    if (envs.length === 0) continue;
    reached.push(...envs);
    if (envs.every((e) => e.monitors.length > 0 && e.finalBakeTimeMinutes > 0)) {
      guard = step;
      break;
    }
  }
  let targets: number | null = 0;
  for (const e of reached) {
    const share = guard && e.step === guard.number ? e.exposureAtFirstAlarm : 100;
    targets = targets === null || share === null ? null : targets + share / 100;
  }
  const targetShare = targets === null ? null : targets / prod.length;
  const pct = (share: number) => `${Number((share * 100).toFixed(1))}%`;
  const where = `${reached.length} of ${plural(prod.length, 'prod environment')} (${reached.map((e) => e.environment).join(', ')})`;
  let sentence: string;
  if (!guard) {
    sentence = `if it is bad only in prod, it reaches ${where} and nothing stops it: no step it reaches has a monitor and a final bake on every changed environment.`;
  } else {
    const inside = reached
      .filter((e) => e.step === guard!.number)
      .map((e) =>
        e.fastestMonitor
          ? `in ${e.environment}, ${Number(e.exposureAtFirstAlarm!.toFixed(1))}% of targets hold it when ${e.fastestMonitor.name} can first fire (${minutes(e.fastestMonitor.detectionMinutes!)})`
          : `in ${e.environment}, the share of targets is unknown: its alarms' timing is not in the repo`,
      )
      .join('; ');
    const share = targetShare === null ? '' : ` That is ${pct(targetShare)} of prod targets, counting every prod environment as the same size.`;
    sentence = `if it is bad only in prod, it reaches ${where} before the alarms and bake of ${guard.name} can stop it; ${inside}.${share}`;
  }
  return { prodEnvironments: prod.length, reachedEnvironments: reached.map((e) => e.environment), guardedBy: guard?.name ?? null, targetShare, sentence };
}

function stepLabel(e: EnvironmentChanges): string {
  return `${e.step.kind} ${e.step.name}, step ${e.step.number} of ${e.step.of}`;
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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The reach in sentences, shared by text and markdown. */
function reachLines(r: DiffReach): { reach: string; alarms: string; done: string } {
  const steps = r.steps.map((s) => `${s.kind} ${s.name}`).join(', ');
  const envs = r.environments.length + r.unchanged.length;
  const reach =
    `${r.steps.length} of ${plural(r.stepCount, 'step')} (${steps}); ${r.environments.length} of ${plural(envs, 'environment')}, ${r.prod.reached} of ${r.prod.total} prod` +
    (r.unchanged.length ? `; unchanged: ${r.unchanged.join(', ')}` : '');
  const alarms = r.alarms.length ? `${r.alarms.join(', ')} can roll it back` : 'no alarm watches the changed environments: nothing rolls a bad change back';
  const n = r.manualApprovals.length;
  const approvals = n ? ` + the manual approval${n === 1 ? '' : 's'} of ${r.manualApprovals.join(', ')}` : '';
  const done = `every changed environment COMPLETE after about ${minutes(r.completeAtMinutes)}${approvals} (the plan's estimate, ${minutes(r.gateOverheadMinutes)} of gate overhead a step)`;
  return { reach, alarms, done };
}

export function renderText(report: DiffReport): string {
  const ref = report.base;
  const out: string[] = [];
  if (report.environments.length === 0 && report.workload.length === 0) return `No changes against ${ref}.\n`;
  for (const e of report.environments) {
    out.push(`${e.environment} (${stepLabel(e)})`);
    for (const c of e.changes) out.push(`  ${e.environment}: ${line(c)}`);
  }
  if (report.workload.length) {
    out.push('workload');
    for (const c of report.workload) out.push(`  ${c.subject}: ${c.detail}`);
  }
  if (report.reach) {
    const r = reachLines(report.reach);
    out.push('', `Reach: ${r.reach}.`, `Alarms: ${r.alarms}.`, `Done: ${r.done}.`);
    if (report.reach.blastRadius) out.push(`Blast radius: ${report.reach.blastRadius.sentence}`);
  }
  const reach = firstReach(report);
  const count = report.environments.reduce((n, e) => n + e.changes.length, 0);
  out.push('', `${plural(count, 'change')} in ${plural(report.environments.length, 'environment')} against ${ref}${reach ? `; reaches ${reach} first` : ''}.`);
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(report: DiffReport): string {
  const ref = report.base;
  if (report.environments.length === 0 && report.workload.length === 0) return `### dynconf: no configuration changes against \`${ref}\`\n`;
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  const out: string[] = [`### dynconf: what this change does against \`${ref}\``, ''];
  const reached = new Map((report.reach?.environments ?? []).map((e) => [e.environment, e]));
  out.push('| Step | Environment | Changes | Strategy | Alarms | Complete after |', '| --- | --- | --- | --- | --- | --- |');
  for (const e of report.environments) {
    const r = reached.get(e.environment)!;
    const strategy = `\`${esc(r.strategy)}\`: ${esc(r.rollout)}, bake ${minutes(r.finalBakeTimeMinutes)}`;
    const alarms = r.monitors.length ? r.monitors.map((m) => `\`${esc(m.name)}\``).join(', ') : '**none**';
    const approvals = r.manualApprovalsBefore.length ? ` + approval of ${r.manualApprovalsBefore.map(esc).join(', ')}` : '';
    out.push(`| ${e.step.number}. ${e.step.kind} \`${e.step.name}\` | \`${e.environment}\` | ${e.changes.length} | ${strategy} | ${alarms} | ${minutes(r.completeAtMinutes)}${approvals} |`);
  }
  out.push('');
  const first = firstReach(report);
  if (first) out.push(`First reaches **${first}**.`, '');
  if (report.reach) {
    const r = reachLines(report.reach);
    out.push(`**Reach:** ${esc(r.reach)}.`, '', `**Alarms:** ${esc(r.alarms)}.`, '', `**Done:** ${esc(r.done)}.`, '');
    if (report.reach.blastRadius) out.push(`**Blast radius:** ${esc(report.reach.blastRadius.sentence)}`, '');
  }
  for (const e of report.environments) {
    out.push(`<details><summary><b>${e.environment}</b> (${stepLabel(e)}): ${plural(e.changes.length, 'change')}</summary>`, '');
    for (const c of e.changes) out.push(`- \`${c.application}\` ${c.profile === 'flags' ? '' : `[${c.profile}] `}**${esc(c.subject)}**: ${esc(c.detail)}`);
    out.push('', '</details>', '');
  }
  if (report.workload.length) {
    out.push('#### Workload', '');
    for (const c of report.workload) out.push(`- **${esc(c.subject)}**: ${esc(c.detail)}`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
