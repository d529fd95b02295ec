import * as fs from 'node:fs';
import * as path from 'node:path';
import { Diagnostics, DiskTree, emergencyChanges, emergencyMarkAt, hostedValidatorContent, loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { checkEmergencyMarks, compileOpsSchema } from '../../lib/model/ops';
import { draft04, EMERGENCY_KEYWORD } from '../../lib/model/schema-check';
import { parseJson } from '../../lib/model/source';
import { canonicalJson } from '../../lib/model/canonical';
import { FIXTURES, lineOf, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';
const CASES = path.join(FIXTURES, 'emergency');

interface Edit {
  readonly file: string;
  readonly path: (string | number)[];
  readonly value?: unknown;
  readonly delete?: boolean;
}

interface ExpectedChange {
  readonly environment: string;
  readonly profile: string;
  readonly key: string;
  readonly qualifies: boolean;
  readonly why: string;
  readonly file: string;
  /** A lineOf marker in the head file (or the base file with side "base"). */
  readonly at: string;
  readonly side?: 'base';
}

interface EmergencyFixture {
  readonly description: string;
  readonly qualifies: boolean;
  readonly edits: readonly Edit[];
  readonly expect: readonly ExpectedChange[];
  /** `<env>/<app>/<profile>` of every document the lane would deploy. */
  readonly documents: readonly string[];
}

/** The base every case starts from: the minimal workspace with marks in its ops schema. */
function makeBase(): string {
  const dir = tempDir('dynconf-emergency-base-');
  fs.cpSync(MINIMAL, dir, { recursive: true });
  fs.cpSync(path.join(CASES, 'base'), dir, { recursive: true });
  return dir;
}

/** Apply JSON edits to a workspace: set (creating files and objects) or delete a path. */
function applyEdits(dir: string, edits: readonly Edit[]): void {
  for (const e of edits) {
    const file = path.join(dir, e.file);
    if (e.path.length === 0) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(e.value, null, 2)}\n`);
      continue;
    }
    const root = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string | number, unknown>;
    let cur = root;
    for (const seg of e.path.slice(0, -1)) cur = (cur[seg] ??= {}) as Record<string | number, unknown>;
    const last = e.path[e.path.length - 1]!;
    if (e.delete) delete cur[last];
    else cur[last] = e.value;
    fs.writeFileSync(file, `${JSON.stringify(root, null, 2)}\n`);
  }
}

function load(dir: string): Model {
  const result = loadWorkspaceFromDisk(dir, { today: TODAY });
  if (!result.model) throw new Error(`${dir} does not load:\n${result.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('\n')}`);
  return result.model;
}

describe('emergencyChanges: every fixture under test/fixtures/emergency', () => {
  const cases = fs.readdirSync(CASES).filter((n) => n !== 'base').sort();
  let base: string;
  let baseModel: Model;
  beforeAll(() => {
    base = makeBase();
    baseModel = load(base);
  });
  afterAll(() => rmrf(base));

  test('there are qualifying and failing cases', () => {
    expect(cases.filter((c) => c.startsWith('qualifies-')).length).toBeGreaterThanOrEqual(5);
    expect(cases.filter((c) => c.startsWith('fails-')).length).toBeGreaterThanOrEqual(12);
  });

  test.each(cases)('%s', (name) => {
    const fixture = JSON.parse(fs.readFileSync(path.join(CASES, name, 'fixture.json'), 'utf8')) as EmergencyFixture;
    const head = tempDir('dynconf-emergency-head-');
    try {
      fs.cpSync(base, head, { recursive: true });
      applyEdits(head, fixture.edits);
      const report = emergencyChanges(baseModel, load(head), { base: new DiskTree(base), head: new DiskTree(head) });
      const describe = () => report.changes.map((c) => `  ${c.environment} [${c.profile}] ${c.key} ${c.qualifies ? 'qualifies' : 'fails'} ${c.file}:${c.line}: ${c.why}`).join('\n');

      expect(report.qualifies).toBe(fixture.qualifies);
      expect(name.startsWith('qualifies-')).toBe(fixture.qualifies);
      // Every change is expected, and every expected change is there, where the fixture says.
      if (report.changes.length !== fixture.expect.length) throw new Error(`expected ${fixture.expect.length} changes, got:\n${describe()}`);
      for (const x of fixture.expect) {
        const line = lineOf(path.join(x.side === 'base' ? base : head, x.file), x.at);
        const match = report.changes.find((c) => c.environment === x.environment && c.profile === x.profile && c.key === x.key && c.qualifies === x.qualifies && c.file === x.file && c.line === line && c.why.includes(x.why));
        if (!match) throw new Error(`expected ${JSON.stringify(x)} at line ${line}; got:\n${describe()}`);
      }
      expect(report.changedDocuments.map((d) => `${d.environment}/${d.application}/${d.profile}`).sort()).toEqual([...fixture.documents].sort());
      // The documents to deploy carry the head's bytes, exactly as compiled.
      const headModel = load(head);
      for (const d of report.changedDocuments) {
        expect(d.content).toBe(headModel.documents.find((h) => h.environment === d.environment && h.application === d.application && h.profile === d.profile)!.content);
      }
    } finally {
      rmrf(head);
    }
  });
});

describe('emergencyChanges without source trees', () => {
  test('changes are still judged, located at line 1 of the file that holds them', () => {
    const base = makeBase();
    const head = tempDir();
    try {
      fs.cpSync(base, head, { recursive: true });
      applyEdits(head, [{ file: 'flags/demo-app.json', path: ['flags', 'new-checkout', 'environments', 'beta', 'enabled'], value: false }]);
      const report = emergencyChanges(load(base), load(head));
      expect(report.qualifies).toBe(true);
      expect(report.changes).toEqual([expect.objectContaining({ environment: 'beta', profile: 'flags', key: 'new-checkout', file: 'flags/demo-app.json', line: 1, qualifies: true })]);
    } finally {
      rmrf(base);
      rmrf(head);
    }
  });

  test('emergency: a partial switch-off of variants does not qualify, naming the variants still on', () => {
    const base = makeBase();
    const head = tempDir();
    try {
      applyEdits(base, [{ file: 'flags/demo-app.json', path: ['flags', 'dark-mode', 'default', 'variants', 1, 'enabled'], value: true }]);
      fs.cpSync(base, head, { recursive: true });
      applyEdits(head, [{ file: 'flags/demo-app.json', path: ['flags', 'dark-mode', 'default', 'variants', 0, 'enabled'], value: false }]);
      const report = emergencyChanges(load(base), load(head));
      expect(report.qualifies).toBe(false);
      expect(report.changes[0]!.why).toContain("only some variants are switched off ('everyone' stay on)");
    } finally {
      rmrf(base);
      rmrf(head);
    }
  });
});

describe('x-dynconf-emergency in ops schemas', () => {
  const schemaWith = (properties: object, extra: object = {}) => ({ $schema: 'http://json-schema.org/draft-04/schema#', title: 't', type: 'object', properties, ...extra });
  const check = (schema: object) => {
    const diags = new Diagnostics();
    const json = parseJson('config/ops/x/schema.json', Buffer.from(JSON.stringify(schema, null, 2)), diags)!;
    const ok = checkEmergencyMarks(json, diags);
    return { ok, diags: diags.all };
  };

  test('the draft-04 Ajv knows the keyword, and it changes no validation', () => {
    expect(draft04().getKeyword(EMERGENCY_KEYWORD)).toBeTruthy();
    const diags = new Diagnostics();
    const schema = schemaWith({ limit: { type: 'integer', maximum: 10, [EMERGENCY_KEYWORD]: 'decrease' } });
    const compiled = compileOpsSchema(parseJson('s.json', Buffer.from(JSON.stringify(schema)), diags)!, canonicalJson, diags)!;
    expect(diags.all).toEqual([]);
    expect(compiled.validate({ limit: 5 })).toBe(true);
    expect(compiled.validate({ limit: 11 })).toBe(false);
  });

  test('any, decrease and increase are accepted where the check reads them, through $refs', () => {
    const r = check(
      schemaWith(
        { logLevel: { enum: ['INFO'], [EMERGENCY_KEYWORD]: 'any' }, limits: { type: 'object', properties: { rps: { $ref: '#/definitions/count' } } } },
        { definitions: { count: { type: 'integer', [EMERGENCY_KEYWORD]: 'increase' } } },
      ),
    );
    expect(r.diags).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test.each([
    ['a value outside any|decrease|increase, with a did-you-mean', { limit: { type: 'integer', [EMERGENCY_KEYWORD]: 'decrese' } }, {}, "did you mean 'decrease'?"],
    ['true, which is written "any"', { limit: { type: 'integer', [EMERGENCY_KEYWORD]: true } }, {}, 'true is written "any"'],
    ['a direction on a string', { logLevel: { enum: ['INFO'], [EMERGENCY_KEYWORD]: 'decrease' } }, {}, 'declare "type": "integer" or "number"'],
    ['a mark where the check never looks (under patternProperties)', { m: { type: 'object', patternProperties: { '^a': { type: 'integer', [EMERGENCY_KEYWORD]: 'any' } } } }, {}, 'put the mark on the property itself'],
    ['a mark on an unreferenced definition', { a: { type: 'integer' } }, { definitions: { b: { type: 'integer', [EMERGENCY_KEYWORD]: 'any' } } }, 'put the mark on the property itself'],
    ['a mark on the whole schema', { a: { type: 'integer' } }, { [EMERGENCY_KEYWORD]: 'any' }, 'move x-dynconf-emergency onto the properties'],
  ])('ops/emergency-mark: %s is a located error', (_name, properties, extra, fix) => {
    const schema = schemaWith(properties, extra);
    const r = check(schema);
    expect(r.ok).toBe(false);
    expect(r.diags).toHaveLength(1);
    const d = r.diags[0]!;
    expect(d.rule).toBe('ops/emergency-mark');
    expect(d.fix).toContain(fix);
    const text = JSON.stringify(schema, null, 2);
    expect(d.line).toBe(text.slice(0, text.indexOf(`"${EMERGENCY_KEYWORD}"`)).split('\n').length);
  });

  test('emergencyMarkAt: a property mark, an inherited "any", and unmarked paths', () => {
    const schema = schemaWith({
      logging: { type: 'object', [EMERGENCY_KEYWORD]: 'any', properties: { level: { type: 'string' }, rate: { type: 'integer', [EMERGENCY_KEYWORD]: 'decrease' } } },
      rps: { type: 'integer', [EMERGENCY_KEYWORD]: 'decrease' },
      other: { type: 'integer' },
    });
    expect(emergencyMarkAt(schema, ['rps'])).toBe('decrease');
    expect(emergencyMarkAt(schema, ['logging', 'level'])).toBe('any');
    expect(emergencyMarkAt(schema, ['logging', 'rate'])).toBe('decrease');
    expect(emergencyMarkAt(schema, ['other'])).toBeUndefined();
    expect(emergencyMarkAt(schema, ['missing', 'deeper'])).toBeUndefined();
    expect(emergencyMarkAt(schema, [])).toBeUndefined();
  });

  test('hostedValidatorContent strips the keyword in schema positions only, and the result still validates the same', () => {
    const schema = schemaWith({ 'x-dynconf-emergency': { type: 'integer', [EMERGENCY_KEYWORD]: 'any' }, rps: { type: 'integer', maximum: 9, [EMERGENCY_KEYWORD]: 'decrease' } });
    const hosted = hostedValidatorContent(canonicalJson(schema));
    const parsed = JSON.parse(hosted) as { properties: Record<string, Record<string, unknown>> };
    expect(Object.keys(parsed.properties)).toEqual(['rps', 'x-dynconf-emergency']);
    expect(hosted.match(/x-dynconf-emergency/g)).toHaveLength(1);
    expect(parsed.properties.rps).toEqual({ type: 'integer', maximum: 9 });
  });

  test('the sample marks keys, and its hosted validators carry no mark', () => {
    const model = loadWorkspaceFromDisk(REPO_ROOT).model!;
    for (const app of model.applications) {
      expect(app.opsSchema).toContain(EMERGENCY_KEYWORD);
      const schema = JSON.parse(app.opsSchema) as unknown;
      expect(emergencyMarkAt(schema, ['throttling', 'requestsPerSecond'])).toBe('decrease');
      expect(emergencyMarkAt(schema, ['logLevel'])).toBe('any');
      expect(hostedValidatorContent(app.opsSchema)).not.toContain(EMERGENCY_KEYWORD);
    }
  });
});

describe('workload.json emergency', () => {
  // Test edits reach into the fixture's known shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  function withWorkload(change: (w: any) => void) {
    const dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const file = path.join(dir, 'config/workload.json');
    const w = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    change(w);
    fs.writeFileSync(file, JSON.stringify(w, null, 2));
    try {
      return loadWorkspaceFromDisk(dir, { today: TODAY });
    } finally {
      rmrf(dir);
    }
  }

  test('the sample declares a fast emergency strategy, and the lane branches', () => {
    const model = loadWorkspaceFromDisk(REPO_ROOT).model!;
    const e = model.workload.emergency!;
    const s = model.workload.strategies[e.strategy]!;
    expect(s.deploymentDurationMinutes + s.finalBakeTimeMinutes).toBeLessThanOrEqual(10);
    expect(s.finalBakeTimeMinutes).toBeGreaterThan(0);
    expect(e.branches).toBe('emergency/*');
  });

  test('policy/emergency-strategy-slow and policy/emergency-without-bake are warnings at emergency.strategy', () => {
    const slow = withWorkload((w) => (w.emergency = { strategy: 'linear' }));
    expect(slow.model).toBeDefined();
    expect(slow.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', rule: 'policy/emergency-strategy-slow', file: 'config/workload.json' })]);
    const noBake = withWorkload((w) => (w.emergency = { strategy: 'fast' }));
    expect(noBake.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', rule: 'policy/emergency-without-bake' })]);
    const good = withWorkload((w) => {
      w.strategies.urgent = { growthType: 'LINEAR', growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 5 };
      w.emergency = { strategy: 'urgent', branches: 'hotfix/**' };
    });
    expect(good.diagnostics).toEqual([]);
  });
});
