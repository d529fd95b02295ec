import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { captureIO, FIXTURES, lineOf, materialize, MINIMAL, REPO_ROOT, rmrf } from '../support/workspace';

const TODAY = '2026-11-21';
const invalid = fs.readdirSync(path.join(FIXTURES, 'invalid')).sort();

describe('valid workspaces', () => {
  test.each([
    ['the minimal fixture', MINIMAL],
    ['the repository sample', REPO_ROOT],
  ])('%s validates without errors and compiles', (_name, root) => {
    const result = loadWorkspaceFromDisk(root, { today: TODAY, strict: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.model).toBeDefined();
    expect(result.model!.documents.length).toBeGreaterThan(0);
  });
});

describe('every invalid fixture fails where and how it says', () => {
  test('there is at least one fixture per documented rule family', () => {
    for (const prefix of ['json-', 'schema-', 'flags-', 'ops-', 'policy-', 'workload-', 'file-']) {
      expect(invalid.some((name) => name.startsWith(prefix))).toBe(true);
    }
  });

  test.each(invalid)('%s', async (name) => {
    const { dir, manifest } = materialize(path.join(FIXTURES, 'invalid', name));
    try {
      const result = loadWorkspaceFromDisk(dir, { today: TODAY, strict: manifest.strict ?? false });
      expect(result.model).toBeUndefined();
      for (const expected of manifest.expect) {
        const line = lineOf(path.join(dir, expected.file), expected.at);
        const match = result.diagnostics.find(
          (d) => d.severity === 'error' && d.rule === expected.rule && d.file === expected.file && d.line === line && d.message.concat(' ', d.fix ?? '').includes(expected.message),
        );
        if (!match) {
          throw new Error(`expected ${expected.rule} at ${expected.file}:${line} containing ${JSON.stringify(expected.message)}; got:\n${result.diagnostics.map((d) => `  ${d.rule} ${d.file}:${d.line}:${d.column} ${d.message} (fix: ${d.fix})`).join('\n')}`);
        }
        expect(match.column).toBeGreaterThanOrEqual(1);
        expect(match.fix ?? '').not.toBe('');
      }

      // The CLI: exit 1, located one-line errors, no stack trace, nothing written.
      const out = path.join(dir, 'out');
      const validate = captureIO(dir);
      const args = ['validate', '--root', dir, ...(manifest.strict ? ['--strict'] : [])];
      expect(await main(args, validate.io)).toBe(1);
      expect(validate.out()).toMatch(/^[^\s:]+:\d+:\d+ error /m);
      expect(validate.out() + validate.err()).not.toMatch(/\n\s+at /);
      const build = captureIO(dir);
      expect(await main(['build', '--root', dir, '--out', out, ...(manifest.strict ? [] : [])], build.io)).toBe(manifest.strict ? 0 : 1);
      if (!manifest.strict) expect(fs.existsSync(out)).toBe(false);
    } finally {
      rmrf(dir);
    }
  });
});
