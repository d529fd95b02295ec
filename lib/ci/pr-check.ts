/**
 * The GitHub Actions PR check after `npm ci`: validate, diff against the pull request's
 * base (markdown, with the change's reach and blast radius), write the whole report for the
 * run's summary, and put it on the pull request as the one comment this check owns.
 *
 * It runs `dynconf validate` and `dynconf diff` in-process through the CLI's own dispatcher,
 * so the comment says exactly what a developer sees running them; a failing validate is
 * reported in the comment (and fails the check) rather than leaving the previous push's
 * diff standing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../cli/main';
import type { CommandIO } from '../cli/command';
import { commentBody, GitHubComments, GitHubError, reportBody, type CheckResult, type CommentInput } from './pr-comment';

export const PR_CHECK_USAGE = `usage: node --import tsx bin/pr-comment.ts --base <sha> --pr <number> [--commit <sha>] [--report <file>] [--no-comment] [--root <dir>]

Runs dynconf validate and dynconf diff --base <sha> --format markdown, writes the whole
report to --report (for the run's summary), and creates or edits the pull request's one
dynconf comment (found by its hidden marker). --no-comment skips GitHub (a fork's token
cannot comment).
Environment: GITHUB_TOKEN; GITHUB_REPOSITORY (owner/name); GITHUB_API_URL (default
https://api.github.com); GITHUB_SHA for --commit; GITHUB_SERVER_URL and GITHUB_RUN_ID to
link the run when the comment is cut to GitHub's 65,536 characters.
Exit 0 when validate and diff pass and the comment is posted; 1 when either fails (the
comment says why) or GitHub refuses; 2 on a usage error.`;

class Usage extends Error {}

/** Run one dynconf verb in-process and keep what it printed. */
async function dynconf(args: string[], io: CommandIO): Promise<CheckResult> {
  let out = '';
  const sink = { write: (chunk: string | Uint8Array) => ((out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true) } as unknown as NodeJS.WritableStream;
  const exitCode = await main(args, { ...io, stdout: sink, stderr: sink });
  return { exitCode, output: out };
}

export async function runPrCheck(argv: readonly string[], io: CommandIO, fetchImpl: typeof fetch = fetch): Promise<number> {
  let opts: { base: string; pr?: number; commit: string; report?: string; comment: boolean; root: string };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { base: { type: 'string' }, pr: { type: 'string' }, commit: { type: 'string' }, report: { type: 'string' }, 'no-comment': { type: 'boolean' }, root: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(`${PR_CHECK_USAGE}\n`);
      return 0;
    }
    if (!values.base) throw new Usage('--base is required');
    const commit = values.commit ?? io.env.GITHUB_SHA;
    if (!commit) throw new Usage('--commit is required outside GitHub Actions (GITHUB_SHA is not set)');
    const comment = !values['no-comment'];
    let pr: number | undefined;
    if (comment) {
      if (!values.pr) throw new Usage('--pr is required unless --no-comment');
      pr = Number(values.pr);
      if (!Number.isInteger(pr) || pr < 1) throw new Usage(`--pr must be a pull request number (got '${values.pr}')`);
    }
    opts = { base: values.base, pr, commit, report: values.report, comment, root: path.resolve(io.cwd, values.root ?? '.') };
  } catch (e) {
    if (e instanceof Usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`pr-comment: ${(e as Error).message}\n\n${PR_CHECK_USAGE}\n`);
      return 2;
    }
    throw e;
  }

  const validate = await dynconf(['validate', '--root', opts.root], io);
  const diff = validate.exitCode === 0 ? await dynconf(['diff', '--base', opts.base, '--format', 'markdown', '--root', opts.root], io) : undefined;
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = io.env;
  const input: CommentInput = {
    validate,
    diff,
    base: opts.base,
    commit: opts.commit,
    fullReportUrl: server && repository && run ? `${server}/${repository}/actions/runs/${run}` : undefined,
  };
  const passed = validate.exitCode === 0 && diff?.exitCode === 0;
  io.stdout.write(passed ? diff!.output : (diff ?? validate).output);
  if (opts.report) fs.writeFileSync(opts.report, reportBody(input));

  if (opts.comment) {
    try {
      if (!repository) throw new GitHubError('GITHUB_REPOSITORY is not set: export it as owner/name', 0);
      const client = new GitHubComments({ apiUrl: io.env.GITHUB_API_URL || 'https://api.github.com', repository, pullNumber: opts.pr!, token: io.env.GITHUB_TOKEN ?? '' }, fetchImpl);
      const result = await client.upsert(commentBody(input));
      io.stdout.write(`pr-comment: ${result.action} comment ${result.id} on pull request #${opts.pr}: ${result.url}\n`);
    } catch (e) {
      io.stderr.write(`pr-comment: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (!passed) {
    io.stderr.write(`pr-comment: dynconf ${validate.exitCode !== 0 ? 'validate' : 'diff'} failed (exit ${(diff ?? validate).exitCode}); see the output above${opts.comment ? ' and the pull request comment' : ''}\n`);
    return 1;
  }
  return 0;
}
