#!/usr/bin/env -S node --import tsx
/**
 * The GitHub Actions PR check's entry (.github/workflows/pr-check.yml): validate, diff, and
 * the pull request's one dynconf comment. CI plumbing, not a `dynconf` verb: it reads the
 * runner's GITHUB_* environment and talks to GitHub, which nothing a developer runs does.
 */
import { runPrCheck } from '../lib/ci/pr-check';

const controller = new AbortController();
runPrCheck(process.argv.slice(2), { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pr-comment: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
