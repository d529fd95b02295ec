/**
 * Every problem dynconf reports is a Diagnostic: where (file:line:col), what (field and
 * message) and how to fix it. Nothing in lib/model throws for bad input; it collects.
 */
export type Severity = 'error' | 'warning';

export interface Location {
  /** Path relative to the workspace root, with forward slashes. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

export interface Diagnostic extends Location {
  readonly severity: Severity;
  /** A stable identifier of the rule broken, e.g. `flags/unknown-environment`. */
  readonly rule: string;
  /** The field, as a dotted path or `flag (env)`, that the problem is about. */
  readonly field?: string;
  readonly message: string;
  /** What to change to make the problem go away. */
  readonly fix?: string;
}

export class Diagnostics {
  private readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  /** A problem in a value shared by several environments is reported once, not per environment. */
  add(d: Diagnostic): void {
    const key = `${d.file}:${d.line}:${d.column}:${d.rule}:${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }

  error(at: Location, rule: string, message: string, extra: { field?: string; fix?: string } = {}): void {
    this.add({ file: at.file, line: at.line, column: at.column, severity: 'error', rule, message, ...extra });
  }

  warning(at: Location, rule: string, message: string, extra: { field?: string; fix?: string } = {}): void {
    this.add({ file: at.file, line: at.line, column: at.column, severity: 'warning', rule, message, ...extra });
  }

  get all(): readonly Diagnostic[] {
    return sortDiagnostics(this.items);
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  return [...items].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.message.localeCompare(b.message),
  );
}

/** `flags/payment-service-v2.json:14:7 error new-checkout (prod-01): rolloutPercent 140 is above the maximum 100 (fix: ...)` */
export function formatDiagnostic(d: Diagnostic): string {
  const field = d.field ? `${d.field}: ` : '';
  const fix = d.fix ? ` (fix: ${d.fix})` : '';
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${field}${d.message}${fix}`;
}

/** Suggest the closest known name, for "did you mean" hints on typos. */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  // A suggestion further away than a third of the name is noise, not help.
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function unknownNameFix(kind: string, name: string, known: readonly string[]): string {
  const guess = didYouMean(name, known);
  const list = known.length > 0 ? known.join(', ') : '(none defined)';
  return guess ? `did you mean '${guess}'? Known ${kind}s: ${list}` : `use one of the ${kind}s defined in config/workload.json: ${list}`;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length]!;
}
