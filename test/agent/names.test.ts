import { agentNames, iamRoleName, partitionOf } from '../../lib/agent/names';
import { LOWER, PROD, sampleModel, withCluster } from './support';

describe('agentNames', () => {
  test('fixed, readable AWS names the manifests can refer to', () => {
    expect(agentNames(sampleModel(), LOWER)).toEqual({
      eksClusterName: LOWER,
      partition: 'aws',
      agentRoleName: 'g360-lower-eks-cluster-02-appconfig-agent',
      agentRoleArn: 'arn:aws:iam::222222222222:role/g360-lower-eks-cluster-02-appconfig-agent',
      tokenReaderRoleName: 'g360-lower-eks-cluster-02-agent-token-reader',
      tokenReaderRoleArn: 'arn:aws:iam::222222222222:role/g360-lower-eks-cluster-02-agent-token-reader',
      tokenSecretName: 'g360/appconfig-agent/lower-eks-cluster-02/token',
    });
  });

  test('a cluster key that already starts with the workload is not prefixed twice', () => {
    expect(agentNames(sampleModel(), PROD).agentRoleName).toBe('g360-prod-core-01-appconfig-agent');
  });

  test('clusterName overrides the key for EKS only', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, clusterName: 'LowerCluster' }));
    const names = agentNames(model, LOWER);
    expect(names.eksClusterName).toBe('LowerCluster');
    expect(names.agentRoleName).toBe('g360-lower-eks-cluster-02-appconfig-agent');
  });

  test('the partition follows the region', () => {
    const model = withCluster(sampleModel(), LOWER, (c) => ({ ...c, region: 'cn-north-1' }));
    expect(agentNames(model, LOWER).agentRoleArn).toMatch(/^arn:aws-cn:iam::/);
  });
});

describe('iamRoleName', () => {
  test('short names are kept', () => {
    expect(iamRoleName('a-b-c')).toBe('a-b-c');
  });

  test('long names are cut to 64 characters with a stable hash of the whole', () => {
    const long = `g360-${'x'.repeat(63)}-agent-token-reader`;
    const name = iamRoleName(long);
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^g360-x+-[0-9a-f]{8}$/);
    expect(iamRoleName(long)).toBe(name);
    expect(iamRoleName(`${long}2`)).not.toBe(name);
  });
});

describe('partitionOf', () => {
  test.each([
    ['us-east-1', 'aws'],
    ['eu-central-1', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});
