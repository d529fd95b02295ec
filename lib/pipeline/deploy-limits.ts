/**
 * Every limit AWS applies to the synthesized app at deploy time, checked in one place after
 * `app.synth()` (bin/app.ts): CloudFormation and CodePipeline per template, IAM per role
 * and policy across stacks, CodePipeline per pipeline. Each violation is one message that
 * names the limit, its source and the fix.
 */
import type * as cxapi from 'aws-cdk-lib/cx-api';
import { templateLimitViolations } from '../appconfig';
import { codePipelineLimitViolations } from './deployment-chunks';
import { iamLimitViolations, loadTemplates } from './iam-limits';

export function deployLimitViolations(assembly: cxapi.CloudAssembly): string[] {
  return [
    ...templateLimitViolations(assembly).map(
      (v) =>
        `${v.templateFile}: stack ${v.stackName} has ${v.message}. validate's cost model (lib/model/capacity.ts) estimated it under the hard budget, so the estimate is too low: ` +
        'raise BYTES_PER_RESOURCE or the resource counts there (test/pipeline/scale.test.ts measures them); to deploy meanwhile, move an application of this part to another with `npx dynconf layout --move <app>` (README: Moving an application to another stack part)',
    ),
    ...iamLimitViolations(assembly).map((v) => `dynconf: IAM would refuse ${v.subject}: ${v.message}`),
    ...codePipelineLimitViolations(loadTemplates(assembly)).map((v) => `dynconf: CodePipeline would refuse ${v}`),
  ];
}
