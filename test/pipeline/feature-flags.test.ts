/**
 * cdk.json's feature flags: every flag this aws-cdk-lib knows is set (so `cdk synth` does not
 * print "N feature flags are not configured"), each to its recommended value, except the pins
 * below, which keep a deployed stack deployable. cdk.json cannot hold comments: the reasons
 * live here and in the README ("CDK feature flags").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ClusterAgentStack } from '../../lib/agent/stack';
import { LOWER, sampleModel } from '../agent/support';
import { cdkJsonContext, rmrf, tempDir } from '../support/workspace';

/** Flags held at their old value, and why. */
const PINNED: Record<string, { value: unknown; why: string }> = {
  '@aws-cdk/aws-lambda:useCdkManagedLogGroup': {
    value: false,
    why:
      "The agent stack's kubectl provider (its Handler and Provider framework-onEvent functions) has run on every deployed cluster, " +
      'so Lambda has already created /aws/lambda/<function>. With the flag, the template declares a log group of that name, ' +
      'CloudFormation fails the update with AlreadyExists, and the agent stage of the pipeline stops.',
  },
};

const context = cdkJsonContext();
const expired = new Set(cxapi.CURRENT_VERSION_EXPIRED_FLAGS);

describe('cdk.json feature flags', () => {
  test('every flag of this aws-cdk-lib that is not expired is set, so cdk synth has none to warn about', () => {
    const unset = Object.keys(cxapi.FLAGS).filter((flag) => !expired.has(flag) && !(flag in context));
    expect(unset).toEqual([]);
  });

  test('each flag has its recommended value, except the pins', () => {
    const differing = Object.entries(cxapi.FLAGS)
      .filter(([flag, info]) => flag in context && JSON.stringify(context[flag]) !== JSON.stringify(info.recommendedValue))
      .map(([flag]) => flag);
    expect(differing.sort()).toEqual(Object.keys(PINNED).sort());
  });

  test.each(Object.entries(PINNED))('%s is pinned to its old value, which is still not the recommendation', (flag, pin) => {
    // pin.why is the reason; the README repeats it.
    expect(context[flag]).toEqual(pin.value);
    expect(cxapi.FLAGS[flag]!.recommendedValue).not.toEqual(pin.value);
  });
});

/** The Lambda log groups the agent stack's templates (nested ones included) declare. */
function lambdaLogGroups(flags: Record<string, unknown>): string[] {
  const outdir = tempDir('dynconf-flags-');
  try {
    const app = new App({ outdir, context: flags });
    new ClusterAgentStack(app, 'Agent', { model: sampleModel(), cluster: LOWER });
    app.synth();
    const found: string[] = [];
    for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
      const resources = (JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as { Resources?: Record<string, { Type: string; Properties?: { LogGroupName?: unknown } }> }).Resources ?? {};
      for (const [id, r] of Object.entries(resources)) {
        if (r.Type === 'AWS::Logs::LogGroup' && JSON.stringify(r.Properties?.LogGroupName ?? '').includes('/aws/lambda/')) found.push(id);
      }
    }
    return found.sort();
  } finally {
    rmrf(outdir);
  }
}

describe('the useCdkManagedLogGroup pin', () => {
  test('with cdk.json, the agent stack declares no log group that Lambda already created', () => {
    expect(lambdaLogGroups(context)).toEqual([]);
  });

  test('with the recommended value it would declare one per kubectl provider function (why the pin exists)', () => {
    expect(lambdaLogGroups({ ...context, '@aws-cdk/aws-lambda:useCdkManagedLogGroup': true })).toEqual(['HandlerLogGroup50A7B41D', 'ProviderframeworkonEventLogGroup683073A3']);
  });
});
