/**
 * Policy checks run on every synth: cdk-nag's AwsSolutions pack and the CloudFormation
 * Guard rules of Control Tower's proactive controls. Any finding fails `cdk synth` unless
 * it is acknowledged with `Validations.of(resource).acknowledge({ id, reason })` on the one
 * resource it is about, beside the code that creates that resource.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Acknowledgement ids: `<plugin name>::<rule name>`, as CDK's validation report prints them. */
export const FINDINGS = {
  /** CT.CLOUDWATCH.PR.1: an alarm must have an alarm action. */
  alarmWithoutAction: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
} as const;

export interface ComplianceOptions {
  /**
   * Also run the CloudFormation Guard rules (a bundled binary, offline).
   * @default true
   */
  readonly cfnGuard?: boolean;
}

/** Register the checks on an App (or Stage): they cover every stack beneath it. */
export function addComplianceChecks(scope: cdk.Stage, options: ComplianceOptions = {}): void {
  const plugins: cdk.IPolicyValidationPlugin[] = [new AwsSolutionsChecks(scope)];
  if (options.cfnGuard ?? true) plugins.push(everyViolationFails(new RelevantGuardRules()));
  cdk.Validations.of(scope).addPlugins(...plugins);
}

/**
 * CFN Guard reports violations without a severity. Once any violation of a plugin is
 * acknowledged, aws-cdk-lib (2.276) recomputes the plugin's verdict from the remaining
 * violations' severities and treats "none" as passing, so acknowledging one alarm would
 * silently let every other violation through. Stamping `error` keeps them fatal.
 */
export function everyViolationFails(plugin: cdk.IPolicyValidationPlugin): cdk.IPolicyValidationPlugin {
  return {
    name: plugin.name,
    version: plugin.version,
    ruleIds: plugin.ruleIds,
    validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
      const report = plugin.validate(context);
      return { ...report, violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })) };
    },
  };
}

/** The Control Tower proactive-control rules bundled with the validator. */
const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules/control-tower/cfn-guard');
const RESOURCE_TYPE = /AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g;

/**
 * CfnGuardValidator with only the rules that can apply. Guard spends a few milliseconds per rule
 * file and template even when the rule skips, and Control Tower bundles 237 files for 39
 * services, which made the checks the slowest part of synth (1.2 s on the sample, minutes
 * at 200 applications). A rule file is passed when a resource type it names appears in a
 * template; a file naming no type at all is always passed, so nothing is skipped by guess.
 */
export class RelevantGuardRules implements cdk.IPolicyValidationPlugin {
  readonly name = 'cdk-validator-cfnguard';
  readonly version?: string;
  private readonly typesByRule: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(rulesDir: string = CONTROL_TOWER_RULES) {
    this.version = new CfnGuardValidator({ controlTowerRulesEnabled: false }).version;
    const rules = new Map<string, ReadonlySet<string>>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.guard')) rules.set(file, new Set(fs.readFileSync(file, 'utf8').match(RESOURCE_TYPE) ?? []));
      }
    };
    walk(rulesDir);
    if (rules.size === 0) throw new Error(`no .guard rules under ${rulesDir}; reinstall @cdklabs/cdk-validator-cfnguard`);
    this.typesByRule = rules;
  }

  /** Rule files that name one of the given resource types, sorted. */
  rulesFor(resourceTypes: ReadonlySet<string>): string[] {
    return [...this.typesByRule]
      .filter(([, types]) => types.size === 0 || [...types].some((t) => resourceTypes.has(t)))
      .map(([file]) => file)
      .sort();
  }

  validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const types = new Set<string>();
    for (const file of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
      for (const r of Object.values(template.Resources ?? {})) if (r.Type) types.add(r.Type);
    }
    const rules = this.rulesFor(types);
    if (rules.length === 0) return { success: true, violations: [] };
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(context);
  }
}

/** Acknowledge one finding on one resource, with the reason it is acceptable there. */
export function acknowledge(resource: IConstruct, id: string, reason: string): void {
  cdk.Validations.of(resource).acknowledge({ id, reason });
}
