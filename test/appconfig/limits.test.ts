import * as cdk from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CODEPIPELINE_TEMPLATE_BYTES, HARD_BUDGET, measureTemplates, templateLimitViolations, TEMPLATE_LIMITS } from '../../lib/appconfig';
import { rmrf, tempDir } from '../support/workspace';

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
      expect(templateLimitViolations(assembly, { resources: 500, bytes: 1000, parameters: 3, outputs: 200 }).map((v) => v.message)).toEqual([
        expect.stringMatching(/^\d+ template bytes, CodePipeline's CloudFormation action allows 1000$/),
        '4 parameters, CloudFormation allows 3',
      ]);
    } finally {
      rmrf(outdir);
    }
  });
});

describe("CodePipeline's template limit", () => {
  test('is the smallest limit on the path, and the hard budget stays under it with a margin', () => {
    expect(TEMPLATE_LIMITS).toEqual({ resources: 500, bytes: 512_000, parameters: 200, outputs: 200 });
    expect(CODEPIPELINE_TEMPLATE_BYTES).toBe(512_000);
    expect(HARD_BUDGET.bytes).toBeLessThanOrEqual(0.9 * CODEPIPELINE_TEMPLATE_BYTES);
    expect(HARD_BUDGET.resources).toBeLessThan(TEMPLATE_LIMITS.resources);
    expect(HARD_BUDGET.parameters).toBeLessThan(TEMPLATE_LIMITS.parameters);
  });

  /** A one-resource template padded, through template metadata, to exactly `bytes`. */
  const synthTemplateOf = (bytes: number) => {
    const pad = (n: number) => {
      const outdir = tempDir('dynconf-cdk-');
      const app = new cdk.App({ outdir, analyticsReporting: false });
      const stack = new cdk.Stack(app, 'Big', { stackName: 'big' });
      new ssm.StringParameter(stack, 'P', { stringValue: 'x' });
      stack.addMetadata('Padding', 'x'.repeat(n));
      return { assembly: app.synth(), outdir };
    };
    const empty = pad(0);
    const base = measureTemplates(empty.assembly)[0]!.bytes;
    rmrf(empty.outdir);
    return pad(bytes - base);
  };

  test.each([
    [CODEPIPELINE_TEMPLATE_BYTES, []],
    [CODEPIPELINE_TEMPLATE_BYTES + 1, [`${CODEPIPELINE_TEMPLATE_BYTES + 1} template bytes, CodePipeline's CloudFormation action allows 512000`]],
  ])('a template of %d bytes: %j', (size, expected) => {
    const { assembly, outdir } = synthTemplateOf(size);
    try {
      expect(measureTemplates(assembly)[0]!.bytes).toBe(size);
      expect(templateLimitViolations(assembly).map((v) => v.message)).toEqual(expected);
    } finally {
      rmrf(outdir);
    }
  });
});
