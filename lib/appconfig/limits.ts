/**
 * CloudFormation's per-template quotas, the cost model that keeps every AppConfig stack
 * under them, and a check of the synthesized templates that proves it.
 *
 * A stack that breaks a quota fails at deploy time, in some account, hours into a
 * rollout. Splitting is planned at synth time from exact resource counts and estimated
 * bytes, then every written template is measured, so a wrong estimate fails `cdk synth`
 * instead of a deployment.
 */
import * as fs from 'node:fs';
import type * as cxapi from 'aws-cdk-lib/cx-api';

export interface StackCost {
  readonly resources: number;
  /** Bytes of the template file as the CDK writes it. */
  readonly bytes: number;
  readonly parameters: number;
}

/** The hard quotas (Resources, template body in S3, Parameters). */
export const CLOUDFORMATION_LIMITS: StackCost = { resources: 500, bytes: 1024 * 1024, parameters: 200 };

/**
 * What the planner fills a stack up to. Resources are counted exactly, but other parts of
 * dynconf may add a few (CDK metadata, grants); bytes are estimated, so their margin is
 * wider; parameters leave room for outputs' counterparts in consuming stacks.
 */
export const PLANNING_BUDGET: StackCost = { resources: 450, bytes: 800 * 1024, parameters: 150 };

/**
 * Template bytes of one resource besides its payload (hosted content, validator schema):
 * logical id, type, the `aws:cdk:path` metadata, Refs, DependsOn, indentation. Measured
 * on the sample at about 1,000 bytes in environment stacks and 600 in shared ones; 1,500
 * leaves room for 63-character application names, which appear in ids and paths.
 */
export const BYTES_PER_RESOURCE = 1500;

export const NO_COST: StackCost = { resources: 0, bytes: 0, parameters: 0 };

export function addCost(a: StackCost, b: StackCost): StackCost {
  return { resources: a.resources + b.resources, bytes: a.bytes + b.bytes, parameters: a.parameters + b.parameters };
}

function subtract(a: StackCost, b: StackCost): StackCost {
  return { resources: a.resources - b.resources, bytes: a.bytes - b.bytes, parameters: a.parameters - b.parameters };
}

function fits(cost: StackCost, budget: StackCost): boolean {
  return cost.resources <= budget.resources && cost.bytes <= budget.bytes && cost.parameters <= budget.parameters;
}

function describeCost(c: StackCost): string {
  return `${c.resources} resources, ~${Math.ceil(c.bytes / 1024)} KiB, ${c.parameters} parameters`;
}

/** Bytes a string takes once embedded in a JSON template (quotes and escapes included). */
export function jsonStringBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), 'utf8');
}

export interface PartitionOptions<T> {
  /** What one item adds to a stack. */
  readonly costOf: (item: T) => StackCost;
  /** What the n-th part (1-based) costs before any item: part 1 may carry more. */
  readonly fixedCost: (part: number) => StackCost;
  /** What a part may hold in total. */
  readonly budget: StackCost;
  /** Names an item in an error message. */
  readonly describe: (item: T) => string;
}

/**
 * Split items, in the order given, into consecutive parts that each stay within the budget.
 * Next-fit: deterministic, and an item only ever moves to a neighbouring part when the
 * items before it grow. Always returns at least one (possibly empty) part, because the
 * first part also carries the fixed resources.
 */
export function partition<T>(items: readonly T[], options: PartitionOptions<T>): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let used = options.fixedCost(1);
  const room = (part: number) => subtract(options.budget, options.fixedCost(part));
  for (const item of items) {
    const cost = options.costOf(item);
    const withItem = addCost(used, cost);
    if (fits(withItem, options.budget)) {
      current.push(item);
      used = withItem;
      continue;
    }
    const part = parts.length + (current.length === 0 ? 1 : 2);
    if (!fits(cost, room(part))) {
      throw new Error(
        `${options.describe(item)} needs ${describeCost(cost)}, more than one CloudFormation stack can hold next to its fixed resources (${describeCost(room(part))} left); ` +
          'make its documents or schema smaller, or split the application in two',
      );
    }
    if (current.length > 0) parts.push(current);
    current = [item];
    used = addCost(options.fixedCost(parts.length + 1), cost);
  }
  parts.push(current);
  return parts;
}

export interface LimitViolation {
  readonly stackName: string;
  readonly templateFile: string;
  readonly message: string;
}

export interface TemplateMeasure {
  readonly stackName: string;
  readonly templateFile: string;
  readonly resources: number;
  readonly bytes: number;
  readonly parameters: number;
  readonly outputs: number;
}

/** Every stack template of an assembly and its nested stage assemblies, measured. */
export function measureTemplates(assembly: cxapi.CloudAssembly): TemplateMeasure[] {
  return assembly.stacksRecursively.map((stack) => {
    const bytes = fs.statSync(stack.templateFullPath).size;
    const template = stack.template as { Resources?: object; Parameters?: object; Outputs?: object };
    return {
      stackName: stack.stackName,
      templateFile: stack.templateFullPath,
      resources: Object.keys(template.Resources ?? {}).length,
      bytes,
      parameters: Object.keys(template.Parameters ?? {}).length,
      outputs: Object.keys(template.Outputs ?? {}).length,
    };
  });
}

/** Stacks whose template breaks a CloudFormation quota; empty when all deploy. */
export function templateLimitViolations(assembly: cxapi.CloudAssembly, limits: StackCost & { outputs?: number } = { ...CLOUDFORMATION_LIMITS, outputs: 200 }): LimitViolation[] {
  const out: LimitViolation[] = [];
  for (const m of measureTemplates(assembly)) {
    const over = (what: string, n: number, max: number) =>
      out.push({ stackName: m.stackName, templateFile: m.templateFile, message: `${n} ${what}, CloudFormation allows ${max}` });
    if (m.resources > limits.resources) over('resources', m.resources, limits.resources);
    if (m.bytes > limits.bytes) over('template bytes', m.bytes, limits.bytes);
    if (m.parameters > limits.parameters) over('parameters', m.parameters, limits.parameters);
    if (limits.outputs !== undefined && m.outputs > limits.outputs) over('outputs', m.outputs, limits.outputs);
  }
  return out;
}
