/**
 * Configuration is deployed in clear, read by every pod, and (for browser flags) sent to
 * browsers: a secret has no business in it. Every string value of every file is scanned,
 * together with the forms it decodes to (JSON inside a string, percent-encoding), by two
 * sets of checks:
 *
 * - secretlint's recommended rule set (@secretlint/secretlint-rule-preset-recommend), the
 *   maintained list of provider token formats. Its rules are plain synchronous functions
 *   (`create(context).file(source)`); they run here with a minimal context instead of
 *   through `lintSource`, which is async only because it awaits an event emitter, so that
 *   validation stays synchronous.
 * - The shapes the preset misses: `key=value` and `key: value` pairs whose key names a
 *   secret, credentials in URLs, PEM private keys, JWTs, Basic/Bearer authorization values,
 *   and provider formats the preset does not have (AWS access key IDs, GitLab, Stripe,
 *   Google, Twilio, SendGrid, Azure storage keys).
 *
 * Placeholders that documentation uses (AWS's `...EXAMPLE...` keys, `${VAR}`, `{{...}}`,
 * `<...>`) are not findings. Messages never repeat the secret: CI logs are not private.
 */
import type { Diagnostics } from './diagnostics';
import { requireEsModule } from './module-loading';
import { walkStrings, type JsonFile } from './source';

interface Finding {
  /** What was found, e.g. "an AWS secret access key"; never the secret itself. */
  readonly what: string;
  /** The matched text (for the placeholder test); never printed. */
  readonly text: string;
  /** The whole message, when "value looks like <what>" does not read well. */
  readonly message?: string;
}

// ---------------------------------------------------------------------------------------
// secretlint's preset, run synchronously.

/** The parts of secretlint's rule API (@secretlint/types) that are used here. */
interface SecretlintRule {
  readonly meta: { readonly id: string; readonly type: string };
  readonly messages?: Record<string, unknown>;
  create(context: SecretlintContext, options: Record<string, unknown>): { file?(source: SecretlintSource): unknown };
}
interface SecretlintSource {
  readonly content: string;
  readonly filePath: string;
  readonly ext: string;
  readonly contentType: 'text';
}
interface SecretlintContext {
  readonly sharedOptions: Record<string, unknown>;
  createTranslator(messages: Record<string, unknown>): (id: string, props?: unknown) => { message: string; messageId: string; data: unknown };
  report(descriptor: { message: { messageId: string }; range: readonly [number, number] }): void;
  ignore(descriptor: unknown): void;
}

const PRESET = '@secretlint/secretlint-rule-preset-recommend';

/**
 * Rules that do not scan values: comment directives (`secretlint-disable`) would let a value
 * switch the scan off, and the p12 branch of the GCP rule is async and reads files.
 */
const SKIPPED_RULES = new Set(['@secretlint/secretlint-rule-filter-comments']);

/** Names for the preset's rules, so a message says what was found without quoting it. */
const RULE_NAMES: Readonly<Record<string, string>> = {
  '1password': 'a 1Password service account token',
  anthropic: 'an Anthropic API key',
  aws: 'an AWS secret access key',
  basicauth: 'a password in a URL',
  'database-connection-string': 'a database connection string with a password',
  databricks: 'a Databricks token',
  docker: 'a Docker registry password',
  figma: 'a Figma token',
  gcp: 'a GCP service account key',
  github: 'a GitHub token',
  gitlab: 'a GitLab token',
  grafana: 'a Grafana token',
  groq: 'a Groq API key',
  'hashicorp-vault': 'a HashiCorp Vault token',
  huggingface: 'a Hugging Face token',
  linear: 'a Linear API key',
  notion: 'a Notion token',
  npm: 'an npm token',
  openai: 'an OpenAI API key',
  privatekey: 'a private key',
  sendgrid: 'a SendGrid API key',
  shopify: 'a Shopify token',
  slack: 'a Slack token',
  vercel: 'a Vercel token',
};

type PresetHandler = (source: SecretlintSource) => unknown;

/** Where the rules' reports go during one runPreset call. */
let sink: { start: number; end: number; what: string }[] = [];
let presetHandlers: readonly PresetHandler[] | undefined;

/**
 * The preset's rules, created once: a rule's `create` only reads options and builds a
 * translator, and its `file` handler is a pure function of the source.
 */
function loadPreset(): readonly PresetHandler[] {
  if (presetHandlers) return presetHandlers;
  // The preset is an ES module and lib/ is CommonJS: see ./module-loading.
  let mod: { rules?: unknown };
  try {
    mod = requireEsModule(PRESET);
  } catch (e) {
    throw new Error(`the secret scanner cannot load ${PRESET} (${(e as Error).message}); dynconf needs Node.js >= 20.19, which require()s ES modules`, { cause: e });
  }
  if (!Array.isArray(mod.rules)) throw new Error(`${PRESET} has no 'rules' list; its API changed`);
  const handlers: PresetHandler[] = [];
  for (const rule of mod.rules as SecretlintRule[]) {
    if (rule.meta.type !== 'scanner' || SKIPPED_RULES.has(rule.meta.id)) continue;
    const short = rule.meta.id.replace(/^@secretlint\/secretlint-rule-/, '');
    const what = RULE_NAMES[short] ?? `a secret (secretlint rule ${short})`;
    const context: SecretlintContext = {
      sharedOptions: {},
      createTranslator: () => (messageId) => ({ message: messageId, messageId, data: undefined }),
      report: ({ range }) => sink.push({ start: range[0], end: range[1], what }),
      ignore: () => undefined,
    };
    const file = rule.create(context, {}).file;
    if (!file) continue;
    handlers.push((source) => {
      const result = file(source);
      // Only the GCP rule's .p12 branch is async, and no source here is a .p12; a promise
      // would be a finding lost, so it is an error instead.
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        throw new Error(`secretlint rule ${rule.meta.id} ran asynchronously; the secret scanner needs synchronous rules`);
      }
    });
  }
  presetHandlers = handlers;
  return handlers;
}

type PresetHit = { readonly start: number; readonly end: number; readonly what: string };

/**
 * What the preset found in a content, by content: the rules are pure functions of the
 * source (see loadPreset), and files repeat one another's strings. A workspace's override
 * files mostly hold only `"$schema": "./schema.json"`, and calling 25 rules costs about
 * 0.1 ms whatever the size of the text: a thousand override files paid 100 ms for one answer.
 * Bounded: contents longer than PRESET_CACHE_MAX_LENGTH are not kept, and the map is
 * emptied when it reaches PRESET_CACHE_ENTRIES.
 */
const presetCache = new Map<string, readonly PresetHit[]>();
const PRESET_CACHE_ENTRIES = 1000;
const PRESET_CACHE_MAX_LENGTH = 4096;

/** Run every preset rule over `content`; where each finding starts and ends, and what it is. */
function runPreset(content: string, ext: string): PresetHit[] {
  if (content.length > PRESET_CACHE_MAX_LENGTH) return runPresetRules(content, ext);
  const key = `${ext}\n${content}`;
  let hits = presetCache.get(key);
  if (!hits) {
    hits = runPresetRules(content, ext);
    if (presetCache.size >= PRESET_CACHE_ENTRIES) presetCache.clear();
    presetCache.set(key, hits);
  }
  return [...hits];
}

function runPresetRules(content: string, ext: string): PresetHit[] {
  const found: PresetHit[] = [];
  const source: SecretlintSource = { content, filePath: `value${ext}`, ext, contentType: 'text' };
  sink = found;
  try {
    for (const handler of loadPreset()) handler(source);
  } finally {
    sink = [];
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// The project's own checks. Every pattern is linear-time (recheck confirms it in the tests):
// values come from files anyone can edit, and a slow pattern would stall validation. Runs
// are anchored with a lookbehind, not \b, where a run could restart inside itself.

interface SecretPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

const TOKEN_PATTERNS: readonly SecretPattern[] = [
  { name: 'an AWS access key ID', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  // eslint-disable-next-line security/detect-unsafe-regex -- recheck proves it linear (test/model/secrets.test.ts checks every pattern)
  { name: 'a private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40})/ },
  { name: 'a GitLab token', pattern: /\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20}/ },
  { name: 'a Slack token', pattern: /\bxox[abposre]-[A-Za-z0-9-]{10}/ },
  { name: 'a Slack webhook URL', pattern: /hooks\.slack\.com\/(?:services|workflows)\/T[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]{8}/ },
  { name: 'a Stripe secret key', pattern: /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16}/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/ },
  { name: 'a Google OAuth client secret', pattern: /\bGOCSPX-[A-Za-z0-9_-]{28}/ },
  { name: 'an npm token', pattern: /\bnpm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/ },
  { name: 'an OpenAI API key', pattern: /\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}/ },
  { name: 'a Twilio API key', pattern: /\bSK[0-9a-f]{32}(?![0-9a-f])/ },
  { name: 'a SendGrid API key', pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/ },
  { name: 'an Azure storage account key', pattern: /AccountKey=[A-Za-z0-9+/]{86}==/ },
  { name: 'an Azure shared access signature', pattern: /[?&]sig=[A-Za-z0-9%+/]{20}/ },
  { name: 'a JSON Web Token', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8}/ },
  { name: 'a password in a URL', pattern: /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:([^\s@/?#]+)@/i },
  { name: 'a Basic authorization header', pattern: /\bBasic [A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])/ },
  { name: 'a Bearer token', pattern: /\bBearer [A-Za-z0-9._~+/-]{20,}=*(?![A-Za-z0-9._~+/=-])/ },
];

/** One pass over a value decides whether the specific patterns need a look at all. */
// eslint-disable-next-line security/detect-non-literal-regexp -- the union of the constant TOKEN_PATTERNS above, each checked with recheck in the tests
const ANY_TOKEN = new RegExp(TOKEN_PATTERNS.map((p) => p.pattern.source).join('|'), 'i');

/** Words that make a key name a secret: `aws_secret_access_key`, `dbPassword`, `client-secret`. */
const SECRET_WORD = String.raw`(?:secret|passw(?:or)?d|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|session[_-]?token|credentials?|token)`;

/**
 * `key=value`, `key: value`, `"key": "value"` inside a string: group 1 is the key, group 2
 * the value. The key is a run of name characters ending in a secret word, or in one and
 * `key`/`id`/`value` (`aws_secret_key`, `secretKey`); the value runs to the next separator.
 */
// eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant SECRET_WORD, checked with recheck in the tests
const KEY_VALUE = new RegExp(String.raw`(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]*${SECRET_WORD}(?:[_.-]?(?:key|id|value))?)["']?[ \t]*(?:=>|:|=)[ \t]*["']?([^\s"',;&}\]]+)`, 'gi');

/** Field names whose values are secrets when they look random enough. */
// eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant SECRET_WORD, checked with recheck in the tests
const SECRET_FIELD = new RegExp(`${SECRET_WORD}$`, 'i');

/** A value that stands for a secret rather than being one. */
const PLACEHOLDER = /EXAMPLE|^\$\{.*\}$|^\{\{.*\}\}$|^<.*>$|^%s$|^\*+$|^x+$|^(?:arn:|\{\{resolve:|secretsmanager:|ssm:)/i;

// Strings shorter than SCANNED_STRING_MIN_LENGTH (8) hold none of the shapes above (the
// shortest is `pwd=abc123`): JsonFile.stringValues, which the scan reads, leaves them out.
/** JSON inside JSON inside a string is followed this deep; deeper is reported as is. */
const MAX_DECODE_DEPTH = 3;

export function scanForSecrets(json: JsonFile, diags: Diagnostics): void {
  // Every string value of at least SCANNED_STRING_MIN_LENGTH characters, in document order, with the key
  // holding it; collected by the parse, so no walk here. Paths are found only for findings.
  const { values, fields } = json.stringValues();

  const reported = new Set<number>();
  const report = (i: number, finding: Finding): void => {
    if (reported.has(i)) return;
    reported.add(i);
    const path = json.stringValuePath(i);
    diags.error(json.locate(path), 'policy/secret', finding.message ?? `value looks like ${finding.what}`, {
      field: path.join('.'),
      fix: 'keep secrets in AWS Secrets Manager and put only its name or ARN here; rotate this one, it is in git history now',
    });
  };

  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    // An array item's "field" is its index, and no index ends in a secret word.
    const field = fields[i];
    const finding = scanText(value, 0) ?? (field !== undefined && SECRET_FIELD.test(field) && looksRandom(value) ? { what: 'a secret', text: value, message: `'${field}' holds what looks like a secret` } : undefined);
    if (finding) report(i, finding);
  }

  // The preset runs once over all remaining values of the file, one per line, rather than
  // once per value: 25 rules x every string would be most of validation's time.
  const pending: number[] = [];
  for (let i = 0; i < values.length; i++) if (!reported.has(i)) pending.push(i);
  if (pending.length === 0) return;
  const starts: number[] = [];
  let content = '';
  for (const i of pending) {
    starts.push(content.length);
    // A line break that no value contains keeps one value's key from pairing with the next value.
    content += values[i]!.replace(/[\r\n]/g, ' ') + '\n\n';
  }
  for (const hit of runPreset(content, '')) {
    const k = upperBound(starts, hit.start) - 1;
    if (k < 0) continue;
    const i = pending[k]!;
    const matched = content.slice(hit.start, Math.max(hit.end, hit.start + 1));
    if (PLACEHOLDER.test(matched) || /EXAMPLE/.test(values[i]!.slice(hit.start - starts[k]!, hit.end - starts[k]! + 40))) continue;
    report(i, { what: hit.what, text: matched });
  }
}

/**
 * The project's checks over one text and the texts it decodes to. The preset also runs
 * over decoded texts here (they are rare), with `.json` for JSON so that its GCP rule
 * recognises a service account key file pasted into a value.
 */
function scanText(text: string, depth: number): Finding | undefined {
  const own = ownChecks(text);
  if (own) return own;
  if (depth >= MAX_DECODE_DEPTH) return undefined;

  const trimmed = text.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    let inner: unknown;
    try {
      inner = JSON.parse(trimmed);
    } catch {
      inner = undefined;
    }
    if (inner !== undefined && typeof inner === 'object') {
      let found: Finding | undefined;
      walkStrings(inner, (value, p) => {
        if (found) return;
        const field = p.length ? String(p[p.length - 1]) : '';
        found = scanText(value, depth + 1) ?? (SECRET_FIELD.test(field) && looksRandom(value) ? { what: `a secret in '${field}' of JSON inside the value`, text: value } : undefined);
      });
      if (found) return { what: `${found.what} (in JSON inside the value)`, text: found.text };
      const preset = runPreset(trimmed, '.json').find((h) => !/EXAMPLE/.test(trimmed.slice(h.start, h.end + 40)));
      if (preset) return { what: `${preset.what} (in JSON inside the value)`, text: trimmed };
    }
  }

  if (/%[0-9A-Fa-f]{2}/.test(text)) {
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      decoded = undefined;
    }
    if (decoded !== undefined && decoded !== text) {
      const found = scanText(decoded, depth + 1);
      if (found) return { what: `${found.what} (percent-encoded)`, text: found.text };
      const preset = runPreset(decoded, '').find((h) => !/EXAMPLE/.test(decoded.slice(h.start, h.end + 40)));
      if (preset) return { what: `${preset.what} (percent-encoded)`, text: decoded };
    }
  }
  return undefined;
}

function ownChecks(text: string): Finding | undefined {
  if (ANY_TOKEN.test(text)) {
    for (const { name, pattern } of TOKEN_PATTERNS) {
      const m = pattern.exec(text);
      if (!m) continue;
      // For URL credentials the placeholder test is on the password; for tokens, on the token.
      const token = m[1] ?? m[0];
      if (PLACEHOLDER.test(token) || /EXAMPLE/.test(m[0]) || isReference(token)) continue;
      return { what: name, text: m[0] };
    }
  }
  // KEY_VALUE needs a ':' or a '=' between the key and the value: without one it cannot match.
  if (!text.includes(':') && !text.includes('=')) return undefined;
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(text); m; m = KEY_VALUE.exec(text)) {
    const value = m[2]!;
    if (isSecretValue(value)) return { what: `a secret in a '${m[1]}' pair`, text: m[0] };
  }
  return undefined;
}

/** `${DB_PASSWORD}`, `$DB_PASSWORD`, `{{resolve:...}}`, `%(password)s`: names, not values. */
function isReference(value: string): boolean {
  return /^(?:\$\{|\$[A-Z_]|\{\{|%\(|<)/.test(value);
}

/**
 * A value of a secret-named pair is a secret unless it is a placeholder or a plain word:
 * `password: hunter2` is one, `token: rotated` (prose) and `password=${DB_PASSWORD}` are not.
 */
function isSecretValue(value: string): boolean {
  if (value.length < 6 || PLACEHOLDER.test(value) || isReference(value)) return false;
  if (/^(?:true|false|null|none|required|optional|string|number|boolean)$/i.test(value)) return false;
  const letters = /[A-Za-z]/.test(value);
  const digits = /[0-9]/.test(value);
  const symbols = /[^A-Za-z0-9]/.test(value);
  return (letters && digits) || (symbols && (letters || digits)) || looksRandom(value);
}

/** The number of items of the sorted `list` that are <= `x`. */
function upperBound(list: readonly number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

/** For the tests: the project's own patterns, to be checked for linear time. */
export const SECRET_PATTERNS_FOR_TESTS: readonly RegExp[] = [...TOKEN_PATTERNS.map((p) => p.pattern), KEY_VALUE];
