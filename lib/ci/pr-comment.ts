/**
 * The pull-request comment of the GitHub Actions check (.github/workflows/pr-check.yml):
 * one comment per pull request, found again by a hidden marker and edited in place on every
 * push, so the conversation holds one current answer instead of one per push.
 *
 * Pure parts (the body, the marker, truncation to GitHub's limit) and a small client for the
 * three REST calls it needs (list the PR's comments, create one, edit one), on Node's fetch.
 */

/** Starts the body of the comment this check owns; HTML comments do not render. */
export const COMMENT_MARKER = '<!-- dynconf:pr-check -->';

/**
 * GitHub refuses an issue or pull-request comment body longer than 65,536 characters
 * (422 "body is too long (maximum is 65536 characters)"). Bodies are measured here in
 * UTF-16 code units, never fewer than characters, so a body within it is within GitHub's.
 */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface CheckResult {
  /** Exit code of the command. */
  readonly exitCode: number;
  /** What it printed. */
  readonly output: string;
}

export interface CommentInput {
  /** `dynconf validate`. */
  readonly validate: CheckResult;
  /** `dynconf diff --format markdown`; absent when validate failed and the diff did not run. */
  readonly diff?: CheckResult;
  /** The commit the diff is taken against, as given to --base. */
  readonly base: string;
  /** The commit checked (the merge commit GitHub builds for the pull request). */
  readonly commit: string;
  /** Where the whole report is when the comment is cut (the workflow run's summary). */
  readonly fullReportUrl?: string;
}

const fence = (text: string) => {
  // A fence longer than any run of backticks inside, so the output cannot close it.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text.trimEnd()}\n${ticks}`;
};

/** The whole report, before any cut: marker, the diff or what failed, and which commits. */
export function reportBody(input: CommentInput): string {
  const out = [COMMENT_MARKER];
  if (input.validate.exitCode !== 0) {
    out.push('### dynconf: validation failed', '', `\`dynconf validate\` exited ${input.validate.exitCode}; fix these and push again:`, '', fence(input.validate.output), '');
  } else if (!input.diff) {
    throw new Error('reportBody: validate passed but no diff was given');
  } else if (input.diff.exitCode !== 0) {
    out.push('### dynconf: the diff failed', '', `\`dynconf diff --base ${input.base}\` exited ${input.diff.exitCode}:`, '', fence(input.diff.output), '');
  } else {
    out.push(input.diff.output.trimEnd(), '');
  }
  out.push(`<sub>dynconf PR check: commit \`${input.commit}\` against base \`${input.base}\`; updated on every push.</sub>`, '');
  return out.join('\n');
}

/**
 * The body within `limit`: the report as it is when it fits; otherwise its first lines, with
 * any <details> or code fence they leave open closed, and a note saying how much is shown
 * and where the whole report is.
 */
export function commentBody(input: CommentInput, limit = GITHUB_COMMENT_LIMIT): string {
  const full = reportBody(input);
  if (full.length <= limit) return full;
  const where = input.fullReportUrl ? `the whole report is in the summary of [this workflow run](${input.fullReportUrl})` : `run \`npx dynconf diff --base ${input.base}\` for all of it`;
  const note = (shown: number) =>
    `\n\n---\n**Cut to fit GitHub's comment limit:** this comment shows ${shown.toLocaleString('en-US')} of ${full.length.toLocaleString('en-US')} characters; ${where}.\n`;
  // Room for the note and the closing tags this may need.
  const budget = limit - note(full.length).length - 200;
  if (budget <= COMMENT_MARKER.length) throw new RangeError(`comment limit ${limit} leaves no room for the report`);
  let head = full.slice(0, budget);
  const lastNewline = head.lastIndexOf('\n');
  if (lastNewline > COMMENT_MARKER.length) head = head.slice(0, lastNewline);
  // Never end between the two halves of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const closing: string[] = [];
  const openFence = [...head.matchAll(/^(`{3,})[^`\n]*$/gm)].reduce<string | undefined>((open, m) => (open === undefined ? m[1] : m[1]!.length >= open.length ? undefined : open), undefined);
  if (openFence) closing.push(openFence);
  const opened = (head.match(/<details>/g) ?? []).length - (head.match(/<\/details>/g) ?? []).length;
  for (let i = 0; i < opened; i++) closing.push('', '</details>');
  const body = `${head}${closing.length ? `\n${closing.join('\n')}` : ''}${note(head.length)}`;
  if (body.length > limit) throw new RangeError(`cut comment is ${body.length} characters, over ${limit}`);
  return body;
}

// ---- GitHub REST ----

export interface GitHubTarget {
  /** e.g. https://api.github.com, or https://ghe.example.com/api/v3 (Actions sets GITHUB_API_URL). */
  readonly apiUrl: string;
  /** owner/name. */
  readonly repository: string;
  readonly pullNumber: number;
  readonly token: string;
}

/** A call GitHub answered with an error, explained for the person reading the job log. */
export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface IssueComment {
  readonly id: number;
  readonly body?: string | null;
  readonly html_url: string;
}

/** Pages of 100 comments; a PR with more than this many pages is refused rather than read forever. */
const MAX_PAGES = 100;

export class GitHubComments {
  constructor(
    private readonly target: GitHubTarget,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(target.repository)) throw new Error(`repository '${target.repository}' is not owner/name`);
    if (!Number.isInteger(target.pullNumber) || target.pullNumber < 1) throw new Error(`pull request number '${target.pullNumber}' is not a positive whole number`);
    if (!target.token) throw new Error('no GitHub token: set GITHUB_TOKEN (in Actions: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})');
  }

  private url(path: string): string {
    return `${this.target.apiUrl.replace(/\/+$/, '')}/repos/${this.target.repository}${path}`;
  }

  private async call(method: string, url: string, what: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${this.target.token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'dynconf-pr-check',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new GitHubError(`could not reach GitHub at ${this.target.apiUrl} to ${what}: ${cause?.code ?? cause?.message ?? (e as Error).message}; check GITHUB_API_URL`, 0);
    }
    if (res.ok) return res;
    throw new GitHubError(await explain(res, what, this.target), res.status);
  }

  /** The first comment on the pull request whose body starts with the marker, reading every page. */
  async findMarked(marker = COMMENT_MARKER): Promise<IssueComment | undefined> {
    let url: string | undefined = this.url(`/issues/${this.target.pullNumber}/comments?per_page=100`);
    for (let page = 1; url; page++) {
      if (page > MAX_PAGES) throw new GitHubError(`pull request #${this.target.pullNumber} has more than ${MAX_PAGES * 100} comments; not reading further`, 0);
      const res = await this.call('GET', url, `list the comments of pull request #${this.target.pullNumber}`);
      const comments = (await res.json()) as IssueComment[];
      if (!Array.isArray(comments)) throw new GitHubError(`listing comments returned ${typeof comments}, not a list`, res.status);
      const found = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
      if (found) return found;
      url = nextLink(res.headers.get('link'));
    }
    return undefined;
  }

  async create(body: string): Promise<IssueComment> {
    const res = await this.call('POST', this.url(`/issues/${this.target.pullNumber}/comments`), `comment on pull request #${this.target.pullNumber}`, { body });
    return (await res.json()) as IssueComment;
  }

  async update(id: number, body: string): Promise<IssueComment> {
    const res = await this.call('PATCH', this.url(`/issues/comments/${id}`), `edit comment ${id}`, { body });
    return (await res.json()) as IssueComment;
  }

  /** Edit the marked comment in place, or create it when the pull request has none yet. */
  async upsert(body: string): Promise<{ action: 'created' | 'updated'; id: number; url: string }> {
    if (!body.startsWith(COMMENT_MARKER)) throw new Error('the comment body must start with COMMENT_MARKER, or the next push could not find it');
    const existing = await this.findMarked();
    const c = existing ? await this.update(existing.id, body) : await this.create(body);
    return { action: existing ? 'updated' : 'created', id: c.id, url: c.html_url };
  }
}

/**
 * The `rel="next"` URL of a Link header (RFC 8288), which is how GitHub paginates. Read with
 * indexOf and split, not one regex: the header comes from the network, and the regexes this
 * replaced backtracked polynomially on a crafted one (recheck; eslint security/detect-unsafe-regex).
 */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const open = part.indexOf('<');
    const close = part.indexOf('>', open + 1);
    if (open < 0 || close <= open + 1) continue;
    const params = part.slice(close + 1).trimStart();
    if (!params.startsWith(';')) continue;
    for (const param of params.slice(1).split(';')) {
      const p = param.trim();
      if (!p.startsWith('rel=')) continue;
      // rel="next", rel=next, or several relation types in one: rel="prev next".
      const types = p.slice('rel='.length).replace(/^"|"$/g, '').split(/\s+/);
      if (types.includes('next')) return part.slice(open + 1, close);
    }
  }
  return undefined;
}

async function explain(res: Response, what: string, t: GitHubTarget): Promise<string> {
  let message = '';
  let details = '';
  try {
    const j = (await res.json()) as { message?: string; errors?: ({ message?: string; field?: string; code?: string } | string)[] };
    message = j.message ?? '';
    details = (j.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? [e.field, e.code].filter(Boolean).join(' ')))).join('; ');
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const said = [message, details].filter(Boolean).join(': ');
  const base = `GitHub refused to ${what} in ${t.repository} (${res.status}${said ? ` ${said}` : ''})`;
  switch (res.status) {
    case 401:
      return `${base}: the token is missing, expired or wrong; pass the job's GITHUB_TOKEN`;
    case 403:
      if (res.headers.get('x-ratelimit-remaining') === '0') {
        const reset = Number(res.headers.get('x-ratelimit-reset'));
        return `${base}: API rate limit reached${Number.isFinite(reset) && reset > 0 ? `; it resets at ${new Date(reset * 1000).toISOString()}` : ''}`;
      }
      return `${base}: the token may not write pull-request comments. Give the job \`permissions: pull-requests: write\`; a pull request from a fork gets a read-only token, which is why the workflow does not comment on those`;
    case 404:
      return `${base}: repository ${t.repository} or pull request #${t.pullNumber} does not exist, or the token cannot see it; check GITHUB_REPOSITORY, the pull request number, and \`permissions: contents: read\``;
    case 422:
      return `${base}: GitHub rejected the request as invalid (a body over ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters, or a locked conversation)`;
    default:
      return base;
  }
}
