import * as cdk from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { measureTemplates, partition, templateLimitViolations, type StackCost } from '../../lib/appconfig';
import { rmrf, tempDir } from '../support/workspace';

const cost = (resources: number, bytes = 0, parameters = 0): StackCost => ({ resources, bytes, parameters });

describe('partition', () => {
  const options = { costOf: (n: number) => cost(n), fixedCost: () => cost(1), budget: cost(10), describe: (n: number) => `item ${n}` };

  test('fills each part up to the budget, in order, next-fit', () => {
    expect(partition([3, 3, 3, 3, 5, 1], options)).toEqual([[3, 3, 3], [3, 5, 1]]);
  });

  test('always returns one part, empty when there is nothing to place', () => {
    expect(partition([], options)).toEqual([[]]);
  });

  test('counts the first part’s larger fixed cost', () => {
    expect(partition([3, 3, 3], { ...options, fixedCost: (part) => cost(part === 1 ? 5 : 1) })).toEqual([[3], [3, 3]]);
  });

  test('splits on bytes and parameters as well as resources', () => {
    expect(partition([cost(1, 60), cost(1, 60)], { costOf: (c) => c, fixedCost: () => cost(0), budget: cost(10, 100, 10), describe: () => 'x' })).toHaveLength(2);
    expect(partition([cost(1, 0, 6), cost(1, 0, 6)], { costOf: (c) => c, fixedCost: () => cost(0), budget: cost(10, 100, 10), describe: () => 'x' })).toHaveLength(2);
  });

  test('an item that cannot fit in any stack is an error naming it and the fix', () => {
    expect(() => partition([2, 12], options)).toThrow(/item 12 needs 12 resources.*9 resources.*left.*split the application/);
    expect(() => partition([12], options)).toThrow(/item 12/);
  });
});

describe('template limits', () => {
  test('measures every stack of nested stages, and reports what is over a limit', () => {
    const outdir = tempDir('dynconf-cdk-');
    try {
      const app = new cdk.App({ outdir, analyticsReporting: false });
      const stack = new cdk.Stack(new cdk.Stage(app, 'beta'), 'Params', { stackName: 'params' });
      const read = [0, 1, 2].map((i) => ssm.StringParameter.valueForStringParameter(stack, `/p/${i}`));
      new ssm.StringParameter(stack, 'P', { stringValue: cdk.Fn.join('', ['x'.repeat(2000), ...read]) });
      const assembly = app.synth();
      const [m] = measureTemplates(assembly);
      expect(m).toMatchObject({ stackName: 'params', resources: 1, parameters: 4, outputs: 0 });
      expect(m!.bytes).toBeGreaterThan(2000);
      expect(templateLimitViolations(assembly)).toEqual([]);
      expect(templateLimitViolations(assembly, { resources: 500, bytes: 1000, parameters: 3 }).map((v) => v.message)).toEqual([
        expect.stringMatching(/^\d+ template bytes, CloudFormation allows 1000$/),
        '4 parameters, CloudFormation allows 3',
      ]);
    } finally {
      rmrf(outdir);
    }
  });
});
