/**
 * config/layout.json: which stack part holds each application. `dynconf layout` writes it
 * and never changes an existing entry, so adding or removing an application leaves every
 * other application in its stack, with its logical IDs, SSM parameter and AppConfig IDs.
 * Here it is read and checked against workload.json, and the parts are held to the
 * template budgets of ./capacity.
 */
import {
  CODEPIPELINE_TEMPLATE_BYTES,
  describeCost,
  HARD_BUDGET,
  partsOverBudget,
  slicesTooLarge,
  type StackCost,
} from './capacity';
import type { Diagnostics } from './diagnostics';
import { MAX_DOCUMENT_BYTES, type Model } from './model';
import { checkFormat } from './schema-check';
import { parseFile, type JsonFile, type SourceTree } from './source';

export const LAYOUT_FILE = 'config/layout.json';

/** The README section a part-over-budget error points to. */
const MOVE_RUNBOOK = "README 'Moving an application to another stack part'";

export interface StackLayout {
  /** Part number (1-based) of every application, by name. */
  readonly parts: Readonly<Record<string, number>>;
}

export interface LayoutFileConfig {
  readonly $schema?: string;
  readonly note?: string;
  readonly parts: Record<string, number>;
}

/** The layout file parsed and schema-checked; undefined (with diagnostics) when missing or malformed. */
export function readLayout(tree: SourceTree, diags: Diagnostics): JsonFile | undefined {
  const kind = tree.kind(LAYOUT_FILE);
  const start = { file: LAYOUT_FILE, line: 1, column: 1 };
  if (kind === undefined) {
    diags.error(start, 'layout/missing-file', 'file does not exist: it says which stack part holds each application', {
      fix: 'run `npx dynconf layout` to write it, and commit it',
    });
    return undefined;
  }
  if (kind === 'directory') {
    diags.error(start, 'file/is-directory', 'is a directory where a file is expected', { fix: `remove the directory and run \`npx dynconf layout\`` });
    return undefined;
  }
  const json = parseFile(tree, LAYOUT_FILE, diags);
  if (!json || !checkFormat(json, 'layout', diags)) return undefined;
  return json;
}

/** Every declared application has a part, and every part belongs to a declared application. */
export function checkLayoutApplications(layout: JsonFile, applications: readonly string[], workloadJson: JsonFile, diags: Diagnostics, options: { readonly othersFailing?: boolean } = {}): StackLayout {
  const parts = (layout.value as LayoutFileConfig).parts;
  const declared = new Set(applications);
  for (const app of Object.keys(parts)) {
    if (declared.has(app)) continue;
    diags.error(layout.locateKey(['parts', app]), 'layout/unknown-application', `application '${app}' has a part here but config/workload.json does not declare it`, {
      field: `parts.${app}`,
      fix: 'run `npx dynconf layout`, which drops it (or declare the application again)',
    });
  }
  for (const app of applications) {
    if (Object.hasOwn(parts, app)) continue;
    diags.error(workloadJson.locateKey(['applications', app]), 'layout/missing-application', `application '${app}' has no stack part in ${LAYOUT_FILE}`, {
      field: `applications.${app}`,
      // `dynconf layout` places an application by the size of its documents, so it runs only on
      // a workspace that compiles: sending someone to it before then costs them a round.
      fix: options.othersFailing
        ? 'fix the other errors first, then run `npx dynconf layout` (it sizes each application from its compiled documents); it places new applications without moving existing ones'
        : 'run `npx dynconf layout`: it places new applications without moving existing ones',
    });
  }
  return { parts: Object.fromEntries(applications.filter((a) => Object.hasOwn(parts, a)).map((a) => [a, parts[a]!])) };
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

function overWhat(cost: StackCost, budget: StackCost): string {
  const over: string[] = [];
  if (cost.bytes > budget.bytes) over.push(`~${kib(cost.bytes)} of template, over ${kib(budget.bytes)}`);
  if (cost.resources > budget.resources) over.push(`${cost.resources} resources, over ${budget.resources}`);
  if (cost.parameters > budget.parameters) over.push(`${cost.parameters} parameters, over ${budget.parameters}`);
  return over.join('; ');
}

const BUDGET_SOURCE = `dynconf's hard budget per template, under CodePipeline's ${CODEPIPELINE_TEMPLATE_BYTES.toLocaleString('en-US')}-byte template limit and CloudFormation's 500 resources and 200 parameters`;

/**
 * What no layout can fix: one application's documents in one environment (or its ops
 * schema) too large for a template. Located at the file the bytes come from.
 */
export function checkSlicesFit(model: Pick<Model, 'workload' | 'environments' | 'applications' | 'documents'>, tree: SourceTree, diags: Diagnostics): void {
  for (const s of slicesTooLarge(model)) {
    if (s.slot.kind === 'shared') {
      diags.error({ file: `config/ops/${s.application}/schema.json`, line: 1, column: 1 }, 'document/too-large-for-template', `the ops schema of '${s.application}' makes its Application need ${describeCost(s.cost)} in ${s.slot.label}: ${overWhat(s.cost, HARD_BUDGET)} (${BUDGET_SOURCE})`, {
        field: s.application,
        fix: 'make schema.json smaller (shorter descriptions, shared definitions), or split the application in two',
      });
      continue;
    }
    const env = s.slot.key;
    const content = s.content!;
    const override = `config/ops/${s.application}/${env}.json`;
    const file = content.flags >= content.ops ? `flags/${s.application}.json` : tree.kind(override) === 'file' ? override : `config/ops/${s.application}/default.json`;
    const what = content.flags >= content.ops ? 'flags and browser documents' : 'ops document';
    diags.error(
      { file, line: 1, column: 1 },
      'document/too-large-for-template',
      `the documents of '${s.application}' in ${env} take ${content.total.toLocaleString('en-US')} bytes once JSON-escaped into the environment stack's template (flags and browser ${content.flags.toLocaleString('en-US')}, ops ${content.ops.toLocaleString('en-US')}); ` +
        `with the slice's resources that is ${overWhat(s.cost, HARD_BUDGET)} (${BUDGET_SOURCE}). AppConfig would host ${kib(MAX_DOCUMENT_BYTES)} per document, but dynconf deploys hosted content inline in a template`,
      {
        field: `${s.application} (${env})`,
        fix: `make the ${what} smaller: remove stale flags, shorten descriptions and rules, or split the application in two`,
      },
    );
  }
}

/**
 * Every stack of every part stays within the hard budget. Applications grow after they are
 * placed (within FILL_BUDGET's headroom); when a part outgrows the hard budget, the error
 * names the application to move and what moving costs.
 */
export function checkPartsWithinBudget(model: Pick<Model, 'workload' | 'environments' | 'applications' | 'documents'>, layout: StackLayout, layoutJson: JsonFile, diags: Diagnostics): void {
  const worstPerPart = new Map<number, ReturnType<typeof partsOverBudget>>();
  for (const over of partsOverBudget(model, layout.parts)) {
    const list = worstPerPart.get(over.part) ?? worstPerPart.set(over.part, []).get(over.part)!;
    list.push(over);
  }
  for (const [part, overs] of worstPerPart) {
    const worst = overs[0]!;
    const largest = worst.applications[0];
    const others = overs.length > 1 ? ` (and ${overs.length - 1} more stack${overs.length > 2 ? 's' : ''} of part ${part}: ${overs.slice(1).map((o) => o.slot.label.replace(/^the /, '')).join(', ')})` : '';
    const at = largest ? layoutJson.locate(['parts', largest.name]) : layoutJson.locateKey(['parts']);
    diags.error(at, 'layout/part-over-budget', `part ${part} of ${worst.slot.label} would need ${describeCost(worst.cost)}: ${overWhat(worst.cost, HARD_BUDGET)} (${BUDGET_SOURCE})${others}`, {
      field: largest ? `parts.${largest.name}` : 'parts',
      fix: largest
        ? `move its largest application, '${largest.name}' (${describeCost(largest.cost)}), with \`npx dynconf layout --move ${largest.name}\`; moving recreates its AppConfig Application and Environments (see ${MOVE_RUNBOOK})`
        : `lower the fixed resources of part ${part}`,
    });
  }
}

/** The `$schema` of a layout file at config/layout.json. */
const LAYOUT_SCHEMA_REF = './schemas/layout.schema.json';

const LAYOUT_NOTE =
  'Written by `npx dynconf layout`: the AppConfig stack part of each application. Existing entries never change, so adding or removing an application moves no other one; `npx dynconf layout --move <app>` moves one on purpose (see the README).';

export interface ExistingLayout {
  /** Parts as the file gives them; empty when there is no file yet. */
  readonly parts: Readonly<Record<string, number>>;
  /** False when there is no file yet. */
  readonly exists: boolean;
  /** The file's text, to tell whether a rewrite changes it. */
  readonly text?: string;
  readonly schemaRef: string;
  readonly note: string;
}

/**
 * The current layout for `dynconf layout` to update: tolerant of entries for unknown
 * applications and of missing ones (it fixes those), not of a file that does not parse or
 * conform (a guess could move applications).
 */
export function readExistingLayout(tree: SourceTree, diags: Diagnostics): ExistingLayout | undefined {
  if (tree.kind(LAYOUT_FILE) === undefined) return { parts: {}, exists: false, schemaRef: LAYOUT_SCHEMA_REF, note: LAYOUT_NOTE };
  const json = readLayout(tree, diags);
  if (!json) return undefined;
  const value = json.value as LayoutFileConfig;
  return { parts: value.parts, exists: true, text: json.text, schemaRef: value.$schema ?? LAYOUT_SCHEMA_REF, note: value.note ?? LAYOUT_NOTE };
}

/** The text of config/layout.json for these parts: stable key order (by application name), two-space JSON. */
export function layoutFileContent(parts: Readonly<Record<string, number>>, existing: Pick<ExistingLayout, 'schemaRef' | 'note'> = { schemaRef: LAYOUT_SCHEMA_REF, note: LAYOUT_NOTE }): string {
  const sorted = Object.fromEntries(
    Object.keys(parts)
      .sort()
      .map((a) => [a, parts[a]!]),
  );
  const file: LayoutFileConfig = { $schema: existing.schemaRef, note: existing.note, parts: sorted };
  return `${JSON.stringify(file, null, 2)}\n`;
}
