/**
 * How the EKS kubectl handler (the Lambda function behind `eks.KubernetesManifest`) reaches
 * a cluster that the stack imports: which kubectl layer it runs, and, for a cluster whose
 * endpoint is private, the VPC, subnets and security group it runs in.
 */
import { KubectlV33Layer } from '@aws-cdk/lambda-layer-kubectl-v33';
import { KubectlV34Layer } from '@aws-cdk/lambda-layer-kubectl-v34';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Annotations, Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { KubectlConfig } from '../model';

type LayerFactory = (scope: Construct, id: string) => lambda.ILayerVersion;

/**
 * The kubectl minor version that serves each Kubernetes minor version. kubectl is
 * supported within one minor version of the API server ("Version Skew Policy",
 * kubernetes.io), so each bundled layer covers its own version and its neighbours; the
 * closest one wins. lib/model's SUPPORTED_KUBERNETES_VERSIONS lists the same keys (tested).
 */
export const KUBECTL_LAYERS: Readonly<Record<string, { kubectl: string; layer: LayerFactory }>> = {
  '1.32': { kubectl: '1.33', layer: (s, id) => new KubectlV33Layer(s, id) },
  '1.33': { kubectl: '1.33', layer: (s, id) => new KubectlV33Layer(s, id) },
  '1.34': { kubectl: '1.34', layer: (s, id) => new KubectlV34Layer(s, id) },
  '1.35': { kubectl: '1.35', layer: (s, id) => new KubectlV35Layer(s, id) },
  '1.36': { kubectl: '1.35', layer: (s, id) => new KubectlV35Layer(s, id) },
};

export function kubectlLayerFor(scope: Construct, id: string, cluster: string, config: KubectlConfig): lambda.ILayerVersion {
  const entry = KUBECTL_LAYERS[config.kubernetesVersion];
  if (!entry) {
    throw new Error(`clusters.${cluster}.kubectl.kubernetesVersion: no kubectl layer for Kubernetes ${config.kubernetesVersion}; use one of ${Object.keys(KUBECTL_LAYERS).join(', ')}`);
  }
  return entry.layer(scope, id);
}

/**
 * The cluster attributes that place the handler in the cluster's VPC, or none when it runs
 * outside any VPC (public endpoint). Validate requires all three together, and requires
 * them for a private-only endpoint.
 */
export function kubectlNetworkAttributes(scope: Construct, cluster: string, config: KubectlConfig): Partial<eks.ClusterAttributes> {
  if (!config.vpcId && !config.subnetIds && !config.securityGroupId) {
    if (config.endpointAccess === 'private') {
      throw new Error(`clusters.${cluster}.kubectl: a private-only endpoint needs vpcId, subnetIds and securityGroupId so the kubectl handler runs inside the VPC`);
    }
    return {};
  }
  if (!config.vpcId || !config.subnetIds?.length || !config.securityGroupId) {
    throw new Error(`clusters.${cluster}.kubectl: give vpcId, subnetIds and securityGroupId together`);
  }
  return {
    // Imported from literals: no context lookup, so synth stays offline. The handler's
    // subnets are given explicitly, so neither the VPC's subnet layout nor its zones are
    // consulted; the zones are left to CloudFormation rather than made up.
    vpc: importedVpc(scope, config.vpcId),
    kubectlPrivateSubnetIds: [...config.subnetIds],
    kubectlSecurityGroupId: config.securityGroupId,
  };
}

/**
 * The cluster's VPC, imported for the handler's placement only. aws-cdk-lib warns that a
 * token list of zones would not serve constructs that pick subnets at synth time, and that
 * the subnets it imports from IDs have no route table; the handler is given its subnets
 * explicitly and never reads a route table, so both warnings are acknowledged here.
 */
function importedVpc(scope: Construct, vpcId: string): ec2.IVpc {
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'ClusterVpc', { vpcId, availabilityZones: Fn.getAzs() });
  Annotations.of(scope).acknowledgeWarning('@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones', 'only explicitly given subnets are used');
  Annotations.of(scope).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', "the kubectl handler's subnets are only placed in, never routed by this stack");
  return vpc;
}
