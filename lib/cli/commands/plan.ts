import type { QuotaUsage } from '../../model';
import {
  computePlan,
  DEFAULT_GATE_OVERHEAD_MINUTES,
  EMERGENCY_CHECK_MINUTES,
  EMERGENCY_DEPLOY_OVERHEAD_MINUTES,
  EMERGENCY_START_MINUTES,
  rolloutPercentages,
  type EmergencyLanePlan,
  type EnvironmentPlan,
  type MonitorPlan,
  type Plan,
} from '../../pipeline/plan';
import type { RemovalOf } from '../../pipeline/removal';
import { APPCONFIG_PRICES, DEFAULT_CLUSTER_LOAD, type DataPlaneEstimate } from '../../agent/data-plane-cost';
import { choiceOption, EXIT_OK, numberOption, type Command } from '../command';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

export const PLAN_FORMATS = ['text', 'markdown', 'mermaid', 'json'] as const;

export const planCommand: Command = {
  name: 'plan',
  summary: 'stages, waves, strategies, alarms, lead time, blast radius, AppConfig quotas and what removal leaves behind',
  usage: `usage: dynconf plan [--format text|markdown|mermaid|json] [--gate-overhead <minutes>] [--nodes <n>] [--pods <n>] [--root <dir>]

From config/workload.json: the order a change travels (stages, then waves), each
environment's deployment strategy and monitors (its canary's alarm among them), the time
a change takes to reach each environment and all of prod, the pipeline's own minutes
from a merge to the first rollout gate (today, and before the browser tests ran beside
synth and the check steps stopped running npm ci), and the blast radius: how much
of prod a bad change can reach before an alarm can stop it, and which prod environments
have no synthetic traffic for their alarms to see; the emergency lane's lead time, when declared; AppConfig quota usage per account and region; what
removing an application, environment or cluster leaves in AWS; and each cluster's
AppConfig data-plane calls and their cost, beside a sidecar per pod.
  --format         text (default), markdown (PR comment), mermaid (a flowchart GitHub
                   renders in a \`\`\`mermaid block) or json
  --gate-overhead  minutes each step spends outside AppConfig: CloudFormation plus the
                   rollout gate (default ${DEFAULT_GATE_OVERHEAD_MINUTES})
  --nodes, --pods  the size of every cluster for the data-plane estimate
                   (default ${DEFAULT_CLUSTER_LOAD.nodes} nodes, ${DEFAULT_CLUSTER_LOAD.pods} pods)
Manual approvals are listed, never timed. Exit 0.`,
  options: { ...ROOT_OPTION, format: { type: 'string' }, 'gate-overhead': { type: 'string' }, nodes: { type: 'string' }, pods: { type: 'string' } },
  async run(args, io) {
    const format = choiceOption(args, 'format', PLAN_FORMATS, 'text');
    const gateOverheadMinutes = numberOption(args, 'gate-overhead', DEFAULT_GATE_OVERHEAD_MINUTES, { min: 0, max: 1440 });
    const clusterLoad = {
      nodes: numberOption(args, 'nodes', DEFAULT_CLUSTER_LOAD.nodes, { min: 1, max: 100_000, integer: true }),
      pods: numberOption(args, 'pods', DEFAULT_CLUSTER_LOAD.pods, { min: 0, max: 10_000_000, integer: true }),
    };
    const plan = computePlan(requireModel(workspaceRoot(args, io), io), { gateOverheadMinutes, clusterLoad });
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

export function describeRollout(e: Pick<EnvironmentPlan, 'percentages' | 'growthType' | 'stepIntervalMinutes'>): string {
  if (e.percentages.length === 1) return 'all at once';
  return `${e.growthType.toLowerCase()} ${e.percentages.map((p) => Number(p.toFixed(1))).join('/')}% every ${Number(e.stepIntervalMinutes.toFixed(1))} min`;
}

function describeMonitor(m: MonitorPlan, e: EnvironmentPlan): string {
  switch (m.kind) {
    case 'metric-alarm':
      return `metric alarm, can fire after ${minutes(m.detectionMinutes!)}`;
    case 'canary-alarm':
      return `synthetic canary alarm, GET ${e.canary!.url} every ${minutes(e.canary!.rateMinutes)}, can fire after ${minutes(m.detectionMinutes!)}`;
    case 'existing-alarm':
      return 'existing alarm, timing not in the repo';
  }
}

function describeMonitors(e: EnvironmentPlan): string {
  if (e.monitors.length === 0) return 'none';
  return e.monitors.map((m) => `${m.name} (${describeMonitor(m, e)})`).join('; ');
}

/** "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
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
  const canaryOf = (env: string) => plan.environments.find((e) => e.environment === env)!.canary?.alarm;
  const alarms = b.stoppedBy.map((s) => `in ${s.environment}, ${listOf(s.alarms.map((a) => (a === canaryOf(s.environment) ? `${a} (its synthetic canary)` : a)))}`).join('; ');
  return `A change that is bad only in prod reaches ${reached} before the alarms and bake of ${b.guardedBy} can stop it; ${inside}.${targets} The alarms that can stop it: ${alarms}.`;
}

/**
 * Which prod environments have synthetic traffic, by canary rate, and which have none:
 * "synthetic traffic: prod-01, prod-02 (canary every 5 min)", "no synthetic traffic: ...".
 */
export function syntheticTrafficLines(plan: Plan): string[] {
  const t = plan.syntheticTraffic;
  if (t.covered.length === 0 && t.uncovered.length === 0) return [];
  const out: string[] = [];
  if (t.covered.length) {
    const rates = [...new Set(t.covered.map((c) => c.rateMinutes))];
    const groups = rates.map((r) => `${t.covered.filter((c) => c.rateMinutes === r).map((c) => c.environment).join(', ')} (canary every ${minutes(r)})`);
    out.push(`Synthetic traffic: ${groups.join('; ')}; each canary's alarm is one of its environment's monitors.`);
  }
  if (t.uncovered.length) {
    const one = t.uncovered.length === 1;
    out.push(
      `No synthetic traffic: ${t.uncovered.join(', ')}: ${one ? 'its' : 'their'} alarms may see no traffic during a rollout. ` +
        `Add "canary": { "url", "rateMinutes" } to ${one ? `environments.${t.uncovered[0]!}` : 'each'} in config/workload.json (\`validate\` warns; an error under --strict).`,
    );
  }
  return out;
}

/** Left-aligned columns; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** A part of the text or markdown output: its lines, without the blank line that separates parts. */
export type PlanSection = (plan: Plan) => string[];

function joinSections(plan: Plan, sections: readonly PlanSection[]): string {
  return `${sections.map((section) => section(plan).join('\n')).join('\n\n')}\n`;
}

function scheduleText(plan: Plan): string[] {
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
  return [
    `Plan for ${plan.workload}: ${plan.steps.length} steps, ${plan.environments.length} environments; times from the start of the first step, with ${minutes(plan.gateOverheadMinutes)} of gate overhead per step and no time for manual approvals.`,
    '',
    ...table(rows),
    ...approvalFootnote(plan),
  ];
}

function monitorsText(plan: Plan): string[] {
  const width = Math.max(...plan.environments.map((e) => e.environment.length));
  return [
    'Monitors (a monitor in ALARM during the rollout or bake rolls the deployment back):',
    ...plan.environments.map((e) => `  ${e.environment.padEnd(width)}  ${describeMonitors(e)}`),
  ];
}

function leadTimeText(plan: Plan): string[] {
  return ['Lead time (a change to one profile per application):', ...leadTimeLines(plan).map((l) => `  ${l}`)];
}

/**
 * The pipeline's own minutes before the first gate, today against the earlier pipeline:
 * "merge to beta gate: 26 min (was 38 min)", then each stage's share and what the Build
 * stage's actions run.
 */
export function pipelineMinutesLines(plan: Plan): string[] {
  const p = plan.pipeline;
  const b = p.before;
  const env = p.firstEnvironment;
  const saved = Number((b.toFirstGateMinutes - p.toFirstGateMinutes).toFixed(1));
  const checkSaved = Number(((b.checkStepStartMinutes - p.checkStepStartMinutes) * p.checkSteps).toFixed(1));
  const lines = [
    `merge to the ${env} gate starting: ${minutes(p.toFirstGateMinutes)}; ${minutes(b.toFirstGateMinutes)} with the browser tests inside the synth step and npm ci in every check step, as the earlier pipeline did (${minutes(saved)} less)`,
    `  ${p.segments.map((s) => `${s.name} ${Number(s.minutes.toFixed(1))}`).join(' + ')}`,
  ];
  for (const a of p.buildActions) {
    lines.push(`  ${a.name} (${minutes(a.minutes)}, CodeBuild start included): ${a.commands.map((c) => `${c.command} ${Number(c.minutes.toFixed(1))}`).join('; ')}`);
  }
  lines.push(
    `  each of the ${p.checkSteps} check steps (gates, verify, emergency guards) starts in ${minutes(p.checkStepStartMinutes)} (was ${minutes(b.checkStepStartMinutes)}): the CLI bundle is an input, nothing is installed; ${minutes(checkSaved)} of CodeBuild less per release`,
    `  figures: measured here or estimated (AWS publishes none): see \`dynconf plan --format json\` .pipeline.figures`,
  );
  return lines;
}

function pipelineMinutesText(plan: Plan): string[] {
  return ["Pipeline (before the first step; not in the times above):", ...pipelineMinutesLines(plan).map((l) => `  ${l}`)];
}

/** How an emergency deployment rolls out: "all at once", or the steps of its strategy. */
function describeEmergencyRollout(e: EmergencyLanePlan): string {
  const percentages = rolloutPercentages(e);
  return describeRollout({ growthType: e.growthType, percentages, stepIntervalMinutes: e.deploymentDurationMinutes / percentages.length });
}

export const EMERGENCY_NOT_CONFIGURED =
  'Emergency lane: not configured. Declare "emergency": { "strategy": "<a strategy>" } in config/workload.json to deploy off-switches and lowered limits to every environment in minutes from an emergency/* branch.';

/** The lane's lines: its trigger, how its lead time adds up, beside the waves'. */
export function emergencyLines(plan: Plan): string[] {
  const e = plan.emergency;
  if (!e.configured) return [EMERGENCY_NOT_CONFIGURED];
  const n = plan.manualApprovals.length;
  const waves = `${minutes(plan.allProdMinutes)}${n ? ` + ${n} manual approval${n === 1 ? '' : 's'}` : ''}`;
  const lines = [
    `Emergency lane (a push to ${e.branches}; only what \`dynconf emergency check\` accepts): every environment at once with ${e.strategy} (${describeEmergencyRollout(e)}, bake ${minutes(e.finalBakeTimeMinutes)}).`,
    `  all of prod and every environment: ${minutes(e.leadTimeMinutes)} (build start ${EMERGENCY_START_MINUTES} + validate and check ${EMERGENCY_CHECK_MINUTES} + deploy calls ${EMERGENCY_DEPLOY_OVERHEAD_MINUTES} + rollout ${e.deploymentDurationMinutes} + bake ${e.finalBakeTimeMinutes}), against ${waves} through the waves`,
  ];
  if (e.worstCaseProfiles > 1) {
    lines.push(`  worst case: a change to all ${e.worstCaseProfiles} profiles of one application queues ${e.worstCaseProfiles} deployments in each environment: ${minutes(e.worstCaseLeadTimeMinutes)}`);
  }
  return lines;
}

function emergencyText(plan: Plan): string[] {
  return emergencyLines(plan);
}

function blastRadiusText(plan: Plan): string[] {
  return [`Blast radius: ${blastRadiusSentence(plan)}`, ...syntheticTrafficLines(plan)];
}

const QUOTAS_INTRO =
  "AppConfig quotas per account and region (count / quota; AWS counts every resource there, dynconf's and any other; raise one in Service Quotas, then declare it in workload.json serviceQuotas.appconfig):";

/** "4 / 100 (default)", "101 / 300 (declared)", "6 / 5 (default) OVER". */
export function quotaUse(u: QuotaUsage): string {
  return `${u.count} / ${u.limit} (${u.limitFrom}${u.adjustable ? '' : ', fixed'})${u.over ? ' OVER' : ''}`;
}

function quotaRows(plan: Plan): string[][] {
  return plan.quotas.map((u) => [`${u.account}/${u.region}`, u.label, quotaUse(u), u.where ?? '']);
}

function quotasText(plan: Plan): string[] {
  return [QUOTAS_INTRO, ...table([['account/region', 'quota', 'used', 'largest at'], ...quotaRows(plan)]).map((l) => `  ${l}`)];
}

const REMOVAL_INTRO =
  "What removing something from workload.json leaves in AWS (CDK Pipelines never deletes a stack it no longer deploys; dynconf retains prod data on purpose). Delete these by hand, in the order given: see the README's runbook.";

function removalEntries(plan: Plan): { title: string; entry: RemovalOf }[] {
  return [
    { title: 'an application', entry: plan.removal.application },
    ...plan.removal.environments.map((entry) => ({ title: `environment ${entry.name}`, entry })),
    ...plan.removal.clusters.map((entry) => ({ title: `cluster ${entry.name}`, entry })),
  ];
}

function removalText(plan: Plan): string[] {
  const out = [REMOVAL_INTRO];
  for (const { title, entry } of removalEntries(plan)) {
    out.push(`  Removing ${title}${title === 'an application' ? ` (${entry.name})` : ''}:`);
    for (const l of entry.leftBehind) out.push(`    - stays: ${l.what}`, `      in ${l.where}`, `      why: ${l.why}`, `      cleanup: ${l.cleanup}`);
    for (const r of entry.removedByPipeline) out.push(`    - removed by the pipeline: ${r}`);
  }
  return out;
}

function dataPlaneIntro(plan: Plan): string {
  const e = plan.dataPlane[0];
  const load = e ? `${e.nodes} nodes and ${e.pods} pods a cluster (--nodes, --pods)` : 'no cluster';
  return (
    `AppConfig data-plane calls (GetLatestConfiguration) for ${load}: one agent per node polls its prefetch list and what its pods read, ` +
    'a sidecar per pod polls its own application; worst case, every pod on a node reading a different application. ' +
    `Prices: ${APPCONFIG_PRICES.source}.`
  );
}

const usd = (n: number) => `$${n < 100 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US')}`;
const count = (n: number) => Math.round(n).toLocaleString('en-US');

function dataPlaneRows(plan: Plan): string[][] {
  const rows = (e: DataPlaneEstimate) => [
    [e.cluster, 'DaemonSet', `${e.nodes} agents x ${count(e.daemonSet.configurationsPerPoller)}`, count(e.daemonSet.callsPerSecond), count(e.daemonSet.callsPerDay), usd(e.daemonSet.callsCostPerMonth)],
    ['', 'sidecar per pod', `${e.pods} sidecars x ${e.sidecar.configurationsPerPoller.toFixed(2)}`, count(e.sidecar.callsPerSecond), count(e.sidecar.callsPerDay), usd(e.sidecar.callsCostPerMonth)],
  ];
  return plan.dataPlane.flatMap(rows);
}

function dataPlaneNotes(plan: Plan): string[] {
  return plan.dataPlane.map(
    (e) =>
      `${e.cluster}: serves ${e.servedEntries} app:env:profile entries, prefetches ${e.prefetchEntries}, polls every ${e.pollIntervalSeconds} s; ` +
      (e.daemonSet.callsPerDay <= e.sidecar.callsPerDay ? 'the DaemonSet makes no more calls than sidecars would.' : 'the DaemonSet makes MORE calls than sidecars would: prefetch less.'),
  );
}

const DATA_PLANE_HEADER = ['cluster', 'pollers', 'configurations polled', 'calls/s', 'calls/day', 'cost of calls/month'];

function dataPlaneText(plan: Plan): string[] {
  if (plan.dataPlane.length === 0) return [];
  return [dataPlaneIntro(plan), ...table([DATA_PLANE_HEADER, ...dataPlaneRows(plan)]).map((l) => `  ${l}`), ...dataPlaneNotes(plan).map((l) => `  ${l}`)];
}

/** The text output, part by part; a new part is one more function here. */
export const TEXT_SECTIONS: readonly PlanSection[] = [scheduleText, monitorsText, leadTimeText, pipelineMinutesText, emergencyText, blastRadiusText, quotasText, dataPlaneText, removalText];

export function renderPlanText(plan: Plan): string {
  return joinSections(plan, TEXT_SECTIONS);
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\*/g, '\\*');

function scheduleMarkdown(plan: Plan): string[] {
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
  );
  return out;
}

function leadTimeMarkdown(plan: Plan): string[] {
  return ['**Lead time** (a change to one profile per application):', '', ...leadTimeLines(plan).map((l) => `- ${esc(l)}`)];
}

function pipelineMinutesMarkdown(plan: Plan): string[] {
  const [first, ...rest] = pipelineMinutesLines(plan);
  return [`**Pipeline:** ${esc(first!)}`, '', ...rest.map((l) => `- ${esc(l.trim())}`)];
}

function emergencyMarkdown(plan: Plan): string[] {
  const [first, ...rest] = emergencyLines(plan);
  return [`**${esc(first!.replace(/:.*$/s, ''))}:**${esc(first!.replace(/^[^:]*:/s, ''))}`, ...(rest.length ? ['', ...rest.map((l) => `- ${esc(l.trim())}`)] : [])];
}

function blastRadiusMarkdown(plan: Plan): string[] {
  const traffic = syntheticTrafficLines(plan).map((l) => {
    const colon = l.indexOf(':');
    return `- **${esc(l.slice(0, colon))}:**${esc(l.slice(colon + 1))}`;
  });
  return [`**Blast radius:** ${esc(blastRadiusSentence(plan))}`, ...(traffic.length ? ['', ...traffic] : [])];
}

function quotasMarkdown(plan: Plan): string[] {
  return [
    `**${esc(QUOTAS_INTRO.replace(/:$/, ''))}**`,
    '',
    '| Account/region | Quota | Used | Largest at |',
    '| --- | --- | --- | --- |',
    ...quotaRows(plan).map((r) => `| ${r.map((c, i) => (i === 2 && c.endsWith('OVER') ? `**${esc(c)}**` : esc(c))).join(' | ')} |`),
  ];
}

function removalMarkdown(plan: Plan): string[] {
  const out = ['<details><summary>What removing an application, environment or cluster leaves behind</summary>', '', esc(REMOVAL_INTRO)];
  for (const { title, entry } of removalEntries(plan)) {
    out.push('', `**Removing ${esc(title)}${title === 'an application' ? ` (\`${entry.name}\`)` : ''}**`, '');
    for (const l of entry.leftBehind) out.push(`- stays: ${esc(l.what)}, in ${esc(l.where)}. Why: ${esc(l.why)}. Cleanup: ${esc(l.cleanup)}`);
    for (const r of entry.removedByPipeline) out.push(`- removed by the pipeline: ${esc(r)}`);
  }
  out.push('', '</details>');
  return out;
}

/** The markdown output (a PR comment), part by part. */
function dataPlaneMarkdown(plan: Plan): string[] {
  if (plan.dataPlane.length === 0) return [];
  return [
    esc(dataPlaneIntro(plan)),
    '',
    `| ${DATA_PLANE_HEADER.join(' | ')} |`,
    `|${DATA_PLANE_HEADER.map(() => ' --- ').join('|')}|`,
    ...dataPlaneRows(plan).map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...dataPlaneNotes(plan).map((l) => `- ${esc(l)}`),
  ];
}

export const MARKDOWN_SECTIONS: readonly PlanSection[] = [scheduleMarkdown, leadTimeMarkdown, pipelineMinutesMarkdown, emergencyMarkdown, blastRadiusMarkdown, quotasMarkdown, dataPlaneMarkdown, removalMarkdown];

export function renderPlanMarkdown(plan: Plan): string {
  return joinSections(plan, MARKDOWN_SECTIONS);
}

/**
 * A left-to-right flowchart with one subgraph per step. Only the plainest syntax: ids of
 * letters, digits and underscores (never the reserved `end`), every label in double
 * quotes with no double quote inside, `<br/>` for line breaks, edge labels of plain words.
 * The emergency lane, when declared, is a subgraph of its own beside the steps, with a
 * dotted edge to every environment it deploys to at once.
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
        ...(e.canary ? [`canary every ${minutes(e.canary.rateMinutes)}`] : e.tier === 'prod' ? ['no synthetic traffic'] : []),
      ];
      out.push(`    ${id('env', name)}[${label(lines)}]`);
    }
    out.push('  end');
  }
  for (let i = 1; i < plan.steps.length; i++) {
    const s = plan.steps[i]!;
    out.push(`  ${id('step', String(i))} -->|${s.manualApproval ? 'COMPLETE then manual approval' : 'COMPLETE'}| ${id('step', String(s.number))}`);
  }
  // The lane beside the waves: one build, then every environment at once.
  const e = plan.emergency;
  if (e.configured) {
    out.push(`  subgraph emergency_lane[${label([`emergency lane: a push to ${e.branches}, every environment at once: done at ${minutes(e.leadTimeMinutes)}`])}]`);
    out.push(`    emergency_check[${label(['validate and emergency check', `${minutes(EMERGENCY_START_MINUTES + EMERGENCY_CHECK_MINUTES)}`])}]`);
    out.push(`    emergency_deploy[${label([`${e.strategy}: ${describeEmergencyRollout(e)}`, `deploy ${minutes(e.deploymentDurationMinutes)}, bake ${minutes(e.finalBakeTimeMinutes)}`])}]`);
    out.push('  end');
    out.push('  emergency_check -->|then| emergency_deploy');
    for (const env of e.environments) out.push(`  emergency_deploy -.->|emergency| ${id('env', env.environment)}`);
  }
  return `${out.join('\n')}\n`;
}
