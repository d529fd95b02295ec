/**
 * The check of the synthesized templates that proves the planner's budgets hold: every
 * template of the assembly is measured against the smallest limit on its path.
 *
 * A stack that breaks a quota fails at deploy time, in some account, hours into a
 * rollout. Parts are planned from exact resource counts and estimated bytes (the cost
 * model and budgets live in lib/model/capacity.ts, so `validate` checks them too), then
 * every written template is measured, so a wrong estimate fails `cdk synth` instead of a
 * deployment.
 */
import * as fs from 'node:fs';
import type * as cxapi from 'aws-cdk-lib/cx-api';
import { TEMPLATE_LIMITS } from '../model';

export {
  addCost,
  BYTES_PER_RESOURCE,
  CLOUDFORMATION_LIMITS,
  CODEPIPELINE_TEMPLATE_BYTES,
  describeCost,
  FILL_BUDGET,
  fitsBudget,
  HARD_BUDGET,
  jsonStringBytes,
  NO_COST,
  TEMPLATE_LIMITS,
  type StackCost,
} from '../model';

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

export interface TemplateLimits {
  readonly resources: number;
  readonly bytes: number;
  readonly parameters: number;
  readonly outputs: number;
}

/** Where each limit of TEMPLATE_LIMITS comes from, for messages. */
const LIMIT_SOURCE = {
  resources: 'CloudFormation allows',
  bytes: "CodePipeline's CloudFormation action allows",
  parameters: 'CloudFormation allows',
  outputs: 'CloudFormation allows',
} as const;

/**
 * Stacks whose template breaks a limit on its path (CloudFormation's quotas, and
 * CodePipeline's 512 KB template limit); empty when all deploy.
 */
export function templateLimitViolations(assembly: cxapi.CloudAssembly, limits: TemplateLimits = TEMPLATE_LIMITS): LimitViolation[] {
  const out: LimitViolation[] = [];
  for (const m of measureTemplates(assembly)) {
    const over = (what: keyof typeof LIMIT_SOURCE, label: string) => {
      if (m[what] > limits[what]) out.push({ stackName: m.stackName, templateFile: m.templateFile, message: `${m[what]} ${label}, ${LIMIT_SOURCE[what]} ${limits[what]}` });
    };
    over('resources', 'resources');
    over('bytes', 'template bytes');
    over('parameters', 'parameters');
    over('outputs', 'outputs');
  }
  return out;
}
