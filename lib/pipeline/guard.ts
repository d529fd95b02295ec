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
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { everyViolationFails, RelevantGuardRules } from '../appconfig';
import { assertSameTemplates, BackgroundJob } from './validation-worker';

export class GuardRulesPerTemplate implements cdk.IPolicyValidationPlugin {
  readonly name = 'cdk-validator-cfnguard';
  readonly version?: string;
  private readonly relevant: RelevantGuardRules;
  private early?: { readonly templates: readonly string[]; readonly job: BackgroundJob };

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

  /**
   * Start Guard on these templates now, in a worker thread; validate() of the same
   * templates then reports its result instead of running Guard itself.
   */
  startEarly(templatePaths: readonly string[]): void {
    this.early = {
      templates: [...templatePaths],
      job: new BackgroundJob('CFN Guard (cdk-validator-cfnguard)', { kind: 'cfn-guard', module: require.resolve('@cdklabs/cdk-validator-cfnguard'), groups: this.groups(templatePaths) }),
    };
  }

  validate(context: cdk.IPolicyValidationContext): cdk.PolicyValidationPluginReport {
    let reports: cdk.PolicyValidationPluginReport[];
    if (this.early) {
      assertSameTemplates('CFN Guard', this.early.templates, context.templatePaths);
      reports = this.early.job.wait().reports as cdk.PolicyValidationPluginReport[];
    } else {
      reports = this.groups(context.templatePaths).map((g) =>
        new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: g.rules }).validate({ ...context, templatePaths: g.templates }),
      );
    }
    return { success: reports.every((r) => r.success), violations: reports.flatMap((r) => r.violations) };
  }
}

/**
 * The template paths aws-cdk-lib hands a plugin registered on the app, in its order: the
 * root assembly's stacks, then its nested assemblies' (stacksRecursively).
 */
export function appTemplatePaths(app: cdk.App): string[] {
  return new cxapi.CloudAssembly(app.outdir).stacksRecursively.map((s) => s.templateFullPath);
}

/**
 * A plugin that checks nothing and, when aws-cdk-lib calls it, starts Guard. aws-cdk-lib
 * evaluates plugins stage by stage, nested stages first, a stage's own plugins before its
 * CloudFormation validation: registered on the first nested stage, this one runs before
 * every other check, once the cloud assembly is on disk. It reports nothing, so it adds no
 * entry to the validation report.
 */
class StartGuard implements cdk.IPolicyValidationPlugin {
  readonly name = 'dynconf-start-guard';
  constructor(private readonly start: () => void) {}
  validate(): cdk.PolicyValidationPluginReport {
    this.start();
    return { success: true, violations: [] };
  }
}

/** The stage aws-cdk-lib visits first when it evaluates plugins (post-order), if the app has any. */
function firstNestedStage(scope: IConstruct): cdk.Stage | undefined {
  for (const child of scope.node.children) {
    const inner = firstNestedStage(child);
    if (inner) return inner;
    if (cdk.Stage.isStage(child)) return child;
  }
  return undefined;
}

/**
 * Make `guard` (registered on `app`) run in a worker thread from the moment aws-cdk-lib
 * begins validating templates. aws-cdk-lib runs its own CloudFormation validation, cdk-nag
 * and Guard one after the other on one thread; Guard reads only template files, so it can
 * run on the other core while the other two run here.
 *
 * The starter is registered once every template is written (the app is the last construct
 * synthesized): plugins registered earlier are listed in each template's CDKMetadata, so
 * registering it then leaves every template as it was.
 */
export function startGuardWithValidation(app: cdk.App, guard: GuardRulesPerTemplate): void {
  cdk.attachCustomSynthesis(app, {
    onSynthesize: () => {
      const first = firstNestedStage(app);
      // Without a nested stage the starter would run after Guard: Guard then runs in its turn.
      if (first) cdk.Validations.of(first).addPlugins(new StartGuard(() => guard.startEarly(appTemplatePaths(app))));
    },
  });
}

/** AwsSolutions and Guard, per template, on every stack beneath the app (stages included). */
export function addAppComplianceChecks(app: cdk.App): void {
  const guard = new GuardRulesPerTemplate();
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), everyViolationFails(guard));
  startGuardWithValidation(app, guard);
}
