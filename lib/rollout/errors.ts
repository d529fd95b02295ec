/**
 * AWS SDK failures turned into one line that says what failed, where, and what to do.
 * The kind decides whether a retry can help: throttling and server faults pass, missing
 * credentials and missing resources do not.
 */

export type AwsErrorKind = 'credentials' | 'access-denied' | 'throttled' | 'not-found' | 'conflict' | 'transient' | 'bad-request' | 'other';

/** A control-plane failure with a message fit for a terminal; `kind` says what went wrong. */
export class AppConfigError extends Error {
  constructor(
    readonly kind: AwsErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppConfigError';
  }
}

/** Where a call went: the account and region of the environment, and what it was about. */
export interface CallContext {
  /** The API action, e.g. `ListDeployments`. */
  readonly action: string;
  /** What the call was about, e.g. `payment-service-v2/prod-01 profile flags`. */
  readonly subject: string;
  readonly account: string;
  readonly region: string;
}

interface SdkErrorLike {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  /** Set by Node on a failed DNS lookup (getaddrinfo). */
  readonly hostname?: string;
  /** Set by Node on a failed connect. */
  readonly address?: string;
  readonly port?: number;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'RequestTimeTooSkewed',
]);
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'SlowDown']);
const TRANSIENT_ERRORS = new Set(['InternalServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'ESOCKETTIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const UNREACHABLE_CODES = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);
/** Node's codes for a server certificate it does not trust: usually a TLS-inspecting proxy. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function classifyAwsError(e: unknown): AwsErrorKind {
  if (e instanceof AppConfigError) return e.kind;
  const err = (e ?? {}) as SdkErrorLike;
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  if (CREDENTIAL_ERRORS.has(name)) return 'credentials';
  if (THROTTLING_ERRORS.has(name) || err.$retryable?.throttling || status === 429) return 'throttled';
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || status === 403) return 'access-denied';
  if (name === 'ResourceNotFoundException' || status === 404) return 'not-found';
  if (name === 'ConflictException' || status === 409) return 'conflict';
  if (TRANSIENT_ERRORS.has(name) || NETWORK_CODES.has(err.code ?? '') || (status !== undefined && status >= 500)) return 'transient';
  if (name === 'BadRequestException' || name === 'ValidationException' || status === 400) return 'bad-request';
  return 'other';
}

export function isRetryable(kind: AwsErrorKind): boolean {
  return kind === 'throttled' || kind === 'transient';
}

/**
 * What went wrong, in words: the cause of a failed call, for retry lines and final messages.
 * `what` names the cause (an AWS error keeps its name, so it can be searched for); `hint`
 * says what to check; `network` is true when the call never got an answer from AWS.
 */
export interface AwsCause {
  readonly about: 'dns' | 'refused' | 'timeout' | 'reset' | 'unreachable' | 'tls' | 'expired' | 'clock' | 'throttled' | 'server' | 'other';
  readonly what: string;
  readonly hint: string;
  readonly network: boolean;
}

export function awsCause(e: unknown, region: string): AwsCause {
  const err = (e ?? {}) as SdkErrorLike;
  const name = err.name ?? 'Error';
  const code = err.code ?? '';
  const message = err.message ?? String(e);
  const status = err.$metadata?.httpStatusCode;
  const named = name !== 'Error' && name !== 'UnknownError';
  if (DNS_CODES.has(code)) {
    const host = err.hostname ?? /(?:ENOTFOUND|EAI_AGAIN)\s+(\S+)/.exec(message)?.[1] ?? `the AppConfig endpoint of ${region}`;
    return { about: 'dns', what: `cannot resolve ${host} (${code})`, hint: `check the network, DNS and the region (${region})`, network: true };
  }
  if (code === 'ECONNREFUSED') {
    const to = err.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : 'the endpoint';
    return { about: 'refused', what: `connection to ${to} refused (ECONNREFUSED)`, hint: 'nothing accepts connections there: check HTTPS_PROXY, AWS_ENDPOINT_URL and firewalls', network: true };
  }
  if (TIMEOUT_CODES.has(code) || TIMEOUT_NAMES.has(name)) {
    return { about: 'timeout', what: `no answer in time (${code || name})`, hint: 'check the network path to AWS: proxy (HTTPS_PROXY), firewall, VPC endpoint', network: true };
  }
  if (RESET_CODES.has(code)) return { about: 'reset', what: `the connection was reset (${code})`, hint: 'a network device or proxy dropped it; this usually passes', network: true };
  if (UNREACHABLE_CODES.has(code)) return { about: 'unreachable', what: `network unreachable (${code})`, hint: 'check that this machine is online (VPN, Wi-Fi, routes)', network: true };
  if (TLS_CODES.has(code)) {
    return { about: 'tls', what: `the TLS certificate of the AWS endpoint is not trusted (${code})`, hint: 'behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate', network: true };
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || (name === 'CredentialsProviderError' && /expired/i.test(message))) {
    return { about: 'expired', what: `the AWS session has expired (${name}: ${message})`, hint: 'sign in again: aws sso login (with --profile if you use one), or fresh AWS_SESSION_TOKEN credentials', network: false };
  }
  if (name === 'RequestTimeTooSkewed' || /signature expired|clock skew/i.test(message)) {
    return { about: 'clock', what: `this machine's clock is off from AWS's (${name}: ${message})`, hint: 'set the clock right (NTP) and run again', network: false };
  }
  if (classifyAwsError(e) === 'throttled') {
    return { about: 'throttled', what: named ? name : `throttled (HTTP ${status ?? 429})`, hint: 'poll less often (--interval), or run fewer gates against this account at once', network: false };
  }
  if (status !== undefined && status >= 500) {
    return { about: 'server', what: `${named ? `${name} ` : ''}(HTTP ${status}, a fault on the AWS side)`.trimStart(), hint: `it usually passes; if it persists, see the AWS Health Dashboard for AppConfig in ${region}`, network: false };
  }
  return { about: 'other', what: named ? name : message, hint: '', network: false };
}

/** The one-line message for a call that failed for good (after any retries). */
export function describeAwsError(e: unknown, ctx: CallContext, attempts = 1): AppConfigError {
  if (e instanceof AppConfigError) return e;
  const err = (e ?? {}) as SdkErrorLike;
  const kind = classifyAwsError(e);
  const where = `account ${ctx.account} region ${ctx.region}`;
  const detail = `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const cause = awsCause(e, ctx.region);
  const signIn = `sign in with access to account ${ctx.account} (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); in the pipeline, the gate's CodeBuild role must be able to assume a role there`;
  // When AppConfig never answered (DNS, connection, timeout, TLS), say that, and what to check.
  const unreached = `${ctx.action} on ${ctx.subject} failed in ${where}${tries}: ${cause.what}; ${cause.hint}`;
  const status = err.$metadata?.httpStatusCode;
  const message = {
    credentials: cause.about === 'expired' || cause.about === 'clock' ? `no usable AWS credentials for ${where}: ${cause.what}; ${cause.hint}` : `no usable AWS credentials for ${where} (${detail}); ${signIn}`,
    'access-denied': `${ctx.action} on ${ctx.subject} was denied in ${where} (${detail}); grant the caller appconfig:${ctx.action} there`,
    throttled: `AppConfig throttled ${ctx.action} on ${ctx.subject} in ${where}${tries} (${detail}); try again in a minute, or poll less often (--interval)`,
    'not-found': `${ctx.subject} was not found in ${where} (${ctx.action}: ${detail}); check that the stage for it has deployed and that the credentials are for account ${ctx.account}`,
    conflict: `${ctx.action} on ${ctx.subject} conflicts with its current state in ${where} (${detail})`,
    transient: cause.network
      ? unreached
      : `AppConfig failed ${ctx.action} on ${ctx.subject} in ${where}${tries} (${detail}${status ? `, HTTP ${status}` : ''}): a fault on the AWS side; ${cause.about === 'server' ? cause.hint : 'it usually passes; run again'}`,
    'bad-request': `AppConfig rejected ${ctx.action} on ${ctx.subject} in ${where} (${detail})`,
    other: cause.network ? unreached : `${ctx.action} on ${ctx.subject} failed in ${where} (${detail})`,
  }[kind];
  return new AppConfigError(kind, message, { cause: e });
}
