import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { Model } from '../../model';
import { beforeAwsClient } from '../aws-node-notice';
import {
  AppConfigError,
  ControlPlane,
  emergencyGuard,
  errorSuite,
  guardSuite,
  inspect,
  itemKey,
  logProgress,
  resolveItems,
  rolloutTarget,
  stopRollout,
  systemClock,
  TargetError,
  terminalProgress,
  junitXml,
  waitForRollout,
  waitSuite,
  wantsTerminalProgress,
  writeJUnitFile,
  type AwsCallOptions,
  type Clock,
  type GuardReport,
  type ItemStatus,
  type JUnitSuite,
  type ReportSubject,
  type RetryOptions,
  type RolloutTarget,
  type WaitResult,
} from '../../rollout';
import { choiceOption, CommandError, EXIT_FAILURE, EXIT_OK, numberOption, requiredOption, stringOption, UsageError, type Command, type CommandIO, type ParsedArgs } from '../command';
import { requireModel, ROOT_OPTION, workspaceRoot } from '../workspace';

/** What the AWS-facing verbs need from outside; tests pass a fake clock and a mocked client. */
export interface AwsDeps<Client = AppConfigClient> {
  readonly clock: Clock;
  /** A client for one region; the command destroys it when done. */
  readonly client: (region: string) => Client;
  /** @default RetryOptions defaults */
  readonly retry?: RetryOptions;
}

export const DEFAULT_AWS_DEPS: AwsDeps = {
  clock: systemClock,
  // Credentials come from the default provider chain: a profile or SSO session on a laptop,
  // the role CodeBuild assumes in the pipeline.
  client: (region) => {
    beforeAwsClient();
    return new AppConfigClient({ region });
  },
};

/** Minutes `status`, `stop` and `drift` may spend on retries. */
export const DEFAULT_CALL_TIMEOUT_MINUTES = 5;
/** The gate's limit when workload.json sets no pipeline.gateTimeoutMinutes. */
export const DEFAULT_WAIT_TIMEOUT_MINUTES = 60;
export const DEFAULT_INTERVAL_SECONDS = 15;

export const SELECTION_OPTIONS = {
  ...ROOT_OPTION,
  env: { type: 'string' },
  app: { type: 'string' },
  profile: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** `--junit <file>`: the test steps' report option (rollout wait and guard, verify). */
export const JUNIT_OPTION = { junit: { type: 'string' } } as const;

/** Where a command writes its JUnit report, and what to call it. */
export interface JUnitReporting {
  readonly file: string;
  readonly command: string;
  readonly suite: string;
  readonly environment?: string;
  readonly startedMs: number;
}

/**
 * The report a command asked for with --junit, or undefined. The path is resolved against
 * the working directory; the suite is named after the command line that ran.
 */
export function junitReporting(args: ParsedArgs, io: CommandIO, command: string, clock: Clock): JUnitReporting | undefined {
  const file = stringOption(args, 'junit');
  if (file === undefined) return undefined;
  if (file === '') throw new UsageError('--junit needs a file name, e.g. --junit reports/dynconf.xml');
  const environment = typeof args.values.env === 'string' && args.values.env !== '' ? args.values.env : undefined;
  const picked = (['env', 'app', 'profile'] as const).flatMap((o) => (typeof args.values[o] === 'string' ? [`--${o} ${String(args.values[o])}`] : []));
  const flags = args.values.acceptance === true ? ['--acceptance'] : [];
  return { file: path.resolve(io.cwd, file), command, suite: ['dynconf', command, ...picked, ...flags].join(' '), environment, startedMs: clock.now() };
}

/**
 * Run a command that reports JUnit. Its report is written whatever the outcome: the
 * command's own when it judged something, else one error case with the reason it ended,
 * which is then rethrown (exit codes stay as they were). A report that cannot be written
 * is an error of its own; after a failure it is told on stderr and the failure rethrown.
 */
export async function withJUnit(
  reporting: JUnitReporting | undefined,
  io: CommandIO,
  clock: Clock,
  run: () => Promise<{ code: number; suite?: (subject: ReportSubject) => JUnitSuite }>,
): Promise<number> {
  if (!reporting) return (await run()).code;
  const subject = (): ReportSubject => ({ command: reporting.command, environment: reporting.environment, suite: reporting.suite, startedMs: reporting.startedMs, endedMs: clock.now() });
  const write = (suite: JUnitSuite) => writeJUnitFile(reporting.file, junitXml(`dynconf ${reporting.command}`, [suite]));
  let outcome: { code: number; suite?: (subject: ReportSubject) => JUnitSuite };
  try {
    outcome = await run();
  } catch (e) {
    try {
      write(errorSuite(subject(), e));
    } catch (w) {
      io.stderr.write(`dynconf ${reporting.command}: ${(w as Error).message}\n`);
    }
    throw e;
  }
  // Only the verbs that report return a suite; --junit elsewhere is a usage error above.
  if (!outcome.suite) throw new Error(`dynconf ${reporting.command} has no JUnit report`);
  try {
    write(outcome.suite(subject()));
  } catch (w) {
    throw new CommandError((w as Error).message);
  }
  return outcome.code;
}

/** The environment and profiles picked by --env, --app and --profile. */
export function selectTarget(model: Model, args: ParsedArgs): RolloutTarget {
  try {
    return rolloutTarget(model, requiredOption(args, 'env'), { application: stringOption(args, 'app'), profile: stringOption(args, 'profile') });
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Run `fn` against the environment's account and region; AWS failures become one line.
 * Retries are reported on stderr unless `onRetry` shows them elsewhere.
 */
/** Where, how long and how loudly an AWS-facing command calls: shared by rollout, drift and verify. */
export function callOptions(
  deps: Pick<AwsDeps<unknown>, 'clock' | 'retry'>,
  target: RolloutTarget,
  io: CommandIO,
  timeoutMinutes: number,
  onRetry: (message: string) => void = (message) => io.stderr.write(`${message}\n`),
): AwsCallOptions {
  return {
    account: target.account,
    region: target.region,
    clock: deps.clock,
    retry: deps.retry,
    signal: io.signal,
    deadline: deps.clock.now() + timeoutMinutes * 60_000,
    onRetry,
  };
}

export async function withPlane<T>(
  deps: AwsDeps,
  target: RolloutTarget,
  io: CommandIO,
  timeoutMinutes: number,
  fn: (plane: ControlPlane) => Promise<T>,
  onRetry: (message: string) => void = (message) => io.stderr.write(`${message}\n`),
): Promise<T> {
  const client = deps.client(target.region);
  const plane = new ControlPlane({ client, ...callOptions(deps, target, io, timeoutMinutes, onRetry) });
  try {
    return await fn(plane);
  } catch (e) {
    if (e instanceof AppConfigError) throw new CommandError(e.message);
    throw e;
  } finally {
    client.destroy();
  }
}

const ACTIONS = ['status', 'wait', 'stop', 'guard'] as const;
type Action = (typeof ACTIONS)[number];

export function makeRolloutCommand(deps: AwsDeps = DEFAULT_AWS_DEPS): Command {
  return {
    name: 'rollout',
    summary: 'AppConfig rollout of an environment: status, wait (the rollout gate), stop or revert',
    usage: `usage: dynconf rollout status|wait|stop|guard --env <env> [--app <app>] [--profile flags|ops|browser]
         [--timeout <minutes>] [--interval <seconds>] [--revert] [--commit <sha>] [--format text|json]
         [--junit <file>] [--root <dir>]

Talks to AWS AppConfig in the environment's account and region (config/workload.json),
with the default AWS credential chain. Profiles: every profile of every application in
the environment, or the ones --app and --profile pick.
  status     the latest deployment of each profile: state, percentage, events, and whether it
             carries what this checkout compiles (--format json for scripts). Exit 0 once it
             has printed them, whatever their states (a rolled-back deployment too: use wait
             to gate on them); exit 1 only when it cannot (an AWS error, an invalid workspace).
  wait       the rollout gate: waits until the latest deployment of each profile is COMPLETE
             and carries what this checkout compiles; a progress bar on a terminal, plain
             lines in CI logs. Exit 0 then; exit 1 as soon as one is rolling back, rolled back,
             reverted, never deployed or carries other content, on timeout, and when
             interrupted (Ctrl-C).
  stop       StopDeployment on each deployment still in progress (AppConfig rolls it back);
             with --revert, also on COMPLETE ones (AllowRevert: back to the previous version,
             possible for 72 hours). Exit 1 if any stop failed.
  guard      run by the pipeline before it deploys an environment: exit 1 when an emergency
             deployment (described 'dynconf emergency <sha>') is live or in flight there, its
             commit is not in the history of --commit (default HEAD; git merge-base
             --is-ancestor, so the clone needs that history), and this checkout would deploy
             other values than it set. Same bytes, a merged commit, or a squash merge that
             keeps every value it set pass. Exit 0 otherwise (--format json for scripts).
  --timeout  wait: the gate's limit in minutes (default pipeline.gateTimeoutMinutes, else
             ${DEFAULT_WAIT_TIMEOUT_MINUTES}); status, stop: minutes allowed for retries (default ${DEFAULT_CALL_TIMEOUT_MINUTES})
  --interval wait: seconds between polls (default ${DEFAULT_INTERVAL_SECONDS})
  --junit    wait, guard: also write a JUnit XML report to <file>, one test case per profile
             (a rollback naming what triggered it, a timeout or other content is a failure),
             written whatever the outcome; the exit code is unchanged
Throttling, AppConfig server errors and network failures are retried with backoff, each
retry line naming its cause; missing credentials, missing resources and denied calls end
the command with a one-line reason. Every action exits 1 on such an error or when the
workspace does not validate, and 2 on a usage error.`,
    options: { ...SELECTION_OPTIONS, ...JUNIT_OPTION, interval: { type: 'string' }, revert: { type: 'boolean', default: false }, format: { type: 'string' }, commit: { type: 'string' } },
    allowPositionals: true,
    async run(args, io) {
      // Known before anything can fail, so that every failure is in the report it asked for.
      const reporting = junitReporting(args, io, ['rollout', ...args.positionals.slice(0, 1)].join(' '), deps.clock);
      return withJUnit(reporting, io, deps.clock, () => runRollout(deps, args, io));
    },
  };
}

async function runRollout(deps: AwsDeps, args: ParsedArgs, io: CommandIO): Promise<{ code: number; suite?: (subject: ReportSubject) => JUnitSuite }> {
  const action = actionOf(args);
  if (args.values.revert === true && action !== 'stop') throw new UsageError('--revert is for stop only');
  if (args.values.interval !== undefined && action !== 'wait') throw new UsageError('--interval is for wait only');
  if (args.values.junit !== undefined && action !== 'wait' && action !== 'guard') throw new UsageError('--junit is for wait and guard only');
  const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
  if (args.values.format !== undefined && action !== 'status' && action !== 'guard') throw new UsageError('--format is for status and guard only');
  if (args.values.commit !== undefined && action !== 'guard') throw new UsageError('--commit is for guard only');
  const root = workspaceRoot(args, io);
  const model = requireModel(root, io);
  const target = selectTarget(model, args);
  if (action === 'guard') {
    const timeout = numberOption(args, 'timeout', DEFAULT_CALL_TIMEOUT_MINUTES, { min: 1, max: 1440 });
    const commit = resolveCommit(root, stringOption(args, 'commit') ?? 'HEAD');
    const report = await withPlane(deps, target, io, timeout, (plane) => emergencyGuard({ plane, target, commit, isAncestor: (a, c) => isAncestor(root, a, c) }));
    io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderGuard(report));
    if (report.blocked) io.stderr.write(`dynconf rollout guard: ${report.environment}: ${report.blocked} emergency change${report.blocked === 1 ? '' : 's'} would be undone; see above\n`);
    return { code: report.blocked ? EXIT_FAILURE : EXIT_OK, suite: (subject) => guardSuite(subject, target, report) };
  }
  if (action === 'status') {
    const timeout = numberOption(args, 'timeout', DEFAULT_CALL_TIMEOUT_MINUTES, { min: 1, max: 1440 });
    const items = await withPlane(deps, target, io, timeout, async (plane) => inspect(plane, target, await resolveItems(plane, target)));
    io.stdout.write(format === 'json' ? `${JSON.stringify({ environment: target.environment, account: target.account, region: target.region, items }, null, 2)}\n` : renderStatus(target, items));
    return { code: EXIT_OK };
  }
  if (action === 'stop') {
    const timeout = numberOption(args, 'timeout', DEFAULT_CALL_TIMEOUT_MINUTES, { min: 1, max: 1440 });
    const outcomes = await withPlane(deps, target, io, timeout, (plane) => stopRollout(plane, target, args.values.revert === true));
    for (const o of outcomes) {
      const at = o.deploymentNumber !== undefined ? ` #${o.deploymentNumber} ${o.before}` : '';
      io.stdout.write(`${target.environment} ${o.application}/${o.profile}${at}: ${o.action}${o.after ? ` (now ${o.after})` : ''}: ${o.note}\n`);
    }
    const failed = outcomes.filter((o) => o.action === 'failed').length;
    if (failed) io.stderr.write(`dynconf rollout stop: ${failed} of ${outcomes.length} profiles could not be stopped; see above\n`);
    return { code: failed ? EXIT_FAILURE : EXIT_OK };
  }
  const timeout = numberOption(args, 'timeout', model.workload.pipeline.gateTimeoutMinutes ?? DEFAULT_WAIT_TIMEOUT_MINUTES, { min: 1, max: 1440 });
  const interval = numberOption(args, 'interval', DEFAULT_INTERVAL_SECONDS, { min: 1, max: 600 });
  const view = wantsTerminalProgress(io.stdout, io.env) ? terminalProgress(io.stdout, target.environment) : logProgress(io.stdout, target.environment, deps.clock);
  // Retries go through the view, so they do not tear a progress bar drawn in place.
  const result = await withPlane(
    deps,
    target,
    io,
    timeout,
    (plane) =>
      waitForRollout({
        plane,
        target,
        clock: deps.clock,
        timeoutMs: timeout * 60_000,
        intervalMs: interval * 1000,
        signal: io.signal,
        onPoll: (s) => view.update(s),
        onNotice: (m) => view.notice(m),
      }),
    (m) => view.notice(m),
  );
  return { code: reportWait(result, target, timeout, io), suite: (subject) => waitSuite(subject, target, result, timeout) };
}

export const rolloutCommand = makeRolloutCommand();

function actionOf(args: ParsedArgs): Action {
  const [action, ...extra] = args.positionals;
  if (!action) throw new UsageError(`say what to do: ${ACTIONS.join(', ')}`);
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`unknown action '${action}'; use ${ACTIONS.join(', ')}`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  return action as Action;
}

/**
 * `git merge-base --is-ancestor`: true when `commit` is in the history of `of` (or is it),
 * false when not, undefined when git cannot tell (not a repository, commit not fetched).
 */
export function isAncestor(root: string, commit: string, of: string): boolean | undefined {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', commit, of], { cwd: root, stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status === 1 ? false : undefined;
  }
}

/** The full commit id of `ref` in the workspace's repository. */
function resolveCommit(root: string, ref: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString('utf8')
      .trim();
  } catch {
    throw new UsageError(`--commit: '${ref}' is not a commit of the repository at ${root}`);
  }
}

export function renderGuard(r: GuardReport): string {
  const out = [`${r.environment} (account ${r.account} region ${r.region}), deploying ${r.commit}:`];
  if (r.findings.length === 0) out.push('  no emergency deployment is live or in flight; nothing to guard');
  for (const f of r.findings) out.push(`  ${f.verdict === 'undoes' || f.verdict === 'unknown' ? 'BLOCKED' : 'ok'}: ${f.message}`);
  return `${out.join('\n')}\n`;
}

function reportWait(result: WaitResult, target: RolloutTarget, timeoutMinutes: number, io: CommandIO): number {
  const minutes = `${Math.round(result.elapsedMs / 60000)} min`;
  const env = target.environment;
  const next = `the rollout goes on in AppConfig: follow it with 'dynconf rollout status --env ${env}', stop it with 'dynconf rollout stop --env ${env}'`;
  switch (result.outcome) {
    case 'complete':
      io.stdout.write(`dynconf rollout wait: ${env}: all ${result.items.length} profiles COMPLETE with the content this run compiled (${minutes})\n`);
      return EXIT_OK;
    case 'failed':
      io.stderr.write(`dynconf rollout wait: ${env}: the rollout failed after ${minutes}:\n${result.problems.map((p) => `  ${p}\n`).join('')}`);
      return EXIT_FAILURE;
    case 'timeout':
      io.stderr.write(`dynconf rollout wait: ${env}: timed out after ${timeoutMinutes} min; still pending:\n${result.problems.map((p) => `  ${p}\n`).join('')}${next}\n`);
      return EXIT_FAILURE;
    case 'interrupted':
      io.stderr.write(`dynconf rollout wait: ${env}: interrupted after ${minutes}; ${next}\n`);
      return EXIT_FAILURE;
  }
}

export function renderStatus(target: RolloutTarget, items: readonly ItemStatus[]): string {
  const out = [`${target.environment} in account ${target.account} region ${target.region}`];
  const width = Math.max(...items.map((s) => itemKey(s).length));
  for (const s of items) {
    if (s.phase === 'none') {
      out.push(`  ${itemKey(s).padEnd(width)}  never deployed`);
      continue;
    }
    const content = s.contentMatches ? 'carries what this checkout compiles' : `carries other content than this checkout (sha256 ${s.deployedFingerprint}, compiled ${s.compiledFingerprint})`;
    out.push(`  ${itemKey(s).padEnd(width)}  #${s.deploymentNumber} ${s.state} ${s.percentage ?? 0}%  version ${s.configurationVersion}  ${content}`);
    for (const e of s.events) {
      out.push(`      ${e.at?.toISOString() ?? '-'} ${e.type}${e.triggeredBy ? ` by ${e.triggeredBy}` : ''}${e.description ? `: ${e.description}` : ''}`);
    }
  }
  const count = (p: ItemStatus['phase']) => items.filter((s) => s.phase === p).length;
  const other = items.filter((s) => s.contentMatches === false).length;
  out.push(`${count('complete')} complete, ${count('in-progress')} in progress, ${count('failed')} rolled back or reverted, ${count('none')} never deployed; ${other} with other content than this checkout`);
  return `${out.join('\n')}\n`;
}
