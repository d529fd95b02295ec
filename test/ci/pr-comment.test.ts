/**
 * The PR check's comment against a fake GitHub REST API on 127.0.0.1: one comment created,
 * then edited in place on the next push, found across pages, cut to GitHub's limit, and
 * every refusal explained.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPrCheck } from '../../lib/ci/pr-check';
import { COMMENT_MARKER, commentBody, GITHUB_COMMENT_LIMIT, GitHubComments, GitHubError, nextLink, reportBody, type CommentInput } from '../../lib/ci/pr-comment';
import { captureIO, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { startFakeGitHub, type FakeGitHub } from './fake-github';

let gh: FakeGitHub;
let repo: string;
const PR = 7;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString().trim();
let base: string;

beforeEach(async () => {
  gh = await startFakeGitHub();
  repo = tempDir();
  fs.cpSync(MINIMAL, repo, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-m', 'base');
  base = git('rev-parse', 'HEAD');
});
afterEach(async () => {
  await gh.close();
  rmrf(repo);
});

function setProdEnabled(enabled: boolean, rolloutPercent: number): void {
  const file = path.join(repo, 'flags/demo-app.json');
  const f = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { environments: Record<string, unknown> }> };
  f.flags['new-checkout']!.environments['prod-01'] = { enabled, rolloutPercent };
  fs.writeFileSync(file, JSON.stringify(f, null, 2));
}

const env = (extra: Record<string, string> = {}) => ({
  GITHUB_TOKEN: gh.token,
  GITHUB_API_URL: gh.url,
  GITHUB_REPOSITORY: 'example-org/config',
  GITHUB_SHA: 'abc123',
  ...extra,
});

async function check(args: string[] = [], extraEnv: Record<string, string> = {}) {
  const cap = captureIO(repo);
  const code = await runPrCheck(['--base', base, '--pr', String(PR), '--root', repo, ...args], { ...cap.io, env: env(extraEnv) });
  return { code, out: cap.out(), err: cap.err() };
}

const prComments = () => gh.comments.get(PR) ?? [];

describe('one comment per pull request', () => {
  test('the first push creates the comment: marker, the diff with its reach, the commits', async () => {
    setProdEnabled(true, 5);
    const r = await check();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(prComments()).toHaveLength(1);
    const body = prComments()[0]!.body;
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain('| 3. wave `prod-wave-1` | `prod-01` | 2 |');
    expect(body).toContain('**Blast radius:**');
    expect(body).toContain(`commit \`abc123\` against base \`${base}\``);
    expect(gh.requests.filter((q) => q.startsWith('POST'))).toEqual([`POST /repos/example-org/config/issues/${PR}/comments`]);
    expect(r.out).toMatch(/pr-comment: created comment \d+ on pull request #7/);
  });

  test('the next push edits the same comment in place; other comments stay', async () => {
    gh.comments.set(PR, [{ id: 1, body: 'LGTM', user: 'someone' }]);
    setProdEnabled(true, 5);
    expect((await check()).code).toBe(0);
    const id = prComments()[1]!.id;
    setProdEnabled(true, 25);
    const r = await check([], { GITHUB_SHA: 'def456' });
    expect(r.code).toBe(0);
    expect(prComments().map((c) => c.id)).toEqual([1, id]);
    expect(prComments()[0]!.body).toBe('LGTM');
    expect(prComments()[1]!.body).toContain('rolloutPercent added: 25');
    expect(prComments()[1]!.body).not.toContain('rolloutPercent added: 5');
    expect(prComments()[1]!.body).toContain('commit `def456`');
    expect(gh.requests.filter((q) => q.startsWith('PATCH'))).toEqual([`PATCH /repos/example-org/config/issues/comments/${id}`]);
    expect(r.out).toContain(`updated comment ${id}`);
  });

  test('finds its comment on a later page of a long conversation', async () => {
    gh.pageSize = 30;
    const others = Array.from({ length: 75 }, (_, i) => ({ id: i + 1, body: `comment ${i + 1}`, user: 'someone' }));
    // Quoting the marker is not owning the comment: only a body that starts with it is ours.
    others[10]!.body = `as the bot said ${COMMENT_MARKER}`;
    gh.comments.set(PR, [...others, { id: 500, body: `${COMMENT_MARKER}\nold`, user: 'github-actions[bot]' }]);
    setProdEnabled(true, 5);
    expect((await check()).code).toBe(0);
    expect(gh.requests.filter((q) => q.startsWith('GET'))).toEqual([
      `GET /repos/example-org/config/issues/${PR}/comments?per_page=100`,
      `GET /repos/example-org/config/issues/${PR}/comments?per_page=30&page=2`,
      `GET /repos/example-org/config/issues/${PR}/comments?per_page=30&page=3`,
    ]);
    expect(prComments()).toHaveLength(76);
    expect(prComments()[75]!.body).toContain('rolloutPercent added: 5');
    expect(prComments()[10]!.body).toBe(`as the bot said ${COMMENT_MARKER}`);
  });

  test('a failing validate is the comment, and fails the check', async () => {
    fs.writeFileSync(path.join(repo, 'config/ops/demo-app/prod-01.json'), '{"logLevel": "LOUD", "timeoutMs": 2000}');
    const r = await check();
    expect(r.code).toBe(1);
    const body = prComments()[0]!.body;
    expect(body).toContain('### dynconf: validation failed');
    expect(body).toContain('config/ops/demo-app/prod-01.json:1:14 error');
    expect(r.err).toContain('pr-comment: dynconf validate failed (exit 1)');
  });

  test('--no-comment (a fork) calls no GitHub API and writes the whole report', async () => {
    setProdEnabled(true, 5);
    const report = path.join(repo, 'report.md');
    const r = await check(['--no-comment', '--report', report], { GITHUB_TOKEN: '' });
    expect(r.code).toBe(0);
    expect(gh.requests).toEqual([]);
    expect(fs.readFileSync(report, 'utf8')).toContain('| 3. wave `prod-wave-1` | `prod-01` |');
  });
});

describe('GitHub refusing', () => {
  const target = () => new GitHubComments({ apiUrl: gh.url, repository: 'example-org/config', pullNumber: PR, token: gh.token });
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(GitHubError);
    return e as GitHubError;
  };
  const body = `${COMMENT_MARKER}\nhello`;

  test('403: names the permission, and why forks get none', async () => {
    gh.failures.set('POST', { status: 403, body: { message: 'Resource not accessible by integration' } });
    const e = await refusal(target().upsert(body));
    expect(e.status).toBe(403);
    expect(e.message).toContain('GitHub refused to comment on pull request #7 in example-org/config (403 Resource not accessible by integration)');
    expect(e.message).toContain('permissions: pull-requests: write');
    expect(e.message).toContain('fork');
  });

  test('403 with the rate limit spent says so, with the reset time', async () => {
    gh.failures.set('GET', { status: 403, body: { message: 'API rate limit exceeded' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' } });
    expect((await refusal(target().upsert(body))).message).toContain('API rate limit reached; it resets at 2026-01-01T00:00:00.000Z');
  });

  test('404: the repository or pull request, and what to check', async () => {
    const e = await refusal(new GitHubComments({ apiUrl: gh.url, repository: 'example-org/nope', pullNumber: PR, token: gh.token }).upsert(body));
    expect(e.status).toBe(404);
    expect(e.message).toContain('repository example-org/nope or pull request #7 does not exist, or the token cannot see it');
  });

  test('422: what GitHub said is invalid', async () => {
    gh.failures.set('PATCH', { status: 422, body: { message: 'Validation Failed', errors: [{ message: 'body is too long (maximum is 65536 characters)' }] } });
    gh.comments.set(PR, [{ id: 9, body: `${COMMENT_MARKER}\nold`, user: 'bot' }]);
    const e = await refusal(target().upsert(body));
    expect(e.status).toBe(422);
    expect(e.message).toContain('GitHub refused to edit comment 9 in example-org/config (422 Validation Failed: body is too long (maximum is 65536 characters))');
  });

  test('401 and an unreachable API', async () => {
    expect((await refusal(new GitHubComments({ apiUrl: gh.url, repository: 'example-org/config', pullNumber: PR, token: 'wrong' }).upsert(body))).message).toContain(
      '(401 Bad credentials): the token is missing, expired or wrong',
    );
    const closed = gh.url;
    await gh.close();
    gh = await startFakeGitHub();
    const e = await refusal(new GitHubComments({ apiUrl: closed, repository: 'example-org/config', pullNumber: PR, token: 'x' }).upsert(body));
    expect(e.message).toMatch(/could not reach GitHub at http:\/\/127\.0\.0\.1:\d+ to list the comments of pull request #7: ECONNREFUSED; check GITHUB_API_URL/);
  });

  test('the check exits 1 with the reason when GitHub refuses, and 2 on a usage error', async () => {
    gh.failures.set('POST', { status: 403, body: { message: 'Resource not accessible by integration' } });
    setProdEnabled(true, 5);
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.err).toContain('pr-comment: GitHub refused to comment on pull request #7');
    const cap = captureIO(repo);
    expect(await runPrCheck(['--base', base, '--pr', 'seven'], { ...cap.io, env: env() })).toBe(2);
    expect(cap.err()).toContain("--pr must be a pull request number (got 'seven')");
  });
});

describe("GitHub's 65,536-character limit", () => {
  const input = (diff: string): CommentInput => ({
    validate: { exitCode: 0, output: '' },
    diff: { exitCode: 0, output: diff },
    base: 'b4se',
    commit: 'c0mmit',
    fullReportUrl: 'https://github.example/example-org/config/actions/runs/42',
  });
  const huge = () => {
    const lines = ['### dynconf: what this change does', ''];
    for (let env = 0; env < 40; env++) {
      lines.push(`<details><summary><b>env-${env}</b></summary>`, '');
      for (let i = 0; i < 200; i++) lines.push(`- \`app\` **flag-${i}**: enabled false -> true`);
      lines.push('', '</details>', '');
    }
    return lines.join('\n');
  };

  test('a report that fits is posted whole', () => {
    expect(commentBody(input('small'))).toBe(reportBody(input('small')));
  });

  test('a longer one is cut on a line, its open <details> closed, with a note saying where all of it is; GitHub accepts it', async () => {
    const full = reportBody(input(huge()));
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const body = commentBody(input(huge()));
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    expect(body).toMatch(/\*\*Cut to fit GitHub's comment limit:\*\* this comment shows [\d,]+ of [\d,]+ characters; the whole report is in the summary of \[this workflow run\]\(https:\/\/github\.example\/example-org\/config\/actions\/runs\/42\)\.\n$/);
    const result = await new GitHubComments({ apiUrl: gh.url, repository: 'example-org/config', pullNumber: PR, token: gh.token }).upsert(body);
    expect(result.action).toBe('created');
    // The fake refuses what GitHub refuses: the whole report would not have gone through.
    gh.failures.clear();
    await expect(new GitHubComments({ apiUrl: gh.url, repository: 'example-org/config', pullNumber: 8, token: gh.token }).create(full)).rejects.toThrow('body is too long');
  });

  test('a cut inside a code fence closes it; without a run URL the note says which command shows it all', () => {
    const output = Array.from({ length: 5000 }, (_, i) => `flags/app.json:${i}:1 error something is wrong here`).join('\n');
    const body = commentBody({ validate: { exitCode: 1, output }, base: 'b4se', commit: 'c0mmit' });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const fences = body.match(/^```$/gm) ?? [];
    expect(fences.length % 2).toBe(0);
    expect(body).toContain('run `npx dynconf diff --base b4se` for all of it');
  });
});

test('nextLink reads rel="next" wherever it is in the Link header', () => {
  expect(nextLink('<https://x/a?page=2>; rel="next", <https://x/a?page=5>; rel="last"')).toBe('https://x/a?page=2');
  expect(nextLink('<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next"')).toBe('https://x/a?page=3');
  expect(nextLink('<https://x/a?page=1>; rel="first"')).toBeUndefined();
  expect(nextLink(null)).toBeUndefined();
});

test('nextLink reads rel unquoted, among several relation types and other parameters, and nothing else', () => {
  expect(nextLink('<https://x/a?page=2>; rel=next')).toBe('https://x/a?page=2');
  expect(nextLink('<https://x/a?page=2>; title="t"; rel="prev next"; type="text/html"')).toBe('https://x/a?page=2');
  expect(nextLink('<https://x/a?page=2> ; rel="next"')).toBe('https://x/a?page=2');
  expect(nextLink('<https://x/a?page=2>; rel="nextpage"')).toBeUndefined();
  expect(nextLink('<https://x/a?page=2>; title="next"')).toBeUndefined();
  expect(nextLink('<>; rel="next"')).toBeUndefined();
  expect(nextLink('https://x/a?page=2; rel="next"')).toBeUndefined();
});

test('bin/pr-comment.ts runs as the workflow calls it', () => {
  setProdEnabled(true, 5);
  const report = path.join(repo, 'report.md');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bin/pr-comment.ts'), '--base', base, '--no-comment', '--report', report, '--root', repo], {
    // The workflow runs it from the checkout, where node_modules is.
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, GITHUB_SHA: 'abc123' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(fs.readFileSync(report, 'utf8')).toContain(COMMENT_MARKER);
});
