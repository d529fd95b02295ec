/**
 * cdk-nag findings on what aws-cdk-lib builds for the agent stack (the kubectl handler of
 * an imported cluster), acknowledged one by one with the reason each is acceptable.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/**
 * The kubectl handler that aws-cdk-lib builds for an imported EKS cluster: its runtime, its
 * AWS managed policies (Lambda logging, ECR pulls of the kubectl image layers) and the
 * provider framework's invoke permission on the handler's versions are aws-cdk-lib's
 * choices, not ours. Each finding there is acknowledged by name.
 */
export function acknowledgeKubectlProvider(provider: IConstruct): void {
  provider.node.addValidation({
    validate: () => {
      for (const node of provider.node.findAll()) {
        if (node instanceof lambda.CfnFunction) {
          Validations.of(node).acknowledge({ id: 'AwsSolutions-L1', reason: "aws-cdk-lib's kubectl handler pins the Python runtime its code is tested with" });
        } else if (node instanceof iam.CfnRole) {
          const arns = (Stack.of(node).resolve(node.managedPolicyArns) ?? []) as unknown[];
          for (const arn of arns.map((a) => flattenCfnReference(Stack.of(node).resolve(a))).filter((a) => a.includes(':iam::aws:'))) {
            Validations.of(node).acknowledge({
              id: `AwsSolutions-IAM4[Policy::${arn}]`,
              reason: "AWS managed policy attached by aws-cdk-lib's kubectl provider (Lambda logs, pulling its layers' images); the handler does nothing but run kubectl",
            });
          }
        } else if (node instanceof iam.CfnPolicy) {
          const doc = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
          for (const s of doc.Statement ?? []) {
            const actions = ([] as string[]).concat(s.Action ?? []);
            if (s.Effect !== 'Allow' || !actions.every((a) => a === 'lambda:InvokeFunction')) continue;
            for (const flat of ([] as unknown[]).concat(s.Resource ?? []).map(flattenCfnReference).filter((r) => r.endsWith(':*'))) {
              Validations.of(node).acknowledge({
                id: `AwsSolutions-IAM5[Resource::${flat}]`,
                reason: 'The custom resource provider framework invokes any version of its own handler function',
              });
            }
          }
        }
      }
      return [];
    },
  });
}
