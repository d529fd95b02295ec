import { computePlan, DEFAULT_GATE_OVERHEAD_MINUTES, type EnvironmentPlan, type Plan } from '../../pipeline/plan';
import { choiceOption, EXIT_OK, numberOption, type Command } from '../command';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const PLAN_FORMATS = ['text', 'markdown', 'mermaid', 'json'] as const;

export const planCommand: Command = {
  name: 'plan',
  summary: 'stages, waves, strategies, alarms, lead time and blast radius of a change',
  usage: `usage: dynconf plan [--format text|markdown|mermaid|json] [--gate-overhead <minutes>] [--root <dir>]

From config/workload.json: the order a change travels (stages, then waves), each
environment's deployment strategy and monitors, the time a change takes to reach each
environment and all of prod, and the blast radius: how much of prod a bad change can
reach before an alarm can stop it.
  --format         text (default), markdown (PR comment), mermaid (a flowchart GitHub
                   renders in a \`\`\`mermaid block) or json
  --gate-overhead  minutes each step spends outside AppConfig: CloudFormation plus the
                   rollout gate (default ${DEFAULT_GATE_OVERHEAD_MINUTES})
Manual approvals are listed, never timed. Exit 0.`,
  options: { ...ROOT_OPTION, format: { type: 'string' }, 'gate-overhead': { type: 'string' } },
  async run(args, io) {
    const format = choiceOption(args, 'format', PLAN_FORMATS, 'text');
    const gateOverheadMinutes = numberOption(args, 'gate-overhead', DEFAULT_GATE_OVERHEAD_MINUTES, { min: 0, max: 1440 });
    const plan = computePlan(requireModel(workspaceRoot(args, io), io), { gateOverheadMinutes });
    const render = { text: renderPlanText, markdown: renderPlanMarkdown, mermaid: renderPlanMermaid, json: (p: Plan) => `${JSON.stringify(p, null, 2)}\n` }[format];
    io.stdout.write(render(plan));
    return EXIT_OK;
  },
};

/** "40 min", "105 min (1 h 45 min)". */
export function minutes(m: number): string {
  const r = Number(m.toFixed(1));
  if (r < 60) return `${r} min`;
  const h = Math.floor(r / 60);
  const rest = Number((r - h * 60).toFixed(1));
  return `${r} min (${h} h${rest ? ` ${rest} min` : ''})`;
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

export function describeRollout(e: EnvironmentPlan): string {
  if (e.percentages.length === 1) return 'all at once';
  return `${e.growthType.toLowerCase()} ${e.percentages.map((p) => Number(p.toFixed(1))).join('/')}% every ${Number(e.stepIntervalMinutes.toFixed(1))} min`;
}

function describeMonitors(e: EnvironmentPlan): string {
  if (e.monitors.length === 0) return 'none';
  return e.monitors
    .map((m) => `${m.name} (${m.kind === 'metric-alarm' ? `metric alarm, can fire after ${minutes(m.detectionMinutes!)}` : 'existing alarm, timing not in the repo'})`)
    .join('; ');
}

/** A table cell: "105 min", marked when a manual approval comes first. */
function at(m: number, e: EnvironmentPlan): string {
  return `${Number(m.toFixed(1))} min${e.manualApprovalsBefore.length ? '*' : ''}`;
}

function approvalFootnote(plan: Plan): string[] {
  const n = plan.manualApprovals.length;
  return n ? [`* plus the wait for ${n === 1 ? 'the manual approval' : 'the manual approvals'} of ${plan.manualApprovals.join(', ')}`] : [];
}

function leadTimeLines(plan: Plan): string[] {
  const n = plan.manualApprovals.length;
  const approvals = n ? ` + ${n} manual approval${n === 1 ? '' : 's'} (${plan.manualApprovals.join(', ')})` : '';
  const out = [`all of prod: ${minutes(plan.allProdMinutes)}${approvals}`, `every environment: ${minutes(plan.allEnvironmentsMinutes)}${approvals}`];
  if (plan.worstCase.profiles > 1) {
    out.push(
      `worst case: a change to all ${plan.worstCase.profiles} profiles of ${plan.worstCase.application} queues ${plan.worstCase.profiles} deployments in each environment (AppConfig runs one at a time): all of prod in ${minutes(plan.worstCase.allProdMinutes)}`,
    );
  }
  return out;
}

export function blastRadiusSentence(plan: Plan): string {
  const b = plan.blastRadius;
  if (b.prodEnvironments === 0) return 'No prod environment: nothing to measure.';
  const reached = `${b.reachedEnvironments.length} of ${b.prodEnvironments} prod environment${b.prodEnvironments === 1 ? '' : 's'} (${percent(b.environmentShare)}: ${b.reachedEnvironments.join(', ')})`;
  if (!b.guardedBy) return `No prod step has a monitor and a final bake on every environment: a change that is bad only in prod reaches ${reached} with nothing to stop it.`;
  const guard = plan.environments.filter((e) => e.step === plan.steps.find((s) => s.name === b.guardedBy)!.number && e.tier === 'prod');
  const inside = guard
    .map((e) =>
      e.fastestMonitor
        ? `in ${e.environment}, ${Number(e.exposureAtFirstAlarm!.toFixed(1))}% of targets hold it when ${e.fastestMonitor.name} can first fire (${minutes(e.fastestMonitor.detectionMinutes!)})`
        : `in ${e.environment}, the share of targets is unknown: its alarms' timing is not in the repo`,
    )
    .join('; ');
  const targets = b.targetShare === null ? '' : ` That is ${percent(b.targetShare)} of prod targets, counting every prod environment as the same size.`;
  return `A change that is bad only in prod reaches ${reached} before the alarms and bake of ${b.guardedBy} can stop it; ${inside}.${targets}`;
}

/** Left-aligned columns; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderPlanText(plan: Plan): string {
  const rows: string[][] = [['#', 'step', 'environment', 'tier', 'strategy', 'rollout', 'bake', 'first targets', 'complete']];
  for (const e of plan.environments) {
    const s = plan.steps[e.step - 1]!;
    rows.push([
      String(s.number),
      `${s.kind} ${s.name}`,
      e.environment,
      e.tier,
      e.strategy,
      describeRollout(e),
      minutes(e.finalBakeTimeMinutes),
      at(e.firstTargetsAtMinutes, e),
      at(e.completeAtMinutes, e),
    ]);
  }
  const width = Math.max(...plan.environments.map((e) => e.environment.length));
  return [
    `Plan for ${plan.workload}: ${plan.steps.length} steps, ${plan.environments.length} environments; times from the start of the first step, with ${minutes(plan.gateOverheadMinutes)} of gate overhead per step and no time for manual approvals.`,
    '',
    ...table(rows),
    ...approvalFootnote(plan),
    '',
    'Monitors (a monitor in ALARM during the rollout or bake rolls the deployment back):',
    ...plan.environments.map((e) => `  ${e.environment.padEnd(width)}  ${describeMonitors(e)}`),
    '',
    'Lead time (a change to one profile per application):',
    ...leadTimeLines(plan).map((l) => `  ${l}`),
    '',
    `Blast radius: ${blastRadiusSentence(plan)}`,
    '',
  ].join('\n');
}

export function renderPlanMarkdown(plan: Plan): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\*/g, '\\*');
  const out = [
    `### dynconf plan: ${esc(plan.workload)}`,
    '',
    '| # | Step | Environment | Tier | Strategy | Rollout | Bake | Monitors | First targets | Complete |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const e of plan.environments) {
    const s = plan.steps[e.step - 1]!;
    const cells = [
      String(s.number),
      `${s.kind} \`${esc(s.name)}\`${s.manualApproval ? ' (manual approval)' : ''}`,
      `\`${esc(e.environment)}\``,
      e.tier,
      `\`${esc(e.strategy)}\``,
      describeRollout(e),
      minutes(e.finalBakeTimeMinutes),
      esc(describeMonitors(e)),
      esc(at(e.firstTargetsAtMinutes, e)),
      esc(at(e.completeAtMinutes, e)),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push(
    '',
    ...approvalFootnote(plan).map(esc),
    '',
    `Times count from the start of the first step, with ${minutes(plan.gateOverheadMinutes)} of gate overhead per step; manual approvals are not timed.`,
    '',
    '**Lead time** (a change to one profile per application):',
    '',
    ...leadTimeLines(plan).map((l) => `- ${esc(l)}`),
    '',
    `**Blast radius:** ${esc(blastRadiusSentence(plan))}`,
    '',
  );
  return out.join('\n');
}

/**
 * A left-to-right flowchart with one subgraph per step. Only the plainest syntax: ids of
 * letters, digits and underscores (never the reserved `end`), every label in double
 * quotes with no double quote inside, `<br/>` for line breaks, edge labels of plain words.
 */
export function renderPlanMermaid(plan: Plan): string {
  const id = (prefix: string, name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  // Entity codes keep a name from closing a label or opening an HTML tag.
  const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const label = (lines: readonly string[]) => `"${lines.map(text).join('<br/>')}"`;
  const out = ['flowchart LR'];
  for (const s of plan.steps) {
    out.push(`  subgraph ${id('step', String(s.number))}[${label([`${s.number}. ${s.kind} ${s.name}: done at ${minutes(s.endsAtMinutes)}`])}]`);
    for (const name of s.environments) {
      const e = plan.environments.find((x) => x.environment === name)!;
      const lines = [
        `${e.environment} (${e.tier})`,
        `${e.strategy}: ${describeRollout(e)}`,
        `deploy ${minutes(e.deploymentDurationMinutes)}, bake ${minutes(e.finalBakeTimeMinutes)}`,
        ...(e.monitors.length ? e.monitors.map((m) => m.name) : ['no monitors']),
      ];
      out.push(`    ${id('env', name)}[${label(lines)}]`);
    }
    out.push('  end');
  }
  for (let i = 1; i < plan.steps.length; i++) {
    const s = plan.steps[i]!;
    out.push(`  ${id('step', String(i))} -->|${s.manualApproval ? 'COMPLETE then manual approval' : 'COMPLETE'}| ${id('step', String(s.number))}`);
  }
  return `${out.join('\n')}\n`;
}
