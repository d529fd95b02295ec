/**
 * How much of a CloudFormation template each application takes, the budgets a stack part
 * is held to, and the checks that keep every AppConfig template deployable.
 *
 * lib/appconfig inlines every hosted document and ops schema in a template, and the
 * pipeline deploys each template through CodePipeline's CloudFormation action, so the
 * smallest template limit on that path caps what one environment of one application may
 * carry. These are plain numbers and sums (no CDK): `validate` checks them before synth
 * does, and `dynconf layout` uses them to place applications in stack parts.
 *
 * The resource counts mirror lib/appconfig's constructs (SharedApplication,
 * ApplicationEnvironment); test/pipeline/scale.test.ts proves them exact against
 * synthesized templates, and the byte estimates never too low.
 */
import type { AccountRegion, ApplicationModel, ConfigDocument, Model } from './model';
import { own } from './source';
import type { EnvironmentConfig, WorkloadConfig } from './types';

export interface StackCost {
  readonly resources: number;
  /** Bytes of the template file as the CDK writes it. */
  readonly bytes: number;
  readonly parameters: number;
}

/**
 * CloudFormation's per-template quotas. Source: AWS CloudFormation User Guide, "Understand
 * CloudFormation quotas": Resources 500 per template, Template body size in an Amazon S3
 * object 1 MB, Parameters 200 per template, Outputs 200 per template.
 */
export const CLOUDFORMATION_LIMITS = { resources: 500, bytes: 1024 * 1024, parameters: 200, outputs: 200 } as const;

/**
 * CodePipeline's CloudFormation deploy action accepts templates of at most 512 KB, half of
 * what CloudFormation itself takes. Source: aws-cloudformation/cloudformation-coverage-roadmap
 * issue #1023, "Cloudformation Action in Codepipeline only allows 512KB template" (open).
 * Read as 512,000 bytes, the smaller of the two readings of "KB".
 */
export const CODEPIPELINE_TEMPLATE_BYTES = 512_000;

/** The smallest limit on a template's path (CDK Pipelines -> CodePipeline -> CloudFormation). */
export const TEMPLATE_LIMITS = { ...CLOUDFORMATION_LIMITS, bytes: CODEPIPELINE_TEMPLATE_BYTES } as const;

/**
 * What a stack part's estimated cost may reach before `validate` and synth fail. Under
 * TEMPLATE_LIMITS with a margin: resources are counted exactly but other parts of dynconf
 * may add a few per stack; bytes are estimated from above, and 450 KiB (460,800 bytes)
 * leaves 51 KB under CodePipeline's 512 KB; parameters leave room for counterparts of
 * outputs in consuming stacks.
 */
export const HARD_BUDGET: StackCost = { resources: 450, bytes: 450 * 1024, parameters: 150 };

/**
 * What `dynconf layout` fills a part up to when it places a new application: two thirds of
 * HARD_BUDGET, so the applications already in a part can grow (more flags, longer rules)
 * by half before the part must be split by moving one of them.
 */
export const FILL_BUDGET: StackCost = { resources: 300, bytes: 300 * 1024, parameters: 100 };

/**
 * Template bytes of one resource besides its payload (hosted content, validator schema):
 * logical id, type, the `aws:cdk:path` metadata, Refs, DependsOn, indentation. Measured
 * on the sample at about 1,000 bytes in environment stacks and 600 in shared ones; 1,500
 * leaves room for 63-character application names, which appear in ids and paths.
 */
export const BYTES_PER_RESOURCE = 1500;

/** Template bytes of one monitor entry (alarm ARN and role ARN) in each AppConfig Environment. */
const BYTES_PER_MONITOR = 300;

/** Template bytes of a stack's fixed parts: description, CDK metadata, bootstrap rule. */
const FIXED_TEMPLATE_BYTES = 4096;

export const NO_COST: StackCost = { resources: 0, bytes: 0, parameters: 0 };

export function addCost(a: StackCost, b: StackCost): StackCost {
  return { resources: a.resources + b.resources, bytes: a.bytes + b.bytes, parameters: a.parameters + b.parameters };
}

export function fitsBudget(cost: StackCost, budget: StackCost): boolean {
  return cost.resources <= budget.resources && cost.bytes <= budget.bytes && cost.parameters <= budget.parameters;
}

export function describeCost(c: StackCost): string {
  return `${c.resources} resources, ~${Math.ceil(c.bytes / 1024)} KiB, ${c.parameters} parameters`;
}

/** Bytes a string takes once embedded in a JSON template (quotes and escapes included). */
export function jsonStringBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), 'utf8');
}

/** Monitors of an environment: workload.json's, plus its canary's alarm (the stage creates the canary). */
export function monitorCount(config: EnvironmentConfig): number {
  return config.monitors.length + (config.canary ? 1 : 0);
}

/** Application, one profile per profile, one IDs parameter. */
export function sharedApplicationCost(app: ApplicationModel): StackCost {
  const resources = 1 + app.profiles.length + 1;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + jsonStringBytes(app.opsSchema), parameters: 0 };
}

/** CDK metadata, and per strategy the strategy and its ID parameter; the bootstrap version parameter. */
export function sharedFixedCost(strategies: number): StackCost {
  const resources = 1 + 2 * strategies;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + FIXED_TEMPLATE_BYTES, parameters: 1 };
}

/**
 * How content bytes are counted: `exact` renders each document and measures it as
 * JSON-escaped into a template; `bound` uses the byte length the loader knew without
 * rendering, doubled (escaping at most doubles a byte of JSON text: `"` and `\\` become two
 * bytes, everything else stays one), plus the quotes. validate checks with the bound first
 * and renders only what the bound cannot clear, so it stays fast.
 */
export type Precision = 'exact' | 'bound';

/** Environment, then per profile a hosted version and a deployment; one IDs parameter. */
export function environmentApplicationCost(model: Pick<Model, 'workload' | 'documents'>, environment: string, app: ApplicationModel, precision: Precision = 'exact'): StackCost {
  const resources = 1 + 2 * app.profiles.length;
  const content = contentBytes(model.documents, environment, app.name, precision).total;
  const monitors = monitorCount(model.workload.environments[environment]!);
  return { resources, bytes: resources * BYTES_PER_RESOURCE + content + monitors * BYTES_PER_MONITOR, parameters: 1 };
}

/** CDK metadata, the monitor role, the metric alarms; bootstrap version and strategy ID parameters. */
export function environmentFixedCost(hasMonitors: boolean, metricAlarms: number): StackCost {
  const resources = 1 + (hasMonitors ? 1 : 0) + metricAlarms;
  return { resources, bytes: resources * BYTES_PER_RESOURCE + FIXED_TEMPLATE_BYTES, parameters: 2 };
}

interface ContentBytes {
  /** JSON-escaped bytes of every document of one application in one environment. */
  readonly total: number;
  /** The same, of the documents compiled from flags/<app>.json (flags and browser profiles). */
  readonly flags: number;
  /** The same, of the ops document (config/ops/<app>/). */
  readonly ops: number;
}

const contentIndex: Record<Precision, WeakMap<readonly ConfigDocument[], Map<string, ContentBytes>>> = { exact: new WeakMap(), bound: new WeakMap() };

/** Byte length of each document's content, as the loader computed it without rendering. */
const knownBytes = new WeakMap<ConfigDocument, number>();

/** The loader records what it knows of a document's size, so `bound` needs no rendering. */
export function recordDocumentBytes(document: ConfigDocument, bytes: number): void {
  knownBytes.set(document, bytes);
}

function templateBytes(d: ConfigDocument, precision: Precision): number {
  const known = precision === 'bound' ? knownBytes.get(d) : undefined;
  return known === undefined ? jsonStringBytes(d.content) : 2 * known + 2;
}

/** Template bytes of an application's documents in one environment; indexed once per model. */
function contentBytes(documents: readonly ConfigDocument[], environment: string, application: string, precision: Precision = 'exact'): ContentBytes {
  let index = contentIndex[precision].get(documents);
  if (!index) {
    const built = new Map<string, { total: number; flags: number; ops: number }>();
    for (const d of documents) {
      const key = `${d.environment}\0${d.application}`;
      const entry = built.get(key) ?? built.set(key, { total: 0, flags: 0, ops: 0 }).get(key)!;
      const bytes = templateBytes(d, precision);
      entry.total += bytes;
      if (d.profile === 'ops') entry.ops += bytes;
      else entry.flags += bytes;
    }
    index = built;
    contentIndex[precision].set(documents, index);
  }
  return index.get(`${environment}\0${application}`) ?? { total: 0, flags: 0, ops: 0 };
}

/** One AppConfig stack kind that every part has a copy of: a shared stack of one account and region, or an environment's stack. */
export interface StackSlot {
  readonly kind: 'shared' | 'environment';
  /** The account-region key, or the environment name. */
  readonly key: string;
  /** For messages: e.g. `the shared stack of 222222222222-us-west-2`. */
  readonly label: string;
  /** What the stack's n-th part (1-based) holds before any application: part 1 carries the strategies or the metric alarms. */
  readonly fixedCost: (part: number) => StackCost;
  readonly costOf: (app: ApplicationModel, precision?: Precision) => StackCost;
}

type CapacityModel = Pick<Model, 'workload' | 'environments' | 'applications' | 'documents'>;

/** Environments grouped by account and region (as `accountRegions` does, for a model without a layout). */
function groupsOf(workload: WorkloadConfig, environments: readonly string[]): AccountRegion[] {
  const groups = new Map<string, AccountRegion & { environments: string[] }>();
  for (const env of environments) {
    const e = workload.environments[env]!;
    const key = `${e.account}-${e.region}`;
    const g = groups.get(key) ?? groups.set(key, { account: e.account, region: e.region, key, environments: [] }).get(key)!;
    g.environments.push(env);
  }
  return [...groups.values()];
}

/** Every stack kind an application is placed in: one shared stack per account and region, one stack per environment. */
export function stackSlots(model: CapacityModel): StackSlot[] {
  const slots: StackSlot[] = [];
  for (const group of groupsOf(model.workload, model.environments)) {
    const strategies = new Set(group.environments.map((e) => model.workload.environments[e]!.strategy)).size;
    slots.push({
      kind: 'shared',
      key: group.key,
      label: `the shared stack of ${group.key}`,
      fixedCost: (part) => sharedFixedCost(part === 1 ? strategies : 0),
      costOf: sharedApplicationCost,
    });
  }
  for (const env of model.environments) {
    const config = model.workload.environments[env]!;
    const metricAlarms = config.monitors.filter((m) => 'metricAlarm' in m).length;
    slots.push({
      kind: 'environment',
      key: env,
      label: `the stack of environment ${env}`,
      fixedCost: (part) => environmentFixedCost(monitorCount(config) > 0, part === 1 ? metricAlarms : 0),
      costOf: (app, precision) => environmentApplicationCost(model, env, app, precision),
    });
  }
  return slots;
}

/** Highest part number in use; part 1 always exists (it holds the strategies and alarms). */
export function partCount(parts: Readonly<Record<string, number>>): number {
  return Math.max(1, ...Object.values(parts));
}

/** What each part of one slot costs with the applications the layout puts there (index 0 is part 1). */
function partCosts(slot: StackSlot, apps: readonly ApplicationModel[], parts: Readonly<Record<string, number>>, count: number, precision: Precision = 'exact'): StackCost[] {
  const costs = Array.from({ length: count }, (_, i) => slot.fixedCost(i + 1));
  for (const app of apps) {
    const part = own(parts, app.name);
    if (part !== undefined) costs[part - 1] = addCost(costs[part - 1]!, slot.costOf(app, precision));
  }
  return costs;
}

export interface Assignment {
  /** Part of every application the model declares, by name, in name order. */
  readonly parts: Readonly<Record<string, number>>;
  /** Applications that got a part in this run (new ones, and a moved one), with their part. */
  readonly placed: ReadonlyArray<{ readonly application: string; readonly part: number }>;
  /** Entries dropped because workload.json no longer declares their application. */
  readonly dropped: readonly string[];
}

export interface AssignOptions {
  /** Give this application a part other than its current one (see README "Moving an application"). */
  readonly move?: string;
  /** @default FILL_BUDGET */
  readonly fill?: StackCost;
}

/**
 * The layout `dynconf layout` writes: every application keeps the part it has; entries of
 * removed applications are dropped; each new application, in name order, goes to the
 * lowest-numbered part where it fits within the fill budget in every stack of that part
 * (so space freed by removals is reused), else to a new part. Nothing already placed ever
 * moves, except the application named by `move`, which goes to the lowest other part it
 * fits in.
 */
export function assignParts(model: CapacityModel, existing: Readonly<Record<string, number>>, options: AssignOptions = {}): Assignment {
  const fill = options.fill ?? FILL_BUDGET;
  const byName = [...model.applications].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const declared = new Set(byName.map((a) => a.name));
  if (options.move !== undefined && !declared.has(options.move)) throw new Error(`cannot move '${options.move}': config/workload.json declares no such application`);
  const dropped = Object.keys(existing)
    .filter((a) => !declared.has(a))
    .sort();
  const parts: Record<string, number> = {};
  for (const app of byName) {
    const part = own(existing, app.name);
    if (part !== undefined && Number.isInteger(part) && part >= 1 && app.name !== options.move) parts[app.name] = part;
  }
  const slots = stackSlots(model);
  let count = partCount(parts);
  const used = slots.map((slot) => partCosts(slot, byName, parts, count));
  const placed: { application: string; part: number }[] = [];
  const toPlace = byName.filter((a) => !Object.hasOwn(parts, a.name));
  for (const app of toPlace) {
    const costs = slots.map((slot) => slot.costOf(app));
    const avoid = app.name === options.move ? own(existing, app.name) : undefined;
    let part = 1;
    while (part <= count && (part === avoid || !slots.every((_, s) => fitsBudget(addCost(used[s]![part - 1]!, costs[s]!), fill)))) part++;
    if (part > count) {
      count = part;
      slots.forEach((slot, s) => used[s]!.push(slot.fixedCost(part)));
    }
    slots.forEach((_, s) => (used[s]![part - 1] = addCost(used[s]![part - 1]!, costs[s]!)));
    parts[app.name] = part;
    placed.push({ application: app.name, part });
  }
  const ordered = Object.fromEntries(byName.map((a) => [a.name, parts[a.name]!]));
  return { parts: ordered, placed, dropped };
}

/** One part of one stack kind whose applications cost more than HARD_BUDGET. */
export interface PartOverBudget {
  readonly part: number;
  readonly slot: StackSlot;
  readonly cost: StackCost;
  /** Its applications, largest (in this slot, by bytes) first. */
  readonly applications: readonly { readonly name: string; readonly cost: StackCost }[];
}

/** Every (part, stack) whose estimated template is over the hard budget, worst first. */
export function partsOverBudget(model: CapacityModel, parts: Readonly<Record<string, number>>, budget: StackCost = HARD_BUDGET): PartOverBudget[] {
  const out: PartOverBudget[] = [];
  const count = partCount(parts);
  for (const slot of stackSlots(model)) {
    const bounds = partCosts(slot, model.applications, parts, count, 'bound');
    // Render only the documents of parts the cheap bound cannot clear.
    const exact = bounds.some((b) => !fitsBudget(b, budget)) ? partCosts(slot, model.applications, parts, count) : bounds;
    exact.forEach((cost, i) => {
      if (fitsBudget(cost, budget)) return;
      const applications = model.applications
        .filter((a) => parts[a.name] === i + 1)
        .map((a) => ({ name: a.name, cost: slot.costOf(a) }))
        .sort((a, b) => b.cost.bytes - a.cost.bytes || b.cost.resources - a.cost.resources || (a.name < b.name ? -1 : 1));
      out.push({ part: i + 1, slot, cost, applications });
    });
  }
  return out.sort((a, b) => b.cost.bytes / budget.bytes - a.cost.bytes / budget.bytes || a.part - b.part);
}

/** One application's slice that cannot fit in any one stack, even alone in a part. */
export interface SliceTooLarge {
  readonly application: string;
  readonly slot: StackSlot;
  /** The slice plus the largest fixed cost of a part (part 1's). */
  readonly cost: StackCost;
  /** Content bytes of the slice's documents (environment slots only). */
  readonly content?: ContentBytes;
}

/**
 * Applications whose documents (in one environment) or ops schema (in the shared stack)
 * cannot fit in one template under the hard budget, even alone in part 1 beside the
 * strategies and metric alarms. No layout can deploy them.
 */
export function slicesTooLarge(model: CapacityModel, budget: StackCost = HARD_BUDGET): SliceTooLarge[] {
  const out: SliceTooLarge[] = [];
  for (const slot of stackSlots(model)) {
    for (const app of model.applications) {
      if (fitsBudget(addCost(slot.fixedCost(1), slot.costOf(app, 'bound')), budget)) continue;
      const cost = addCost(slot.fixedCost(1), slot.costOf(app));
      if (fitsBudget(cost, budget)) continue;
      out.push({ application: app.name, slot, cost, ...(slot.kind === 'environment' ? { content: contentBytes(model.documents, slot.key, app.name) } : {}) });
    }
  }
  return out;
}

/** Share of a budget a cost takes: the largest of its three ratios. */
export function budgetShare(cost: StackCost, budget: StackCost): number {
  return Math.max(cost.resources / budget.resources, cost.bytes / budget.bytes, cost.parameters / budget.parameters);
}

export interface PartUsage {
  readonly part: number;
  readonly applications: number;
  /** The stack of this part that is closest to the hard budget, and its cost. */
  readonly fullest: { readonly label: string; readonly cost: StackCost };
}

/** How full each part is, for `dynconf layout` and `dynconf plan`. */
export function partUsage(model: CapacityModel, parts: Readonly<Record<string, number>>): PartUsage[] {
  const count = partCount(parts);
  const slots = stackSlots(model);
  const costs = slots.map((slot) => partCosts(slot, model.applications, parts, count));
  return Array.from({ length: count }, (_, i) => {
    let best = 0;
    slots.forEach((_, s) => {
      if (budgetShare(costs[s]![i]!, HARD_BUDGET) > budgetShare(costs[best]![i]!, HARD_BUDGET)) best = s;
    });
    return {
      part: i + 1,
      applications: Object.values(parts).filter((p) => p === i + 1).length,
      fullest: { label: slots[best]!.label, cost: costs[best]![i]! },
    };
  });
}
