/**
 * What the CLI writes: build folders that a reader never sees half of, and text for a
 * terminal (colour, only when it is wanted).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../model/diagnostics';

/**
 * Replace `out` with exactly `files` (relative path -> content): everything is written into
 * a sibling temporary folder first, then swapped in with renames. On failure the previous
 * folder is left as it was.
 */
export function replaceDirectory(out: string, files: ReadonlyMap<string, string>): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(`${out}.tmp-`);
  try {
    // mkdtemp makes the folder private; build output is read by other tools and users.
    fs.chmodSync(staging, 0o755);
    for (const [rel, content] of files) {
      const file = path.join(staging, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    let previous: string | undefined;
    if (fs.existsSync(out)) {
      previous = `${staging}.old`;
      fs.renameSync(out, previous);
    }
    fs.renameSync(staging, out);
    if (previous) fs.rmSync(previous, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Replace one file so that a reader (an editor, a concurrent `validate`) sees the old or
 * the new content, never half: write a sibling temporary file, then rename it over.
 */
export function replaceFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const staging = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(staging, content);
    fs.renameSync(staging, file);
  } catch (e) {
    fs.rmSync(staging, { force: true });
    throw e;
  }
}

// ---- Terminal colour ----

/** The SGR styles the CLI uses; each returns its text unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

/**
 * Whether to colour what goes to `stream`: only on a terminal that is not TERM=dumb, and
 * never when NO_COLOR is set to anything but the empty string (https://no-color.org).
 * FORCE_COLOR is deliberately not honoured: jest's workers and other tool runners set
 * FORCE_COLOR=1 for their children when they themselves are on a terminal, so honouring it
 * would put escape codes into output that tests and scripts run under them read.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const sgr = (open: number, close: number) => (text: string) => (text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`);
const plain = (text: string) => text;

export function style(enabled: boolean): Style {
  return enabled
    ? { enabled, red: sgr(31, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) }
    : { enabled, red: plain, yellow: plain, bold: plain, dim: plain };
}

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  return style(colourEnabled(stream, env));
}

/**
 * A diagnostic as formatDiagnostic writes it, coloured: the location bold, the severity red
 * (error) or yellow (warning), the fix dim. Without colour the line is byte for byte
 * formatDiagnostic's, so scripts and editors that match it keep working.
 */
export function formatDiagnosticStyled(d: Diagnostic, s: Style): string {
  const field = d.field ? `${d.field}: ` : '';
  const fix = d.fix ? ` ${s.dim(`(fix: ${d.fix})`)}` : '';
  const severity = d.severity === 'error' ? s.red(s.bold(d.severity)) : s.yellow(d.severity);
  return `${s.bold(`${d.file}:${d.line}:${d.column}`)} ${severity} ${field}${d.message}${fix}`;
}
