/**
 * Fuzz: `dynconf validate` and `dynconf build` over workspaces mutated from the minimal
 * fixture. Whatever the input, the promises hold:
 * - the exit code is 0 or 1, and the three runs (validate, validate --format json, build) agree;
 * - every problem is located (file, line >= 1, column, rule, fix), never "unexpected error",
 *   never a stack trace; --format json always prints JSON;
 * - nothing is written on failure (the previous build stays as it was), and nothing is
 *   written into the workspace;
 * - what build writes is what validate approved: the model's documents byte for byte, and
 *   values exactly as the sources state them (no null where a number was, no dropped file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { applyMutations, byteMutationArb, fsMutationArb, fuzzParams, jestTimeout, jsonMutationArb, minimalWorkspace, type Mutation } from './support';
import { checkWorkspace, listFiles, run } from './workspace-checks';

function workspaceProperty(mutations: fc.Arbitrary<Mutation[]>) {
  return fc.asyncProperty(mutations, async (ms) => {
    const ws = minimalWorkspace();
    try {
      applyMutations(ws, ms);
      await checkWorkspace(ws);
    } finally {
      ws.dispose();
    }
  });
}

const LIMIT_MS = 8_000;

describe('fuzz: validate and build over mutated workspaces', () => {
  test('the unmutated fixture passes every check (so the checks can pass)', async () => {
    const ws = minimalWorkspace();
    try {
      await checkWorkspace(ws);
    } finally {
      ws.dispose();
    }
  });

  test(
    'JSON edits (any value anywhere, hostile and duplicate keys, invalid escapes, 1e400, deep nesting): exit 0/1, located, nothing half-written, output = sources',
    async () => {
      await fc.assert(workspaceProperty(fc.array(jsonMutationArb, { minLength: 1, maxLength: 3 })), fuzzParams(150, LIMIT_MS));
    },
    jestTimeout(LIMIT_MS),
  );

  test(
    'byte edits (truncation, flipped bytes, BOM, invalid UTF-8, CRLF): exit 0/1, located, nothing half-written, output = sources',
    async () => {
      await fc.assert(workspaceProperty(fc.array(byteMutationArb, { minLength: 1, maxLength: 3 })), fuzzParams(100, LIMIT_MS / 2));
    },
    jestTimeout(LIMIT_MS / 2),
  );

  test(
    'file system edits (deleted files, directories for files, symlinks in and out of the workspace, extra files): exit 0/1, located, never dropped',
    async () => {
      await fc.assert(workspaceProperty(fc.array(fsMutationArb, { minLength: 1, maxLength: 3 })), fuzzParams(100, LIMIT_MS / 2));
    },
    jestTimeout(LIMIT_MS / 2),
  );

  test(
    'all edits mixed',
    async () => {
      const any = fc.oneof(jsonMutationArb, byteMutationArb, fsMutationArb);
      await fc.assert(workspaceProperty(fc.array(any, { minLength: 1, maxLength: 4 })), fuzzParams(100, LIMIT_MS / 2));
    },
    jestTimeout(LIMIT_MS / 2),
  );
});

describe('fuzz: a symlink is followed or rejected by name, never dropped', () => {
  const cases: Mutation[] = [
    ...(['config/workload.json', 'config/layout.json', 'flags/demo-app.json', 'config/ops/demo-app/schema.json', 'config/ops/demo-app/default.json', 'config/ops/demo-app/prod-01.json'] as const).flatMap((file) =>
      (['inside', 'outside'] as const).map((to): Mutation => ({ kind: 'symlink', file, to })),
    ),
    ...(['flags', 'config/ops', 'config/ops/demo-app'] as const).flatMap((dir) => (['inside', 'outside'] as const).map((to): Mutation => ({ kind: 'symlink-dir', dir, to }))),
  ];
  let baseline: Map<string, string>;
  beforeAll(async () => {
    const ws = minimalWorkspace();
    try {
      const out = path.join(ws.base, 'out');
      expect((await run(['build', '--root', ws.root, '--out', out], ws.base)).code).toBe(0);
      baseline = new Map(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]));
    } finally {
      ws.dispose();
    }
  });

  test.each(cases.map((m) => [JSON.stringify(m), m] as const))('%s: the same build as the real file, or an error that names the link', async (_name, m) => {
    const ws = minimalWorkspace();
    try {
      applyMutations(ws, [m]);
      const json = await run(['validate', '--root', ws.root, '--format', 'json'], ws.base);
      if (json.code === 0) {
        const out = path.join(ws.base, 'out');
        expect((await run(['build', '--root', ws.root, '--out', out], ws.base)).code).toBe(0);
        expect(new Map(listFiles(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]))).toEqual(baseline);
      } else {
        const report = JSON.parse(json.out) as { diagnostics: { severity: string; rule: string; message: string; file: string }[] };
        const errors = report.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        // Every error must be about the link itself, not a consequence of not reading through it.
        for (const e of errors) expect(`${e.rule} ${e.message}`).toMatch(/link/i);
      }
    } finally {
      ws.dispose();
    }
  });
});
