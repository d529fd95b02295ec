import { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { Model } from '../../lib/model';
import { ControlPlane } from '../../lib/rollout/control-plane';
import { deployEmergency, emergencyCommitOf, emergencyDescription, emergencyGuard, EmergencyError, type DeployEmergencyOptions, type EmergencyDocumentRef } from '../../lib/rollout/emergency';
import { AppConfigError } from '../../lib/rollout/errors';
import { ssmIdDirectory } from '../../lib/rollout/ids';
import { rolloutTarget } from '../../lib/rollout/targets';
import { awsError, freshFakesPerTest, sampleModel, throttling } from './fake-appconfig';

const aws = freshFakesPerTest();

const COMMIT = 'a'.repeat(40);
const APP = 'payment-service-v2';
const FLAG = 'payment-retry-policy';
const PROD = ['prod-01', 'prod-02', 'prod-03'];
const STRATEGY = 'Emergency.AllAtOnce';

type Doc = { values: Record<string, Record<string, unknown>> };

/** The sample as it is (the base) plus the emergency strategy the shared design adds. */
function baseModel(): Model {
  const m = sampleModel();
  return {
    ...m,
    workload: {
      ...m.workload,
      strategies: { ...m.workload.strategies, [STRATEGY]: { growthType: 'LINEAR', growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 5 } },
    },
  };
}

/** The base with `edit` applied to the documents `where` picks: an emergency commit's model. */
function headModel(base: Model, where: (d: Model['documents'][number]) => boolean, edit: (content: string) => string): Model {
  return { ...base, documents: base.documents.map((d) => (where(d) ? { ...d, content: edit(d.content) } : d)) };
}

const switchOff = (content: string): string => {
  const doc = JSON.parse(content) as Doc;
  doc.values[FLAG] = { ...doc.values[FLAG], enabled: false };
  return JSON.stringify(doc);
};
const lowerLimit = (content: string): string => `${content.slice(0, -1)},"emergency":1}`;

function content(model: Model, env: string, profile: string, app = APP): string {
  return model.documents.find((d) => d.environment === env && d.application === app && d.profile === profile)!.content;
}

/** Every profile of every application of `envs` live in AppConfig with what `model` compiles. */
function deployed(model: Model, envs: readonly string[]): void {
  for (const env of envs) aws.fake.deployTarget(rolloutTarget(model, env), 'COMPLETE');
}

function options(base: Model, head: Model, changed: readonly EmergencyDocumentRef[], extra: Partial<DeployEmergencyOptions> = {}): DeployEmergencyOptions {
  return {
    base,
    head,
    changed,
    commit: COMMIT,
    strategy: STRATEGY,
    baseLabel: 'origin/main',
    client: ({ region }) => new AppConfigClient({ region }),
    clock: aws.clock,
    retry: { random: () => 0.5 },
    intervalMs: 5_000,
    ...extra,
  };
}

/** A prod flag switched off in every prod environment, with the base live there. */
function offSwitchInProd(): { base: Model; head: Model; changed: EmergencyDocumentRef[] } {
  const base = baseModel();
  const head = headModel(base, (d) => d.application === APP && d.profile === 'flags' && PROD.includes(d.environment), switchOff);
  deployed(base, PROD);
  aws.fake.strategy(`g360-${STRATEGY}`);
  aws.fake.strategy('g360-prod-linear');
  return { base, head, changed: PROD.map((environment) => ({ application: APP, environment, profile: 'flags' })) };
}

/** The deployments StartDeployment made, with what they carry. */
function started(env?: string) {
  const app = aws.fake.app(APP);
  return aws.fake.deployments
    .filter((d) => d.strategyId !== undefined && (!env || app.environments.find((e) => e.id === d.environmentId)?.name === env))
    .map((d) => ({
      env: app.environments.find((e) => e.id === d.environmentId)!.name,
      profile: app.profiles.find((p) => p.id === d.profileId)!.name,
      number: d.number,
      state: d.state,
      description: d.description,
      strategyId: d.strategyId,
      hosted: aws.fake.hostedVersion(APP, app.profiles.find((p) => p.id === d.profileId)!.name, d.version)!,
    }));
}

describe('deployEmergency', () => {
  test('emergency deploy: three environments in parallel, each COMPLETE with the emergency bytes, the marker and the emergency strategy', async () => {
    const { base, head, changed } = offSwitchInProd();
    let startedAtFirstPoll: number | undefined;
    aws.clock.onSleep = () => {
      startedAtFirstPoll ??= aws.fake.calls('StartDeployment');
      aws.fake.advance();
    };
    const events: string[] = [];
    const r = await deployEmergency(options(base, head, changed, { onEvent: (env, m) => events.push(`${env}: ${m}`) }));

    expect(r.ok).toBe(true);
    expect(r.environments.map((e) => [e.environment, e.outcome, e.items.map((i) => [i.profile, i.outcome])])).toEqual(PROD.map((env) => [env, 'complete', [['flags', 'complete']]]));
    // Parallel: every environment had started before the first one was polled again.
    expect(startedAtFirstPoll).toBe(3);
    const deployments = started();
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      expect(d).toMatchObject({ profile: 'flags', state: 'COMPLETE', description: `dynconf emergency ${COMMIT}`, strategyId: aws.fake.strategy(`g360-${STRATEGY}`) });
      expect(d.hosted.content).toBe(content(head, d.env, 'flags'));
      expect(d.hosted.contentType).toBe('application/json');
      expect(d.hosted.description).toMatch(new RegExp(`^dynconf emergency ${COMMIT}: ${APP}/flags for ${d.env}, sha256 [0-9a-f]{16}$`));
    }
    expect(events).toContain('prod-02: prod-02 payment-service-v2/flags: deployment #3 COMPLETE (0 min)');
  });

  test('emergency deploy: within an environment, flags then ops, one deployment at a time', async () => {
    const base = baseModel();
    const head = headModel(
      headModel(base, (d) => d.application === APP && d.profile === 'flags' && d.environment === 'prod-01', switchOff),
      (d) => d.application === APP && d.profile === 'ops' && d.environment === 'prod-01',
      lowerLimit,
    );
    deployed(base, ['prod-01']);
    aws.fake.strategy(`g360-${STRATEGY}`);
    aws.clock.onSleep = () => aws.fake.advance();
    // Listed ops first: the order comes from the model, not from the report.
    const r = await deployEmergency(options(base, head, [{ application: APP, environment: 'prod-01', profile: 'ops' }, { application: APP, environment: 'prod-01', profile: 'flags' }]));
    expect(r.ok).toBe(true);
    expect(started().map((d) => [d.profile, d.number, d.state])).toEqual([
      ['flags', 3, 'COMPLETE'],
      ['ops', 4, 'COMPLETE'],
    ]);
  });

  test('emergency deploy: a rollback in one environment fails the lane, naming the environment and the alarm; the others complete', async () => {
    const base = baseModel();
    const head = headModel(
      headModel(base, (d) => d.application === APP && d.profile === 'flags' && PROD.includes(d.environment), switchOff),
      (d) => d.application === APP && d.profile === 'ops' && d.environment === 'prod-02',
      lowerLimit,
    );
    deployed(base, PROD);
    aws.fake.strategy(`g360-${STRATEGY}`);
    aws.fake.scripts.set('prod-02', ['DEPLOYING', 'ROLLING_BACK', 'ROLLED_BACK']);
    aws.clock.onSleep = () => aws.fake.advance();
    const changed = [...PROD.map((environment) => ({ application: APP, environment, profile: 'flags' })), { application: APP, environment: 'prod-02', profile: 'ops' }];
    const r = await deployEmergency(options(base, head, changed));

    expect(r.ok).toBe(false);
    const byEnv = Object.fromEntries(r.environments.map((e) => [e.environment, e]));
    expect(byEnv['prod-01']!.outcome).toBe('complete');
    expect(byEnv['prod-03']!.outcome).toBe('complete');
    expect(byEnv['prod-02']!.outcome).toBe('failed');
    expect(byEnv['prod-02']!.items.map((i) => [i.profile, i.outcome])).toEqual([
      ['flags', 'failed'],
      ['ops', 'not-started'],
    ]);
    expect(byEnv['prod-02']!.problems[0]).toMatch(/^prod-02 payment-service-v2\/flags: deployment #3 (is rolling back|was rolled back) \(ROLLBACK_STARTED by CLOUDWATCH_ALARM: .*alarm:prod-02-errors\)$/);
    expect(byEnv['prod-02']!.problems[1]).toBe('prod-02 payment-service-v2/ops: not started, because payment-service-v2/flags did not complete');
    expect(started('prod-02').map((d) => d.profile)).toEqual(['flags']);
  });

  test('emergency deploy: throttling on every call is retried, and the lane completes', async () => {
    const { base, head, changed } = offSwitchInProd();
    aws.clock.onSleep = () => aws.fake.advance();
    for (const command of ['ListDeploymentStrategies', 'ListDeployments', 'GetHostedConfigurationVersion', 'CreateHostedConfigurationVersion', 'StartDeployment', 'GetDeployment']) {
      aws.fake.fail(command, throttling(), throttling());
    }
    const retries: string[] = [];
    const r = await deployEmergency(options(base, head, changed, { onEvent: (_env, m) => retries.push(m) }));
    expect(r.ok).toBe(true);
    expect(started()).toHaveLength(3);
    expect(retries.filter((m) => /ThrottlingException \(attempt \d\); retrying/.test(m)).length).toBeGreaterThanOrEqual(6);
  });

  test('emergency deploy: a StartDeployment whose reply was lost is adopted on retry, not started twice', async () => {
    const { base, head } = offSwitchInProd();
    aws.clock.onSleep = () => aws.fake.advance();
    aws.fake.failAfter('StartDeployment', awsError('InternalServerException', 'reply lost', 500));
    const r = await deployEmergency(options(base, head, [{ application: APP, environment: 'prod-01', profile: 'flags' }]));
    expect(r.ok).toBe(true);
    expect(started().map((d) => [d.env, d.number, d.state])).toEqual([['prod-01', 3, 'COMPLETE']]);
    expect(r.environments[0]!.items[0]).toMatchObject({ outcome: 'complete', deploymentNumber: 3 });
  });

  test('emergency deploy: refused against what is deployed when AppConfig was changed since the base; the other environments go on', async () => {
    const { base, head, changed } = offSwitchInProd();
    // A console edit in prod-02 after the base was deployed.
    aws.fake.deploy(APP, 'prod-02', 'flags', lowerLimit(content(base, 'prod-02', 'flags')), 'COMPLETE');
    aws.clock.onSleep = () => aws.fake.advance();
    const r = await deployEmergency(options(base, head, changed));
    expect(r.ok).toBe(false);
    const prod02 = r.environments.find((e) => e.environment === 'prod-02')!;
    expect(prod02.outcome).toBe('refused');
    expect(prod02.problems[0]).toBe('prod-02: refused against what is deployed; nothing deployed there');
    expect(prod02.problems[1]).toMatch(/^prod-02 payment-service-v2\/flags: AppConfig serves deployment #3 \(version \d+, sha256 [0-9a-f]{12}\), not what origin\/main compiles .*\[origin\/main -> AppConfig: emergency: added: 1\]/);
    expect(prod02.problems[1]).toContain("Run 'dynconf drift --env prod-02'");
    expect(started('prod-02')).toEqual([]);
    expect(r.environments.filter((e) => e.outcome === 'complete').map((e) => e.environment)).toEqual(['prod-01', 'prod-03']);
  });

  test('emergency deploy: a deployment in flight refuses the environment and names it', async () => {
    const { base, head, changed } = offSwitchInProd();
    aws.fake.deploy(APP, 'prod-03', 'ops', content(base, 'prod-03', 'ops'), 'BAKING', 100, 'dynconf payment-service-v2/ops for prod-03, sha256 0123');
    aws.clock.onSleep = () => aws.fake.advance();
    const r = await deployEmergency(options(base, head, changed));
    const prod03 = r.environments.find((e) => e.environment === 'prod-03')!;
    expect(prod03.outcome).toBe('refused');
    expect(prod03.problems[1]).toMatch(/deployment #3 \('dynconf payment-service-v2\/ops for prod-03, sha256 0123'\) is BAKING at 100% .*dynconf rollout stop --env prod-03/);
    expect(started('prod-03')).toEqual([]);
  });

  test('emergency deploy: a rerun skips environments that already serve the emergency bytes', async () => {
    const { base, head, changed } = offSwitchInProd();
    aws.fake.deploy(APP, 'prod-01', 'flags', content(head, 'prod-01', 'flags'), 'COMPLETE', 100, emergencyDescription(COMMIT));
    aws.clock.onSleep = () => aws.fake.advance();
    const r = await deployEmergency(options(base, head, changed));
    expect(r.ok).toBe(true);
    expect(r.environments[0]!.items[0]).toMatchObject({ outcome: 'already-deployed', deploymentNumber: 3 });
    expect(started().map((d) => d.env)).toEqual(['prod-02', 'prod-03']);
  });

  test('emergency deploy: missing credentials refuse the environment with the reason, and nothing is created', async () => {
    const { base, head, changed } = offSwitchInProd();
    aws.fake.fail('ListDeploymentStrategies', Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }));
    aws.clock.onSleep = () => aws.fake.advance();
    const r = await deployEmergency(options(base, head, changed.slice(0, 1)));
    expect(r.environments[0]).toMatchObject({ outcome: 'refused', problems: [expect.stringMatching(/^prod-01: nothing deployed: no usable AWS credentials for account 333333333333/)] });
    expect(aws.fake.calls('CreateHostedConfigurationVersion')).toBe(0);
  });

  test('emergency deploy: bad input is refused before any call', async () => {
    const { base, head, changed } = offSwitchInProd();
    await expect(deployEmergency(options(base, head, changed, { commit: 'abc123' }))).rejects.toThrow(EmergencyError);
    await expect(deployEmergency(options(base, head, changed, { strategy: 'nope' }))).rejects.toThrow(/emergency strategy 'nope' is not in config\/workload.json strategies/);
    await expect(deployEmergency(options(base, head, [{ application: APP, environment: 'beta', profile: 'flags' }]))).rejects.toThrow(/compiles to the same bytes as origin\/main/);
    await expect(deployEmergency(options(base, head, [{ application: 'nope', environment: 'prod-01', profile: 'flags' }]))).rejects.toThrow(/the model does not have/);
    expect(aws.fake.calls('ListApplications')).toBe(0);
  });
});

test('emergency marker: only a full commit after the marker counts', () => {
  expect(emergencyCommitOf(emergencyDescription(COMMIT))).toBe(COMMIT);
  expect(emergencyCommitOf(`dynconf emergency ${COMMIT}: ${APP}/flags for prod-01, sha256 0123`)).toBe(COMMIT);
  expect(emergencyCommitOf('dynconf emergency abc')).toBeUndefined();
  expect(emergencyCommitOf(`dynconf payment-service-v2/flags for prod-01, sha256 ${COMMIT.slice(0, 16)}`)).toBeUndefined();
  expect(emergencyCommitOf(undefined)).toBeUndefined();
});

describe('emergencyGuard', () => {
  const MAIN = 'b'.repeat(40);

  /** prod-01 with the base live, then the emergency off-switch deployed by the lane. */
  function emergencyLive(): { base: Model; head: Model } {
    const base = baseModel();
    const head = headModel(base, (d) => d.application === APP && d.profile === 'flags' && d.environment === 'prod-01', switchOff);
    deployed(base, ['prod-01']);
    aws.fake.deploy(APP, 'prod-01', 'flags', content(head, 'prod-01', 'flags'), 'COMPLETE', 100, emergencyDescription(COMMIT));
    return { base, head };
  }

  const guard = (model: Model, isAncestor: (a: string, c: string) => boolean | undefined) => {
    const target = rolloutTarget(model, 'prod-01');
    const plane = new ControlPlane({ client: aws.client, account: target.account, region: target.region, clock: aws.clock, retry: { random: () => 0.5 } });
    return emergencyGuard({ plane, target, commit: MAIN, isAncestor });
  };

  test('guard: a commit without the emergency commit that would switch the flag back on is blocked: merge it first', async () => {
    const { base } = emergencyLive();
    const asked: string[][] = [];
    const r = await guard(base, (a, c) => (asked.push([a, c]), false));
    expect(asked).toEqual([[COMMIT, MAIN]]);
    expect(r.blocked).toBe(1);
    expect(r.findings).toEqual([
      expect.objectContaining({
        application: APP,
        profile: 'flags',
        deploymentNumber: 3,
        emergencyCommit: COMMIT,
        verdict: 'undoes',
        message: `prod-01 ${APP}/flags: emergency change ${COMMIT} in prod-01 is not merged into main; merge it first (deployment #3; ${MAIN} does not contain it, and it would undo values.${FLAG}.enabled: emergency false, this commit true)`,
      }),
    ]);
  });

  test('guard: passes once the emergency commit is merged, and when the commit deploys the same bytes', async () => {
    const { base, head } = emergencyLive();
    await expect(guard(base, () => true)).resolves.toMatchObject({ blocked: 0, findings: [{ verdict: 'merged' }] });
    await expect(guard(head, () => false)).resolves.toMatchObject({ blocked: 0, findings: [{ verdict: 'same-content' }] });
  });

  test('guard: a squash merge that keeps every value the emergency set passes; git that cannot tell blocks a change that undoes it', async () => {
    const { base, head } = emergencyLive();
    const squashed = headModel(head, (d) => d.application === APP && d.profile === 'flags' && d.environment === 'prod-01', (c) => {
      const doc = JSON.parse(c) as Doc;
      doc.values['three-ds-enforcement'] = { ...doc.values['three-ds-enforcement'], thresholdCents: 100 };
      return JSON.stringify(doc);
    });
    await expect(guard(squashed, () => false)).resolves.toMatchObject({ blocked: 0, findings: [{ verdict: 'kept' }] });
    const unknown = await guard(base, () => undefined);
    expect(unknown.findings[0]).toMatchObject({ verdict: 'unknown', message: expect.stringContaining('no history here (a zip source or a shallow clone)') });
    expect(unknown.blocked).toBe(1);
  });

  test('guard: no emergency deployment, or one rolled back, is nothing to guard', async () => {
    const base = baseModel();
    deployed(base, ['prod-01']);
    await expect(guard(base, () => false)).resolves.toMatchObject({ blocked: 0, findings: [] });
    aws.fake.deploy(APP, 'prod-01', 'flags', switchOff(content(base, 'prod-01', 'flags')), 'ROLLED_BACK', 0, emergencyDescription(COMMIT));
    await expect(guard(base, () => false)).resolves.toMatchObject({ blocked: 0, findings: [] });
  });
});

test('emergency deploy: with IDs from the published SSM parameters, it needs neither ListApplications nor ListDeploymentStrategies (nothing on *)', async () => {
  const { base, head, changed } = offSwitchInProd();
  aws.clock.onSleep = () => aws.fake.advance();
  // What the role would be refused: the two listings IAM allows only on `*`.
  aws.fake.fail('ListApplications', awsError('AccessDeniedException', 'not allowed', 403));
  aws.fake.fail('ListDeploymentStrategies', awsError('AccessDeniedException', 'not allowed', 403));
  const app = aws.fake.app(APP);
  const parameters = new Map([
    [`/dynconf/g360/appconfig/applications/${APP}/ids`, [app.id, ...base.applications.find((a) => a.name === APP)!.profiles.map((p) => aws.fake.profile(APP, p))].join(',')],
    [`/dynconf/g360/appconfig/strategies/${STRATEGY}/id`, aws.fake.strategy(`g360-${STRATEGY}`)],
  ]);
  const read: string[] = [];
  const get = async (name: string) => {
    read.push(name);
    const v = parameters.get(name);
    if (v === undefined) throw new AppConfigError('not-found', `no SSM parameter ${name}`);
    return v;
  };
  const r = await deployEmergency(options(base, head, changed, { ids: () => ssmIdDirectory(head, get) }));
  expect(r.ok).toBe(true);
  expect(aws.fake.calls('ListApplications')).toBe(0);
  expect(started().map((d) => [d.env, d.state, d.strategyId])).toEqual(PROD.map((env) => [env, 'COMPLETE', aws.fake.strategy(`g360-${STRATEGY}`)]));
  expect(new Set(read)).toEqual(new Set(parameters.keys()));
});

test('ssmIdDirectory: a parameter that does not list every profile is an error naming it', async () => {
  const dir = ssmIdDirectory(baseModel(), async () => 'only-one');
  await expect(dir.application(APP)).rejects.toThrow(`SSM parameter /dynconf/g360/appconfig/applications/${APP}/ids holds 1 IDs, but ${APP} has`);
});
