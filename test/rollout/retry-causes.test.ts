/**
 * Retry lines and final AWS errors name the cause: throttling, a server fault, a timeout, a
 * DNS failure, a refused or reset connection, an untrusted certificate, an expired session.
 * A DNS failure says what to check, never "try again later". Errors are thrown by the
 * mocked SDK client (aws-sdk-client-mock) in the shape Node and the SDK give them.
 */
import { main } from '../../lib/cli/main';
import { makeRolloutCommand } from '../../lib/cli/commands/rollout';
import { awsCause, describeAwsError } from '../../lib/rollout/errors';
import { captureIO, REPO_ROOT } from '../support/workspace';
import { rolloutTarget } from '../../lib/rollout/targets';
import { awsError, freshFakesPerTest, sampleModel, throttling } from './fake-appconfig';

const HOST = 'appconfig.us-east-1.amazonaws.com';
/** As Node's getaddrinfo reports it, and the SDK passes it on (checked with a real client). */
const dnsFailure = (code = 'ENOTFOUND') => Object.assign(new Error(`getaddrinfo ${code} ${HOST}`), { code, errno: -3008, syscall: 'getaddrinfo', hostname: HOST });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:443'), { code: 'ECONNREFUSED', syscall: 'connect', address: '10.0.0.5', port: 443 });
const netError = (code: string, message = code) => Object.assign(new Error(message), { code });
const sdkTimeout = () => Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
const ctx = { action: 'ListApplications', subject: 'the application list', account: '333333333333', region: 'us-east-1' };

describe('awsCause', () => {
  test.each([
    ['throttling', throttling(), 'ThrottlingException', false],
    ['throttling by status only', awsError('Error', 'slow', 429), 'throttled (HTTP 429)', false],
    ['a server fault', awsError('InternalServerException', 'oops', 500), 'InternalServerException (HTTP 500, a fault on the AWS side)', false],
    ['a bare 503', awsError('Error', 'Service Unavailable', 503), '(HTTP 503, a fault on the AWS side)', false],
    ['the SDK request timeout', sdkTimeout(), 'no answer in time (TimeoutError)', true],
    ['a socket timeout', netError('ETIMEDOUT'), 'no answer in time (ETIMEDOUT)', true],
    ['a DNS failure', dnsFailure(), `cannot resolve ${HOST} (ENOTFOUND)`, true],
    ['a temporary DNS failure', dnsFailure('EAI_AGAIN'), `cannot resolve ${HOST} (EAI_AGAIN)`, true],
    ['a DNS failure without hostname', netError('ENOTFOUND', `getaddrinfo ENOTFOUND ${HOST}`), `cannot resolve ${HOST} (ENOTFOUND)`, true],
    ['a refused connection', refused(), 'connection to 10.0.0.5:443 refused (ECONNREFUSED)', true],
    ['a reset connection', netError('ECONNRESET', 'socket hang up'), 'the connection was reset (ECONNRESET)', true],
    ['no route', netError('ENETUNREACH'), 'network unreachable (ENETUNREACH)', true],
    ['an untrusted certificate', netError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'the TLS certificate of the AWS endpoint is not trusted (SELF_SIGNED_CERT_IN_CHAIN)', true],
    ['an expired session', awsError('ExpiredTokenException', 'The security token included in the request is expired', 400), 'the AWS session has expired', false],
    ['an expired SSO session', Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid'), { name: 'CredentialsProviderError' }), 'the AWS session has expired', false],
    ['a skewed clock', awsError('InvalidSignatureException', 'Signature expired: 20260115T100000Z is now earlier than 20260115T101500Z', 403), "this machine's clock is off from AWS's", false],
  ])('%s', (_what, error, what, network) => {
    const cause = awsCause(error, 'us-east-1');
    expect(cause.what.startsWith(what)).toBe(true);
    expect(cause.network).toBe(network);
  });

  test('a DNS failure says to check the network, DNS and region', () => {
    expect(awsCause(dnsFailure(), 'eu-west-3').hint).toBe('check the network, DNS and the region (eu-west-3)');
  });
});

describe('describeAwsError: the final line', () => {
  test('a DNS failure names the host and what to check, not "try again later"', () => {
    const e = describeAwsError(dnsFailure(), ctx, 5);
    expect(e.kind).toBe('transient');
    expect(e.message).toBe(
      `ListApplications on the application list failed in account 333333333333 region us-east-1 after 5 attempts: cannot resolve ${HOST} (ENOTFOUND); check the network, DNS and the region (us-east-1)`,
    );
    expect(e.message).not.toMatch(/try again later/);
  });

  test('a server fault says it is on the AWS side, with its status', () => {
    const e = describeAwsError(awsError('InternalServerException', 'oops', 500), ctx, 5);
    expect(e.message).toBe(
      'AppConfig failed ListApplications on the application list in account 333333333333 region us-east-1 after 5 attempts (InternalServerException: oops, HTTP 500): a fault on the AWS side; it usually passes; if it persists, see the AWS Health Dashboard for AppConfig in us-east-1',
    );
  });

  test('an expired session says to sign in again', () => {
    const e = describeAwsError(awsError('ExpiredTokenException', 'The security token included in the request is expired', 400), ctx);
    expect(e.kind).toBe('credentials');
    expect(e.message).toMatch(/^no usable AWS credentials for account 333333333333 region us-east-1: the AWS session has expired .*; sign in again: aws sso login/);
  });

  test('an untrusted certificate is not retried and names NODE_EXTRA_CA_CERTS', () => {
    const e = describeAwsError(netError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), ctx);
    expect(e.kind).toBe('other');
    expect(e.message).toContain('NODE_EXTRA_CA_CERTS');
  });
});

describe('dynconf rollout status: retry lines name the cause', () => {
  const aws = freshFakesPerTest();

  async function status(...extra: string[]) {
    const rollout = makeRolloutCommand({ clock: aws.clock, client: () => aws.client, retry: { random: () => 0.5 } });
    const c = captureIO(REPO_ROOT);
    const code = await main(['rollout', 'status', '--env', 'prod-01', ...extra], c.io, { commands: [rollout] });
    return { code, out: c.out(), err: c.err() };
  }

  test('aws: a DNS failure is retried with lines that name the host and what to check, then fails without "try again later"', async () => {
    aws.fake.fail('ListApplications', ...Array.from({ length: 5 }, () => dnsFailure()));
    const r = await status();
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines.slice(0, 4)).toEqual(
      [0.8, 1.5, 3.0, 6.0].map(
        (s, i) => `ListApplications on the application list: cannot resolve ${HOST} (ENOTFOUND): check the network, DNS and the region (us-east-1) (attempt ${i + 1}); retrying in ${s.toFixed(1)} s`,
      ),
    );
    expect(lines[4]).toBe(
      `dynconf rollout: ListApplications on the application list failed in account 333333333333 region us-east-1 after 5 attempts: cannot resolve ${HOST} (ENOTFOUND); check the network, DNS and the region (us-east-1)`,
    );
    expect(r.err).not.toContain('try again later');
  });

  test.each([
    ['throttling', throttling, 'ThrottlingException'],
    ['a server fault', () => awsError('ServiceUnavailableException', 'busy', 503), 'ServiceUnavailableException (HTTP 503, a fault on the AWS side)'],
    ['a timeout', sdkTimeout, 'no answer in time (TimeoutError): check the network path to AWS: proxy (HTTPS_PROXY), firewall, VPC endpoint'],
    ['a refused connection', refused, 'connection to 10.0.0.5:443 refused (ECONNREFUSED): nothing accepts connections there: check HTTPS_PROXY, AWS_ENDPOINT_URL and firewalls'],
  ])('aws: a retry after %s names it, and the call then succeeds', async (_what, error, cause) => {
    aws.fake.deployTarget(rolloutTarget(sampleModel(), 'prod-01', { application: 'payment-service-v2' }), 'COMPLETE');
    aws.fake.fail('ListApplications', error());
    const r = await status('--app', 'payment-service-v2');
    expect(r.err).toBe(`ListApplications on the application list: ${cause} (attempt 1); retrying in 0.8 s\n`);
    expect(r.out).toContain('2 complete, 0 in progress');
    expect(r.code).toBe(0);
  });

  test('aws: an expired session is not retried: one line that says to sign in again', async () => {
    aws.fake.fail('ListApplications', awsError('ExpiredTokenException', 'The security token included in the request is expired', 400));
    const r = await status();
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toEqual([expect.stringMatching(/^dynconf rollout: no usable AWS credentials .*the AWS session has expired.*sign in again: aws sso login/)]);
    expect(aws.clock.sleeps).toEqual([]);
  });
});

describe('rollout --help tells the exit codes of status as the code has them', () => {
  const aws = freshFakesPerTest();

  test('rollout: status exits 0 on a rolled-back deployment and 1 on an AWS error, as its help says', async () => {
    const rollout = makeRolloutCommand({ clock: aws.clock, client: () => aws.client, retry: { random: () => 0.5 } });
    const help = captureIO(REPO_ROOT);
    await main(['rollout', '--help'], help.io, { commands: [rollout] });
    const usage = help.out().replace(/\s+/g, ' ');
    expect(usage).toContain('status the latest deployment of each profile');
    expect(usage).toContain('Exit 0 once it has printed them, whatever their states (a rolled-back deployment too: use wait to gate on them); exit 1 only when it cannot (an AWS error, an invalid workspace).');

    const [flags] = aws.fake.deployTarget(rolloutTarget(sampleModel(), 'prod-01', { application: 'payment-service-v2' }), 'COMPLETE');
    flags!.state = 'ROLLED_BACK';
    const rolledBack = captureIO(REPO_ROOT);
    expect(await main(['rollout', 'status', '--env', 'prod-01', '--app', 'payment-service-v2'], rolledBack.io, { commands: [rollout] })).toBe(0);
    expect(rolledBack.out()).toContain('1 rolled back or reverted');

    aws.fake.fail('ListApplications', awsError('AccessDeniedException', 'not authorized', 403));
    const denied = captureIO(REPO_ROOT);
    expect(await main(['rollout', 'status', '--env', 'prod-01'], denied.io, { commands: [rollout] })).toBe(1);
  });
});
