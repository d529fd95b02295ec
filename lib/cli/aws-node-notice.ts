/**
 * The AWS SDK for JavaScript v3 warns, through process.emitWarning, when the first client of a
 * process is created on Node < 22: nine lines ending in "Use `node --trace-warnings ...`" on
 * every `rollout`, `drift`, `verify` and `emergency deploy`. It is true (SDK releases published
 * after the first week of January 2027 need Node >= 22; dynconf supports Node >= 20.19 until
 * then), but it is not something to read on every command. The CLI turns it off with the SDK's
 * documented switch (aws/aws-sdk-js-v3#7983) and says the same thing in one line of its own.
 * A user who sets the switch themselves decides for both: `true` silences both, any other
 * value brings the SDK's own banner back and ours stays out of the way.
 *
 * CLI only: the library (lib/runtime) runs inside services, whose warnings are theirs to decide.
 */

/** The SDK checks `=== 'true'` when it creates its first client. */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The Node major that SDK releases after the first week of January 2027 require. */
export const SDK_NEXT_NODE_MAJOR = 22;

/** Our line for `nodeVersion` (process.version), or undefined when that Node is new enough. */
export function nodeSupportNotice(nodeVersion: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(nodeVersion)?.[1]);
  // An unparseable version is not ours to judge; the SDK's own check would not warn either.
  if (!Number.isInteger(major) || major >= SDK_NEXT_NODE_MAJOR) return undefined;
  return (
    `dynconf: note: AWS SDK releases after the first week of January 2027 need Node >= ${SDK_NEXT_NODE_MAJOR} (this is ${nodeVersion}); ` +
    `${SDK_NODE_WARNING_SWITCH}=true hides this line\n`
  );
}

export interface NoticeTarget {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: { write(chunk: string): unknown };
  readonly nodeVersion: string;
}

/** Once per process, like the SDK's own banner. */
const state = { done: false };

/**
 * Call right before creating an AWS SDK client. The first call switches the SDK's banner off
 * (unless the user set the switch) and writes our line instead; later calls do nothing.
 */
export function beforeAwsClient(target: NoticeTarget = { env: process.env, stderr: process.stderr, nodeVersion: process.version }): void {
  if (state.done) return;
  state.done = true;
  if (target.env[SDK_NODE_WARNING_SWITCH] !== undefined) return;
  target.env[SDK_NODE_WARNING_SWITCH] = 'true';
  const line = nodeSupportNotice(target.nodeVersion);
  if (line) target.stderr.write(line);
}

/** For tests of beforeAwsClient: forget that the notice was given. */
export function resetAwsClientNotice(): void {
  state.done = false;
}
