import { AppConfigError, classifyAwsError, describeAwsError, isRetryable } from '../../lib/rollout/errors';
import { backoffDelay, RetryGaveUp, withRetry } from '../../lib/rollout/retry';
import { awsError, FakeClock, noCredentials, throttling } from './fake-appconfig';

const ctx = { action: 'ListDeployments', subject: 'deployments of payment-service-v2/prod-01', account: '333333333333', region: 'us-east-1' };

describe('classifyAwsError', () => {
  test.each([
    ['no credentials in the chain', noCredentials(), 'credentials'],
    ['an expired session', awsError('ExpiredTokenException', 'The security token included in the request is expired', 400), 'credentials'],
    ['a key of another partition', awsError('UnrecognizedClientException', 'The security token included in the request is invalid', 400), 'credentials'],
    ['throttling by name', throttling(), 'throttled'],
    ['throttling by status', awsError('SomethingNew', 'slow down', 429), 'throttled'],
    ['a denied call', awsError('AccessDeniedException', 'not authorized', 403), 'access-denied'],
    ['a missing resource', awsError('ResourceNotFoundException', 'Application abc not found', 404), 'not-found'],
    ['a conflict', awsError('ConflictException', 'Deployment in progress', 409), 'conflict'],
    ['a server fault', awsError('InternalServerException', 'oops', 500), 'transient'],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['a bad request', awsError('BadRequestException', 'Invalid input', 400), 'bad-request'],
    ['anything else', new Error('boom'), 'other'],
  ])('%s', (_what, error, kind) => {
    expect(classifyAwsError(error)).toBe(kind);
  });

  test('only throttling and server faults are worth a retry', () => {
    expect(['throttled', 'transient'].every((k) => isRetryable(k as never))).toBe(true);
    expect(['credentials', 'access-denied', 'not-found', 'conflict', 'bad-request', 'other'].some((k) => isRetryable(k as never))).toBe(false);
  });
});

describe('describeAwsError', () => {
  test('no credentials: names the account and how to sign in', () => {
    const e = describeAwsError(noCredentials(), ctx);
    expect(e).toBeInstanceOf(AppConfigError);
    expect(e.kind).toBe('credentials');
    expect(e.message).toBe(
      "no usable AWS credentials for account 333333333333 region us-east-1 (CredentialsProviderError: Could not load credentials from any providers); sign in with access to account 333333333333 (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); in the pipeline, the gate's CodeBuild role must be able to assume a role there",
    );
  });

  test('throttling: says how many attempts were made and what to do', () => {
    expect(describeAwsError(throttling(), ctx, 5).message).toMatch(/^AppConfig throttled ListDeployments on deployments of payment-service-v2\/prod-01 in account 333333333333 region us-east-1 after 5 attempts \(ThrottlingException: Rate exceeded\); .*--interval/);
  });

  test('not found: names the thing and the likely causes', () => {
    expect(describeAwsError(awsError('ResourceNotFoundException', 'Application abc not found', 404), ctx).message).toMatch(
      /deployments of payment-service-v2\/prod-01 was not found in account 333333333333 region us-east-1 .*stage .* deployed .*credentials are for account 333333333333/,
    );
  });

  test('access denied: names the permission to grant', () => {
    expect(describeAwsError(awsError('AccessDeniedException', 'not authorized', 403), ctx).message).toContain('grant the caller appconfig:ListDeployments there');
  });

  test('an AppConfigError passes through unchanged', () => {
    const original = new AppConfigError('not-found', 'no application');
    expect(describeAwsError(original, ctx)).toBe(original);
  });
});

describe('withRetry', () => {
  const half = { random: () => 0.5 };

  test('retries throttling with doubling, jittered delays, then returns the value', async () => {
    const clock = new FakeClock();
    const fn = jest.fn().mockRejectedValueOnce(throttling()).mockRejectedValueOnce(throttling()).mockResolvedValueOnce('ok');
    const retries: number[] = [];
    await expect(withRetry(fn, { clock, onRetry: (r) => retries.push(r.attempt) }, half)).resolves.toEqual({ value: 'ok', attempts: 3 });
    // full delay 1000 then 2000; half fixed plus half times 0.5 of jitter.
    expect(clock.sleeps).toEqual([750, 1500]);
    expect(retries).toEqual([1, 2]);
  });

  test('gives up after the last attempt with the last error and the count', async () => {
    const clock = new FakeClock();
    const fn = jest.fn().mockRejectedValue(throttling());
    const e = await withRetry(fn, { clock }, { ...half, attempts: 3 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RetryGaveUp);
    expect((e as RetryGaveUp).attempts).toBe(3);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  test('does not retry what a retry cannot fix', async () => {
    const clock = new FakeClock();
    const fn = jest.fn().mockRejectedValue(awsError('ResourceNotFoundException', 'gone', 404));
    await expect(withRetry(fn, { clock }, half)).rejects.toBeInstanceOf(RetryGaveUp);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('does not sleep past the deadline', async () => {
    const clock = new FakeClock();
    const fn = jest.fn().mockRejectedValue(throttling());
    await expect(withRetry(fn, { clock, deadline: clock.now() + 1000 }, half)).rejects.toMatchObject({ attempts: 2 });
    expect(clock.sleeps).toEqual([750]);
  });

  test('backoff doubles up to the cap', () => {
    const full = { random: () => 1 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, full))).toEqual([1000, 2000, 4000, 8000, 16000, 20000, 20000]);
    expect(backoffDelay(3, { random: () => 0 })).toBe(2000);
  });
});
