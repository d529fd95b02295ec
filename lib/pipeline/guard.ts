/**
 * The policy checks of the whole app (bin/app.ts): cdk-nag's AwsSolutions pack and the
 * CloudFormation Guard rules of Control Tower, as lib/appconfig/compliance.ts registers
 * them, with Guard given each template's own rules.
 *
 * RelevantGuardRules picks the rule files that name a resource type present in *any*
 * template and runs all of them on every template. With the pipeline's stages holding S3,
 * KMS, Lambda, EKS, Secrets Manager and Synthetics resources next to the AppConfig
 * stacks, that ran some 50 rule files over each of the large AppConfig templates and made
 * synth of 200 applications take 67 s instead of 22 s. Grouping templates by the rules
 * that can apply to them checks exactly the same (rule, template) pairs that can fail.
 */
import * as fs from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { everyViolationFails, RelevantGuardRules } from '../appconfig';

export class GuardRulesPerTemplate implements cdk.IPolicyValidationPlugin {
  readonly name = 'cdk-validator-cfnguard';
  readonly version?: string;
  private readonly relevant: RelevantGuardRules;

  /** @param rulesDir as for RelevantGuardRules (default: the bundled Control Tower rules) */
  constructor(rulesDir?: string) {
    this.relevant = new RelevantGuardRules(rulesDir);
    this.version = this.relevant.version;
  }

  /** Templates grouped by the rule files that name one of their resource types. */
  groups(templatePaths: readonly string[]): { rules: string[]; templates: string[] }[] {
    const groups = new Map<string, { rules: string[]; templates: string[] }>();
    for (const file of templatePaths) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
      const rules = this.relevant.rulesFor(new Set(Object.values(template.Resources ?? {}).flatMap((r) => (r.Type ? [r.Type] : []))));
      if (rules.length === 0) continue;
      const key = rules.join('\n');
      const group = groups.get(key) ?? groups.set(key, { rules, templates: [] }).get(key)!;
      group.templates.push(file);
    }
    return [...groups.values()];
  }

  validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    const reports = this.groups(context.templatePaths).map((g) =>
      new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: g.rules }).validate({ ...context, templatePaths: g.templates }),
    );
    return { success: reports.every((r) => r.success), violations: reports.flatMap((r) => r.violations) };
  }
}

/** AwsSolutions and Guard, per template, on every stack beneath the app (stages included). */
export function addAppComplianceChecks(app: cdk.App): void {
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), everyViolationFails(new GuardRulesPerTemplate()));
}
