/**
 * validate's output is a contract: file, line, column, severity, field, message and fix of
 * every diagnostic. Speed work on the loader (parsing, sizing, secret scanning, caching,
 * threads) must not change one character of it. This test loads a large generated workspace
 * with errors planted in many files, of every family the loader reports, and compares the
 * full output with a golden file written by the loader before that work. A change that
 * drops, reorders, relocates or rewords a single diagnostic fails here.
 *
 * To accept an intended change of wording: UPDATE_GOLDEN=1 npx jest test/model/validate-scale.test.ts,
 * and review the diff of the golden file like any other change.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, loadWorkspaceFromDisk, type LoadResult } from '../../lib/model';
import { generateWorkspace } from '../../bench/workload-generator';
import { rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';
const SIZE = { applications: 30, environments: 10, flagsPerApp: 60 };
const GOLDEN_DIR = path.join(__dirname, 'golden');

/** Replace the first occurrence of `from` in a workspace file; a planted error must land. */
function edit(dir: string, rel: string, from: string | RegExp, to: string): void {
  const file = path.join(dir, rel);
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`planting failed: ${String(from)} not found in ${rel}`);
  fs.writeFileSync(file, next);
}

function write(dir: string, rel: string, text: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

/** One or more errors of each kind the loader reports per file, each in its own application. */
function plantErrors(dir: string): void {
  // JSON level: duplicate keys (plain, escaped, and with a dropped value holding a colon), forbidden keys.
  edit(dir, 'flags/app-001.json', '"name": "Flag 2"', '"name": "Flag 2", "name": "Flag two"');
  edit(dir, 'flags/app-001.json', '"name": "Flag 5"', '"name": "Flag 5", "__proto__": {}');
  edit(dir, 'flags/app-002.json', '"name": "Flag 6"', '"desc\\u0072iption": "a: b", "description": "x"');
  edit(dir, 'flags/app-002.json', '"name": "Flag 9"', '"name": "Flag 9", "nam\\u0065": "Flag \\u003a"');
  edit(dir, 'flags/app-003.json', /,\n(\s*)"flag-010"/, ',,\n$1"flag-010"');
  write(dir, 'flags/app-004.json', Buffer.concat([Buffer.from('{ "flags": { "x": { "name": "caf'), Buffer.from([0xe9]), Buffer.from('" } } }\n')]));
  edit(dir, 'flags/app-005.json', '"limit": 10,', '"limit": 12345678901234567890,');
  edit(dir, 'flags/app-005.json', '"limit": 17', '"limit": 0.1000000000000000055511151231257827');
  edit(dir, 'flags/app-006.json', '"mode": "a"', `"mode": ${'['.repeat(70)}${']'.repeat(70)}`);
  // Schema of the flags format.
  edit(dir, 'flags/app-007.json', '"name": "Flag 1"', '"name": "Flag 1", "enabeld": true');
  edit(dir, 'flags/app-007.json', '"exposure": "browser"', '"exposure": "public"');
  // Flag semantics: constraints, undeclared attributes, environments, rules, variants, expiry.
  edit(dir, 'flags/app-008.json', '"limit": 17', '"limit": 140');
  edit(dir, 'flags/app-008.json', '"mode": "a"', '"mode": "c", "colour": "red"');
  edit(dir, 'flags/app-008.json', '"prod-01": {', '"prod-99": { "enabled": true }, "prod-01": {');
  edit(dir, 'flags/app-009.json', '(split pct::3 by::$userId)', '(split pct::3 by::$userId');
  edit(dir, 'flags/app-009.json', '(eq $tier \\"pro\\")', '(eq $tier \\"pro\\" \\"x\\")');
  edit(dir, 'flags/app-009.json', '"name": "Flag 11"', '"name": "Flag 11", "expires": "2026-01-01"');
  edit(dir, 'flags/app-009.json', '"name": "Flag 15"', '"name": "Flag 15", "expires": "2026-11-30"');
  edit(dir, 'flags/app-010.json', /"default": \{\n(\s*)"variants"/, '"default": {\n$1"enabled": true,\n$1"variants"');
  edit(dir, 'flags/app-010.json', /"limit": \{\n(\s*)"constraints": \{\n\s*"type": "number",\n\s*"minimum": 0,\n\s*"maximum": 100/, '"limit": {\n$1"constraints": {\n$1  "type": "number",\n$1  "minimum": 100,\n$1  "maximum": 0, "pattern": "(["');
  // Secrets, in flags and in ops.
  edit(dir, 'flags/app-011.json', '"description": "Generated flag 0 of app-011"', '"description": "password=hunter2Zq9x"');
  edit(dir, 'flags/app-011.json', '"description": "Generated flag 1 of app-011"', '"description": "key AKIAIOSFODNN7ABCDEFG"');
  edit(dir, 'config/ops/app-011/default.json', '"logLevel": "INFO"', '"logLevel": "INFO", "dsn": "postgres://admin:' + 's3cr3tP4ss@db.internal:5432/app"' /* split, or the repository's own secret scan finds it */);
  // Ops: enum, unknown field, missing required, a bad schema, an unknown environment, a stray file.
  edit(dir, 'config/ops/app-012/prod-01.json', '"logLevel": "ERROR"', '"logLevel": "VERBOSE", "retries": 3');
  edit(dir, 'config/ops/app-013/default.json', /,\n\s*"timeouts": \{[^}]*\}/, '');
  edit(dir, 'config/ops/app-014/schema.json', '"type": "object"', '"type": "objekt"');
  write(dir, 'config/ops/app-015/prod-99.json', '{ "logLevel": "ERROR" }\n');
  write(dir, 'config/ops/app-015/notes.txt', 'not json\n');
  edit(dir, 'config/ops/app-016/gamma.json', '"logLevel": "ERROR"', '"logLevel": "ERROR", "timeouts": { "connectMs": 0 }');
  // Files the workload does not declare, and one it declares that is missing.
  write(dir, 'flags/app-zz.json', '{ "flags": {} }\n');
  write(dir, 'flags/app-01.json', '{ "flags": {} }\n');
  fs.rmSync(path.join(dir, 'flags/app-017.json'));
  fs.rmSync(path.join(dir, 'config/ops/app-018/default.json'));
  write(dir, 'flags/empty.json', '  \n');
}

function output(result: LoadResult): string {
  return `${result.diagnostics.map(formatDiagnostic).join('\n')}\n`;
}

function compareWithGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

describe(`validate on a generated ${SIZE.applications} apps x ${SIZE.environments} envs x ${SIZE.flagsPerApp} flags workspace`, () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    generateWorkspace(dir, SIZE);
  });
  afterAll(() => rmrf(dir));

  test('a valid workspace: the same warnings, and the same bytes in every document', () => {
    edit(dir, 'flags/app-020.json', '"name": "Flag 3"', '"name": "Flag 3", "expires": "2026-11-25"');
    const result = loadWorkspaceFromDisk(dir, { today: TODAY });
    expect(result.model).toBeDefined();
    const hash = createHash('sha256');
    for (const d of result.model!.documents) hash.update(`${d.environment}/${d.application}/${d.profile}\n${d.content}\n`);
    compareWithGolden('validate-scale.valid.txt', `${output(result)}documents: ${result.model!.documents.length}, sha256 ${hash.digest('hex')}\n`);
  });

  test('planted errors: every diagnostic identical (file, line, column, message, field, fix) and in the same order', () => {
    plantErrors(dir);
    const result = loadWorkspaceFromDisk(dir, { today: TODAY });
    expect(result.model).toBeUndefined();
    // The planting worked: errors of many families, in many files.
    expect(new Set(result.diagnostics.map((d) => d.rule)).size).toBeGreaterThan(20);
    compareWithGolden('validate-scale.errors.txt', output(result));
    // --strict turns warnings into errors; the rest stays.
    compareWithGolden('validate-scale.errors-strict.txt', output(loadWorkspaceFromDisk(dir, { today: TODAY, strict: true })));
  });
});
