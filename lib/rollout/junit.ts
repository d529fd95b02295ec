/**
 * A JUnit XML writer for the pipeline's test steps (rollout gate, verify, acceptance,
 * emergency guard), so that a failed gate shows in the CodeBuild test report, not only in
 * the log. The shape is the one jest-junit writes for the synth step, which CodeBuild
 * reads as JUNITXML: `<testsuites>` holding `<testsuite>`s holding `<testcase>`s, a
 * `<failure message type>` with the details as text, `<skipped message>`, `<system-out>`.
 *
 * Names and messages come from AppConfig (alarm descriptions, deployment events, served
 * documents), so nothing is trusted: every value is escaped as text or attribute, never
 * put in CDATA (a `]]>` would close it), and characters XML 1.0 cannot carry at all, not
 * even as a character reference (C0 controls other than tab, newline and carriage return,
 * lone surrogates, U+FFFE and U+FFFF), are written as a visible `\uXXXX` instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface JUnitFailure {
  /** One line: what a report lists. */
  readonly message: string;
  /** A short kind, e.g. `rolled-back`, `timeout`, `content-mismatch`, `acceptance`. */
  readonly type: string;
  /** Everything else, as the element's text. @default - the message */
  readonly details?: string;
}

export interface JUnitTestCase {
  readonly name: string;
  readonly classname: string;
  /** @default 0 */
  readonly timeSeconds?: number;
  /** A check that ran and failed. */
  readonly failure?: JUnitFailure;
  /** The command could not judge it (an AWS error, an invalid workspace): `<error>`. */
  readonly error?: JUnitFailure;
  /** Not judged, and why. */
  readonly skipped?: string;
  /** What a reader of the report should see beside the verdict. */
  readonly output?: string;
}

export interface JUnitSuite {
  readonly name: string;
  readonly timestamp: Date;
  readonly timeSeconds: number;
  readonly cases: readonly JUnitTestCase[];
}

/** Characters XML 1.0 allows (the `Char` production), minus what we escape anyway. */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(text: string): string {
  return text.replace(NOT_XML_CHAR, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`);
}

/** Element text: `<` and `&` escaped, and `>` so that `]]>` never appears. */
export function escapeXmlText(text: string): string {
  return visible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Attribute value in double quotes. Tab, newline and carriage return become character
 * references: a parser normalizes them to spaces when they appear as themselves.
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

const seconds = (s: number | undefined) => (Number.isFinite(s) && (s as number) > 0 ? (s as number).toFixed(3) : '0.000');

function attributes(attrs: Record<string, string | number>): string {
  return Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXmlAttribute(String(v))}"`)
    .join('');
}

function testCaseXml(c: JUnitTestCase): string {
  const open = `    <testcase${attributes({ classname: c.classname, name: c.name, time: seconds(c.timeSeconds) })}`;
  const body: string[] = [];
  const problem = (tag: 'failure' | 'error', f: JUnitFailure) =>
    body.push(`      <${tag}${attributes({ message: f.message, type: f.type })}>${escapeXmlText(f.details ?? f.message)}</${tag}>`);
  if (c.failure) problem('failure', c.failure);
  if (c.error) problem('error', c.error);
  if (c.skipped !== undefined) body.push(`      <skipped${attributes({ message: c.skipped })}/>`);
  if (c.output) body.push(`      <system-out>${escapeXmlText(c.output)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

function counts(cases: readonly JUnitTestCase[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  };
}

/** The document: one `<testsuites name>` with the suites in order. */
export function junitXml(name: string, suites: readonly JUnitSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const total = counts(all);
  const time = suites.reduce((sum, s) => sum + (Number.isFinite(s.timeSeconds) ? s.timeSeconds : 0), 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attributes({ name, tests: total.tests, failures: total.failures, errors: total.errors, time: seconds(time) })}>`];
  for (const s of suites) {
    const c = counts(s.cases);
    const head = `  <testsuite${attributes({ name: s.name, tests: c.tests, failures: c.failures, errors: c.errors, skipped: c.skipped, timestamp: s.timestamp.toISOString().slice(0, 19), time: seconds(s.timeSeconds) })}`;
    out.push(s.cases.length ? `${head}>\n${s.cases.map(testCaseXml).join('\n')}\n  </testsuite>` : `${head}/>`);
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/**
 * Write a report so that CodeBuild, which reads it after the build, finds the whole
 * document or none: a sibling temporary file renamed over the target. The folder is
 * created; a failure names the file and leaves nothing behind.
 */
export function writeJUnitFile(file: string, xml: string): void {
  const staging = `${file}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(staging, xml);
    fs.renameSync(staging, file);
  } catch (e) {
    try {
      fs.rmSync(staging, { force: true });
    } catch {
      // Nothing was created where the folder is not one; the error below says why.
    }
    throw new Error(`cannot write the JUnit report ${file}: ${(e as Error).message}; pass --junit a writable path`, { cause: e });
  }
}
