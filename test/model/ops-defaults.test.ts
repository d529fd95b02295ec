/**
 * An ops problem written in default.json is reported in default.json, once: not at line 1
 * of every <env>.json, and not as one environment's problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { copySample, rmrf } from '../support/workspace';

const APP = 'payment-service-v2';
const DEFAULTS = `config/ops/${APP}/default.json`;

function withDefaults(edit: (text: string) => string, check: (text: string, errors: ReturnType<typeof loadWorkspaceFromDisk>['diagnostics']) => void): void {
  const dir = copySample();
  try {
    const file = path.join(dir, DEFAULTS);
    const before = fs.readFileSync(file, 'utf8');
    const text = edit(before);
    expect(text).not.toBe(before);
    fs.writeFileSync(file, text);
    const result = loadWorkspaceFromDisk(dir);
    expect(result.model).toBeUndefined();
    check(text, result.diagnostics.filter((d) => d.severity === 'error'));
  } finally {
    rmrf(dir);
  }
}

describe('ops: a required key removed from default.json', () => {
  test('ops: a required top-level key removed from default.json is one error in default.json, not one per <env>.json at 1:1', () => {
    withDefaults(
      (t) => t.replace(/,\n\s*"settlementCutoffUtc": "22:00"/, ''),
      (_text, errors) => {
        expect(errors).toEqual([
          expect.objectContaining({
            file: DEFAULTS,
            line: 1,
            column: 1,
            rule: 'ops/schema',
            field: '(root)',
            message: "missing required field 'settlementCutoffUtc'",
            fix: expect.stringContaining("add 'settlementCutoffUtc' to default.json, which every environment inherits"),
          }),
        ]);
      },
    );
  });

  test('ops: a required nested key removed from default.json is reported at its object in default.json', () => {
    withDefaults(
      (t) => t.replace(/,\n\s*"readMs": 10000/, ''),
      (text, errors) => {
        expect(errors).toHaveLength(1);
        const [d] = errors;
        expect(d).toMatchObject({ file: DEFAULTS, field: 'timeouts', message: "missing required field 'readMs'", fix: expect.stringContaining("add 'readMs' under timeouts to default.json") });
        expect(text.split('\n')[d!.line - 1]).toContain('"timeouts"');
      },
    );
  });

  test('ops: a bad value in default.json names no single environment', () => {
    withDefaults(
      (t) => t.replace('"connectMs": 1000', '"connectMs": "fast"'),
      (text, errors) => {
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ file: DEFAULTS, field: 'timeouts.connectMs' });
        expect(text.split('\n')[errors[0]!.line - 1]).toContain('"connectMs": "fast"');
      },
    );
  });
});

describe('ops: a problem in one <env>.json still names that environment', () => {
  test('ops: a bad value in prod-01.json is reported there, with (prod-01)', () => {
    const dir = copySample();
    try {
      const file = path.join(dir, `config/ops/${APP}/prod-01.json`);
      const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      v.logLevel = 'LOUD';
      fs.writeFileSync(file, JSON.stringify(v, null, 2));
      const errors = loadWorkspaceFromDisk(dir).diagnostics.filter((d) => d.severity === 'error');
      expect(errors).toEqual([expect.objectContaining({ file: `config/ops/${APP}/prod-01.json`, field: '(prod-01) logLevel' })]);
    } finally {
      rmrf(dir);
    }
  });
});
