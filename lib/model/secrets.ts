/**
 * Configuration is deployed in clear, read by every pod, and (for browser flags) sent to
 * browsers: a secret has no business in it. This catches the common shapes; secretlint
 * in the pre-commit hook and CI catches more on whole files.
 */
import type { Diagnostics } from './diagnostics';
import type { JsonFile } from './source';

interface SecretPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

const PATTERNS: readonly SecretPattern[] = [
  { name: 'an AWS access key ID', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { name: 'a private key', pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/ },
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/ },
  { name: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: 'a Stripe secret key', pattern: /\b[sr]k_live_[0-9A-Za-z]{16,}/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { name: 'a password in a URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i },
];

/** One pass over a value decides whether the specific patterns need a look at all. */
const ANY_PATTERN = new RegExp(PATTERNS.map((p) => p.pattern.source).join('|'), 'i');

/** Field names whose values are secrets when they look random enough. */
const SECRET_FIELD = /(secret|passw(or)?d|passwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token|bearer|credential|token)$/i;

/** AWS documentation's placeholder keys contain EXAMPLE; they are not secrets. */
const PLACEHOLDER = /EXAMPLE/;

export function scanForSecrets(json: JsonFile, diags: Diagnostics): void {
  walk(json.value, [], (value, p) => {
    if (PLACEHOLDER.test(value)) return;
    const field = p.length ? String(p[p.length - 1]) : '';
    if (ANY_PATTERN.test(value)) {
      for (const { name, pattern } of PATTERNS) {
        if (pattern.test(value)) {
          report(json, p, diags, `value looks like ${name}`);
          return;
        }
      }
    }
    if (SECRET_FIELD.test(field) && looksRandom(value)) report(json, p, diags, `'${field}' holds what looks like a secret`);
  });
}

function report(json: JsonFile, p: (string | number)[], diags: Diagnostics, message: string): void {
  diags.error(json.locate(p), 'policy/secret', message, {
    field: p.join('.'),
    fix: 'keep secrets in AWS Secrets Manager and put only its name or ARN here; rotate this one, it is in git history now',
  });
}

/** Depth-first over every string, with a path that is copied only when a string is visited. */
function walk(v: unknown, p: (string | number)[], visit: (s: string, p: (string | number)[]) => void): void {
  if (typeof v === 'string') visit(v, p);
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      p.push(i);
      walk(v[i], p, visit);
      p.pop();
    }
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      p.push(k);
      walk((v as Record<string, unknown>)[k], p, visit);
      p.pop();
    }
  }
}

/** A long token with no spaces and high character entropy: a key, not a name or a reference. */
function looksRandom(s: string): boolean {
  if (s.length < 16 || /\s/.test(s) || /^(arn:|https?:\/\/|\{\{resolve:|\$\{)/.test(s)) return false;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) entropy -= (n / s.length) * Math.log2(n / s.length);
  return entropy >= 3.5;
}
