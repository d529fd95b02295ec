/**
 * .github/workflows/pr-check.yml parses, asks for no more than it needs, pins its actions,
 * and calls commands and options that exist.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { PR_CHECK_USAGE } from '../../lib/ci/pr-check';
import { COMMANDS } from '../../lib/cli/commands';
import { REPO_ROOT } from '../support/workspace';

const FILE = path.join(REPO_ROOT, '.github/workflows/pr-check.yml');
const text = fs.readFileSync(FILE, 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: { pull_request: { types: string[] } };
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { 'runs-on': string; permissions?: unknown; steps: Step[] }>;
}
const workflow = parse(text) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

test('runs on pull requests, with read on contents and write on pull requests only', () => {
  expect(workflow.on.pull_request.types).toEqual(['opened', 'synchronize', 'reopened']);
  expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  expect(Object.values(workflow.jobs).every((j) => j.permissions === undefined)).toBe(true);
  // Never the trigger that hands a fork's code a write token.
  expect(Object.keys(workflow.on)).toEqual(['pull_request']);
});

test('every action is pinned to a commit, with its tag beside it', () => {
  const uses = text.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l));
  expect(uses.length).toBeGreaterThan(0);
  for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
});

test('checks out the merge commit with its parents, so HEAD^1 (the base) is there, and keeps no credentials', () => {
  const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
  expect(Number(checkout.with!['fetch-depth'])).toBeGreaterThanOrEqual(2);
  expect(checkout.with!['persist-credentials']).toBe(false);
  expect(steps.some((s) => s.run?.includes('git rev-parse HEAD^1'))).toBe(true);
});

test('npm ci, then validate, then the comment, which runs when validate failed too', () => {
  const runs = steps.map((s) => s.run ?? '');
  const ci = runs.findIndex((r) => r.startsWith('npm ci'));
  const validate = runs.findIndex((r) => r.includes('dynconf validate'));
  const comment = runs.findIndex((r) => r.includes('bin/pr-comment.ts'));
  expect(ci).toBeGreaterThanOrEqual(0);
  expect(ci).toBeLessThan(validate);
  expect(validate).toBeLessThan(comment);
  expect(steps[comment]!.if).toBe('${{ !cancelled() }}');
  expect(steps[comment]!.env!.GITHUB_TOKEN).toBe('${{ secrets.GITHUB_TOKEN }}');
});

test('calls scripts, verbs and options that exist', () => {
  const verbs = new Set(COMMANDS.map((c) => c.name));
  for (const run of steps.map((s) => s.run ?? '')) {
    for (const m of run.matchAll(/dynconf (\w[\w-]*)/g)) expect(verbs).toContain(m[1]);
    for (const m of run.matchAll(/node --import tsx (\S+)/g)) expect(fs.existsSync(path.join(REPO_ROOT, m[1]!))).toBe(true);
    const call = run.split('\n').find((l) => l.includes('bin/pr-comment.ts'));
    if (call) for (const m of call.matchAll(/ (--[a-z-]+)/g)) expect(PR_CHECK_USAGE).toContain(m[1]);
  }
  // The fork switch is an option the script takes.
  expect(text).toContain('--no-comment');
  expect(PR_CHECK_USAGE).toContain('--no-comment');
});

test("each step's shell script is valid bash", () => {
  for (const run of steps.map((s) => s.run).filter((r): r is string => !!r)) {
    const r = spawnSync('bash', ['-n', '-c', run], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }
});
