/**
 * What the pipeline's test steps report as JUnit (junit.ts): one test case per profile the
 * command judged, so that the CodeBuild report of a failed gate names the profile and
 * why (the rollback and the alarm or user that triggered it, the timeout, the content
 * mismatch, the failed acceptance check), as the log does.
 *
 * - `rollout wait`: `<app>/<profile>` passes once COMPLETE with the compiled bytes; a
 *   rollback, revert, missing deployment or other content is a failure; at the timeout
 *   every profile still pending is a failure; when another profile failed the gate first,
 *   a pending one is skipped (the gate stopped before it could be judged).
 * - `verify`: `<app>/<profile>` is the content check; with `--acceptance`, `<app>/<profile>
 *   acceptance` holds that profile's acceptance checks (skipped when nothing could be read).
 * - `rollout guard`: `<app>/<profile>` fails when an emergency change there would be undone.
 * - A command that ends before it can judge anything (an AWS error, a workspace that does
 *   not validate, a usage error) reports one `<error>` case carrying its message.
 */
import type { GuardReport } from './emergency';
import type { JUnitFailure, JUnitSuite, JUnitTestCase } from './junit';
import { failureOf, isDone, itemKey, type ItemStatus } from './status';
import type { RolloutTarget } from './targets';
import type { VerifyItem, VerifyReport } from './verify';
import { pendingLine, type WaitResult } from './wait';

/** Which command a report is of, where, and when it started. */
export interface ReportSubject {
  /** As typed after `dynconf`, e.g. `rollout wait` or `verify`. */
  readonly command: string;
  /** The environment, or undefined when the command ended before knowing it. */
  readonly environment?: string;
  /** The suite's name: the command line, e.g. `dynconf rollout wait --env prod-01`. */
  readonly suite: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

/** `dynconf.rollout-wait.prod-01`: how CodeBuild groups a report's cases. */
export function classnameOf(subject: Pick<ReportSubject, 'command' | 'environment'>): string {
  return ['dynconf', subject.command.replace(/\s+/g, '-'), ...(subject.environment ? [subject.environment] : [])].join('.');
}

function suite(subject: ReportSubject, cases: JUnitTestCase[]): JUnitSuite {
  return { name: subject.suite, timestamp: new Date(subject.startedMs), timeSeconds: (subject.endedMs - subject.startedMs) / 1000, cases };
}

/** The events of a deployment, oldest first, as `rollout status` prints them. */
function eventLines(s: ItemStatus | undefined): string | undefined {
  if (!s?.events.length) return undefined;
  const head = `deployment #${s.deploymentNumber} ${s.state} ${s.percentage ?? 0}%, version ${s.configurationVersion}`;
  return [head, ...s.events.map((e) => `${e.at?.toISOString() ?? '-'} ${e.type}${e.triggeredBy ? ` by ${e.triggeredBy}` : ''}${e.description ? `: ${e.description}` : ''}`)].join('\n');
}

/** The kind of a gate failure, for the report's `type`. */
function gateFailureType(s: ItemStatus): string {
  if (s.phase === 'none') return 'never-deployed';
  if (s.contentMatches === false) return 'content-mismatch';
  if (s.state === 'ROLLING_BACK') return 'rolling-back';
  if (s.state === 'ROLLED_BACK') return 'rolled-back';
  if (s.state === 'REVERTED') return 'reverted';
  return 'failed';
}

export function waitSuite(subject: ReportSubject, target: RolloutTarget, result: WaitResult, timeoutMinutes: number): JUnitSuite {
  const classname = classnameOf({ command: subject.command, environment: target.environment });
  const env = target.environment;
  const lastPoll = result.problems.filter((p) => p.startsWith('the last poll failed'));
  const minutes = Math.round(result.elapsedMs / 60000);
  const cases = target.items.map((item): JUnitTestCase => {
    const key = itemKey(item);
    const s = result.items.find((x) => itemKey(x) === key);
    const base = { classname, name: key, output: eventLines(s) };
    const settled = result.settledMs.get(key);
    if (s && isDone(s)) return { ...base, timeSeconds: (settled ?? result.elapsedMs) / 1000 };
    const failure = s ? failureOf(s, env) : undefined;
    if (s && failure) return { ...base, timeSeconds: (settled ?? result.elapsedMs) / 1000, failure: { message: failure, type: gateFailureType(s) } };
    const pending = pendingLine(item, s);
    const time = { timeSeconds: result.elapsedMs / 1000 };
    switch (result.outcome) {
      case 'timeout': {
        const message = `${pending} when the gate timed out after ${timeoutMinutes} min`;
        return { ...base, ...time, failure: { message, type: 'timeout', details: [message, ...lastPoll].join('\n') } };
      }
      case 'failed':
        return { ...base, ...time, skipped: `${pending} when the gate stopped on another profile's failure` };
      case 'interrupted':
        return { ...base, ...time, error: { message: `${pending} when the gate was interrupted after ${minutes} min`, type: 'interrupted' } };
      case 'complete':
        // waitForRollout returns `complete` only when every item is done.
        throw new Error(`rollout wait reported complete with ${key} not done`);
    }
  });
  return suite(subject, cases);
}

function contentCase(classname: string, i: VerifyItem): JUnitTestCase {
  const key = itemKey(i);
  const label = i.versionLabel ? ` (version label ${i.versionLabel})` : '';
  const notComparable = i.notComparable.length
    ? `not comparable on the data plane (multi-variant; SDK calls do not retrieve variant data): ${i.notComparable.map((n) => `${n.flag} (${n.served === undefined ? 'left out' : `served ${n.served}`})`).join(', ')}`
    : undefined;
  const base = { classname, name: key, output: notComparable };
  let failure: JUnitFailure | undefined;
  switch (i.status) {
    case 'match':
      return base;
    case 'mismatch': {
      const first = i.differences[0];
      const n = i.differences.length;
      const message = `${key}: the data plane serves other content than this checkout compiled${label}: ${n} difference${n === 1 ? '' : 's'}${first ? `, first ${first.path}: ${first.detail}` : ''}`;
      const details = [message, `served sha256 ${i.servedFingerprint}, compiled ${i.compiledFingerprint}; compiled -> data plane:`, ...i.differences.map((d) => `  ${d.path}: ${d.detail}`)].join('\n');
      failure = { message, type: 'content-mismatch', details };
      break;
    }
    default:
      failure = { message: `${key}: ${i.status}: ${i.reason ?? ''}`, type: i.status };
  }
  return { ...base, failure };
}

function acceptanceCase(classname: string, i: VerifyItem): JUnitTestCase {
  const key = itemKey(i);
  const base = { classname, name: `${key} acceptance` };
  if (i.status === 'missing' || i.status === 'unreadable') return { ...base, skipped: `${key} could not be read from the data plane (${i.status}); see its content check` };
  if (!i.acceptance.length) return base;
  const n = i.acceptance.length;
  const message = `${key}: ${n} acceptance check${n === 1 ? '' : 's'} failed: ${i.acceptance[0]}${n > 1 ? ` (and ${n - 1} more)` : ''}`;
  return { ...base, failure: { message, type: 'acceptance', details: [message, ...i.acceptance.map((p) => `  ${p}`)].join('\n') } };
}

export function verifySuite(subject: ReportSubject, report: VerifyReport): JUnitSuite {
  const classname = classnameOf({ command: subject.command, environment: report.environment });
  return suite(
    subject,
    report.items.flatMap((i) => (report.acceptance ? [contentCase(classname, i), acceptanceCase(classname, i)] : [contentCase(classname, i)])),
  );
}

export function guardSuite(subject: ReportSubject, target: RolloutTarget, report: GuardReport): JUnitSuite {
  const classname = classnameOf({ command: subject.command, environment: target.environment });
  const cases = target.items.map((item): JUnitTestCase => {
    const key = itemKey(item);
    const findings = report.findings.filter((f) => itemKey(f) === key);
    const blocking = findings.filter((f) => f.verdict === 'undoes' || f.verdict === 'unknown');
    const output = findings.length ? findings.map((f) => `${f.verdict}: ${f.message}`).join('\n') : 'no emergency deployment is live or in flight';
    if (!blocking.length) return { classname, name: key, output };
    const message = blocking.map((f) => f.message).join('; ');
    return { classname, name: key, output, failure: { message, type: blocking.some((f) => f.verdict === 'undoes') ? 'undoes-emergency-change' : 'emergency-change-unknown' } };
  });
  return suite(subject, cases);
}

/** A command that ended before judging anything: one case with its error. */
export function errorSuite(subject: ReportSubject, error: unknown): JUnitSuite {
  const message = error instanceof Error ? error.message : String(error);
  const kind = error instanceof Error && error.constructor.name !== 'Error' ? error.constructor.name : 'error';
  return suite(subject, [{ classname: classnameOf(subject), name: `dynconf ${subject.command}`, error: { message, type: kind } }]);
}
