import { App, NestedStack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { agentNames } from '../../lib/agent/names';
import { KUBECTL_LAYERS } from '../../lib/agent/kubectl';
import { ClusterAgentStack, TOKEN_LENGTH } from '../../lib/agent/stack';
import type { KubectlConfig, Model } from '../../lib/model';
import { SUPPORTED_KUBERNETES_VERSIONS } from '../../lib/model/workload';
import { LOWER, PROD, sampleModel, type Any } from './support';

const CONFIG_READ_ORDERED = ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'];

function lowerStack(app = new App()): { app: App; stack: ClusterAgentStack } {
  return { app, stack: new ClusterAgentStack(app, 'Agent', { model: sampleModel(), cluster: LOWER }) };
}

function prodStack(app = new App(), id = 'Agent'): { app: App; stack: ClusterAgentStack } {
  return { app, stack: new ClusterAgentStack(app, id, { model: sampleModel(), cluster: PROD }) };
}

function withKubectl(cluster: string, kubectl: KubectlConfig): Model {
  const model = sampleModel();
  const clusters = { ...model.workload.clusters, [cluster]: { ...model.workload.clusters[cluster]!, kubectl } };
  return { ...model, workload: { ...model.workload, clusters } };
}

function statements(template: Template, type = 'AWS::IAM::Policy'): Any[] {
  return Object.values(template.findResources(type)).flatMap((r: Any) => r.Properties.PolicyDocument.Statement);
}

describe('agent role', () => {
  test('IRSA: trusts exactly the agent ServiceAccount on the cluster OIDC provider', () => {
    const template = Template.fromStack(lowerStack().stack);
    const issuer = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0000000000000000000000001';
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'g360-lower-eks-cluster-02-appconfig-agent',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: `arn:aws:iam::222222222222:oidc-provider/${issuer}` },
            Condition: { StringEquals: { [`${issuer}:sub`]: 'system:serviceaccount:appconfig-agent:appconfig-agent', [`${issuer}:aud`]: 'sts.amazonaws.com' } },
          },
        ],
      },
    });
    template.resourceCountIs('AWS::EKS::PodIdentityAssociation', 0);
  });

  test('Pod Identity: an association for the agent ServiceAccount, and a trust limited by its session tags', () => {
    const template = Template.fromStack(prodStack().stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'g360-prod-core-01-appconfig-agent',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: { Service: 'pods.eks.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': '333333333333',
                'aws:RequestTag/eks-cluster-name': PROD,
                'aws:RequestTag/kubernetes-namespace': 'appconfig-agent',
                'aws:RequestTag/kubernetes-service-account': 'appconfig-agent',
              },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: PROD,
      Namespace: 'appconfig-agent',
      ServiceAccount: 'appconfig-agent',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentRole'), 'Arn'] },
    });
    const [manifest] = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')) as Any[];
    expect(manifest.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AgentPodIdentity/)]));
  });

  test("may only start sessions and get configurations, of the cluster's own account and region, in one statement", () => {
    for (const [stack, where] of [
      [lowerStack().stack, 'us-west-2:222222222222'],
      [prodStack().stack, 'us-east-1:333333333333'],
    ] as const) {
      const template = Template.fromStack(stack);
      const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^AgentRole') }] } })) as Any[];
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        { Sid: 'ReadAppConfigConfigurations', Effect: 'Allow', Action: CONFIG_READ_ORDERED, Resource: `arn:aws:appconfig:${where}:application/*/environment/*/configuration/*` },
      ]);
    }
  });

  test('its policy is the same whatever the number of applications: later environments and applications need no grant', () => {
    const policyOf = (model: Model) => JSON.stringify(Template.fromStack(new ClusterAgentStack(new App(), 'Agent', { model, cluster: PROD })).findResources('AWS::IAM::Policy'));
    const fewer = { ...sampleModel(), applications: sampleModel().applications.slice(0, 1) };
    expect(policyOf(fewer)).toBe(policyOf(sampleModel()));
  });

  test('no statement anywhere in the stack grants an appconfig action on *', () => {
    for (const { stack } of [lowerStack(), prodStack()]) {
      for (const s of statements(Template.fromStack(stack))) {
        if ([s.Action].flat().some((a: string) => a.startsWith('appconfig:'))) expect([s.Resource].flat()).not.toContain('*');
      }
    }
  });
});

describe('token', () => {
  test('is generated by Secrets Manager under a fixed name, never given a value', () => {
    const template = Template.fromStack(lowerStack().stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'g360/appconfig-agent/lower-eks-cluster-02/token',
      GenerateSecretString: { PasswordLength: TOKEN_LENGTH, ExcludePunctuation: true, IncludeSpace: false },
      SecretString: Match.absent(),
    });
  });

  test('only the token reader role may read it, and it may read nothing else', () => {
    const template = Template.fromStack(lowerStack().stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'g360-lower-eks-cluster-02-agent-token-reader',
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] } } }] },
    });
    const readers = statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
    expect(readers).toEqual([{ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^TokenSecret/) } }]);
  });

  test('the reader trust can be narrowed to the ESO controller role', () => {
    const eso = 'arn:aws:iam::222222222222:role/external-secrets';
    const stack = new ClusterAgentStack(new App(), 'Agent', { model: sampleModel(), cluster: LOWER, tokenSyncPrincipal: new iam.ArnPrincipal(eso) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'g360-lower-eks-cluster-02-agent-token-reader',
      AssumeRolePolicyDocument: { Statement: [{ Principal: { AWS: eso } }] },
    });
  });
});

describe('manifests', () => {
  test('the chart is applied to the imported cluster with its kubectl role, after the role and the token exist', () => {
    const { stack } = lowerStack();
    const template = Template.fromStack(stack);
    const [manifest] = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')) as Any[];
    expect(manifest.Properties).toMatchObject({ ClusterName: LOWER, RoleArn: 'arn:aws:iam::222222222222:role/lower-eks-cluster-02-kubectl', Overwrite: true });
    const objects: Any[] = JSON.parse(manifest.Properties.Manifest);
    expect(objects.map((o) => o.kind)).toEqual(stack.chart.toJson().map((o: Any) => o.kind));
    expect(manifest.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AgentRole/), expect.stringMatching(/^TokenSecret/), expect.stringMatching(/^TokenReaderRole/)]));
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
  });

  test('the role ARN in the IRSA annotation is the role the stack creates', () => {
    const { stack } = lowerStack();
    const sa: Any = stack.chart.toJson().find((o: Any) => o.kind === 'ServiceAccount');
    const name = agentNames(sampleModel(), LOWER).agentRoleName;
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: name });
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(`arn:aws:iam::222222222222:role/${name}`);
  });
});

describe('validation', () => {
  test("the stack must live in the cluster's account and region", () => {
    expect(() => new ClusterAgentStack(new App(), 'Agent', { model: sampleModel(), cluster: LOWER, env: { account: '333333333333', region: 'us-west-2' } })).toThrow(
      /is placed in 333333333333\/us-west-2, but the cluster is in 222222222222\/us-west-2/,
    );
  });

  test('a private-only endpoint without a VPC for the handler, or a Kubernetes version without a layer, is refused', () => {
    const { subnetIds: _s, securityGroupId: _g, vpcId: _v, ...bare } = sampleModel().workload.clusters[PROD]!.kubectl;
    expect(() => new ClusterAgentStack(new App(), 'Agent', { model: withKubectl(PROD, bare), cluster: PROD })).toThrow(
      /clusters\.g360-prod-core-01\.kubectl: a private-only endpoint needs vpcId, subnetIds and securityGroupId/,
    );
    expect(() => new ClusterAgentStack(new App(), 'Agent', { model: withKubectl(LOWER, { endpointAccess: 'public', kubernetesVersion: '1.20' }), cluster: LOWER })).toThrow(
      /kubernetesVersion: no kubectl layer for Kubernetes 1\.20; use one of 1\.32, 1\.33, 1\.34, 1\.35, 1\.36/,
    );
  });
});

describe('reaching the cluster', () => {
  const kubectlHandlers = (stack: ClusterAgentStack): Any[] => {
    const nested = stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack);
    return nested.flatMap((n) => Object.values(Template.fromStack(n).findResources('AWS::Lambda::Function')) as Any[]);
  };

  test("a private endpoint: the kubectl handler runs in the cluster's subnets with the given security group", () => {
    const kubectl = kubectlHandlers(prodStack().stack).find((f) => f.Properties.Description === 'onEvent handler for EKS kubectl resource provider');
    expect(kubectl.Properties.VpcConfig).toEqual({ SubnetIds: ['subnet-0a1b2c3d4e5f60719', 'subnet-0a1b2c3d4e5f6071a'], SecurityGroupIds: ['sg-0a1b2c3d4e5f6071b'] });
  });

  test('a public endpoint: the handler runs outside any VPC', () => {
    const handlers = kubectlHandlers(lowerStack().stack);
    expect(handlers.length).toBeGreaterThan(0);
    for (const f of handlers) expect(f.Properties.VpcConfig).toBeUndefined();
  });

  test('the kubectl layer follows the Kubernetes version: one layer, from the package of the nearest kubectl', () => {
    for (const [version, kubectl] of [
      ['1.32', '1.33'],
      ['1.34', '1.34'],
      ['1.36', '1.35'],
    ] as const) {
      const stack = new ClusterAgentStack(new App(), 'Agent', { model: withKubectl(LOWER, { endpointAccess: 'public', kubernetesVersion: version }), cluster: LOWER });
      const layers = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion')) as Any[];
      expect(layers).toHaveLength(1);
      expect(layers[0].Properties.Description).toContain(`kubectl ${kubectl}`);
      expect(KUBECTL_LAYERS[version]!.kubectl).toBe(kubectl);
    }
  });

  test('the layers dynconf bundles serve exactly the versions validate accepts', () => {
    expect(Object.keys(KUBECTL_LAYERS)).toEqual([...SUPPORTED_KUBERNETES_VERSIONS]);
  });
});

describe('cdk-nag', () => {
  function nagApp(): { app: App; agent: ClusterAgentStack } {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    lowerStack(app);
    return { app, agent: prodStack(app, 'AgentProd').stack };
  }

  test('AwsSolutions finds nothing unacknowledged in the agent stacks', () => {
    expect(() => nagApp().app.synth()).not.toThrow();
  });

  test('the acknowledgements are per finding: another wildcard on the agent role is still reported', () => {
    const { app, agent } = nagApp();
    agent.agentRole.addToPolicy(new iam.PolicyStatement({ actions: ['appconfig:GetLatestConfiguration'], resources: ['arn:aws:appconfig:us-east-1:333333333333:application/*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:appconfig:us-east-1:333333333333:application\/\*\]/);
  });
});
