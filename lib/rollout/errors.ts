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
]);
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'SlowDown']);
const TRANSIENT_ERRORS = new Set(['InternalServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

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

/** The one-line message for a call that failed for good (after any retries). */
export function describeAwsError(e: unknown, ctx: CallContext, attempts = 1): AppConfigError {
  if (e instanceof AppConfigError) return e;
  const err = (e ?? {}) as SdkErrorLike;
  const kind = classifyAwsError(e);
  const where = `account ${ctx.account} region ${ctx.region}`;
  const detail = `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const message = {
    credentials: `no usable AWS credentials for ${where} (${detail}); sign in with access to account ${ctx.account} (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); in the pipeline, the gate's CodeBuild role must be able to assume a role there`,
    'access-denied': `${ctx.action} on ${ctx.subject} was denied in ${where} (${detail}); grant the caller appconfig:${ctx.action} there`,
    throttled: `AppConfig throttled ${ctx.action} on ${ctx.subject} in ${where}${tries} (${detail}); try again in a minute, or poll less often (--interval)`,
    'not-found': `${ctx.subject} was not found in ${where} (${ctx.action}: ${detail}); check that the stage for it has deployed and that the credentials are for account ${ctx.account}`,
    conflict: `${ctx.action} on ${ctx.subject} conflicts with its current state in ${where} (${detail})`,
    transient: `AppConfig failed ${ctx.action} on ${ctx.subject} in ${where}${tries} (${detail}); try again later`,
    'bad-request': `AppConfig rejected ${ctx.action} on ${ctx.subject} in ${where} (${detail})`,
    other: `${ctx.action} on ${ctx.subject} failed in ${where} (${detail})`,
  }[kind];
  return new AppConfigError(kind, message, { cause: e });
}
