/**
 * lib/model/scaffold: the edits `dynconf new` makes, the formatting they keep, and the
 * promise behind them (validate passes afterwards); and validate naming every missing piece
 * of an application added by hand in one run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { DiskTree, loadWorkspace, loadWorkspaceFromDisk, type Diagnostic } from '../../lib/model';
import { addDays, detectStyle, flagName, insertProperty, NEW_FLAG_LIFETIME_DAYS, OverlayTree, planNewApp, planNewFlag, type ScaffoldPlan, type ScaffoldResult } from '../../lib/model/scaffold';
import { captureIO, copySample, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';

function planOf(result: ScaffoldResult): ScaffoldPlan {
  if (!result.ok) throw new Error(`refused: ${result.message}\n${result.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('\n')}`);
  return result.plan;
}

function refusal(result: ScaffoldResult) {
  if (result.ok) throw new Error(`expected a refusal; got edits of ${result.plan.edits.map((e) => e.file).join(', ')}`);
  return result;
}

/** The workspace as the plan would leave it. */
function applied(root: string, plan: ScaffoldPlan): OverlayTree {
  return new OverlayTree(new DiskTree(root), new Map(plan.edits.map((e) => [e.file, e.content])));
}

/** Lines removed and added between two texts that differ only by insertions and edits of whole lines. */
function lineDiff(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return { removed: a.slice(start, endA), added: b.slice(start, endB) };
}

let dir: string;
afterEach(() => dir && rmrf(dir));

describe('insertProperty keeps every byte it does not add', () => {
  test('a one-line entry after one-line siblings, with only a comma added to the last one', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'config/workload.json'), 'utf8');
    const after = insertProperty(text, ['applications'], 'billing', { owner: 'team-billing', description: 'Invoices.' });
    const { removed, added } = lineDiff(text, after);
    expect(removed).toEqual([expect.stringMatching(/^ {4}"groupsync-v3": \{ .* \}$/)]);
    expect(added).toEqual([`${removed[0]},`, '    "billing": { "owner": "team-billing", "description": "Invoices." }']);
  });

  test('expanded siblings get an expanded entry', () => {
    const text = fs.readFileSync(path.join(MINIMAL, 'config/workload.json'), 'utf8');
    const after = insertProperty(text, ['applications'], 'billing', { owner: 'team-billing', description: 'Invoices.' });
    const lastEntryEnd = '"The one application of the minimal workload."\n    }';
    expect(after).toBe(text.replace(lastEntryEnd, `${lastEntryEnd},\n    "billing": {\n      "owner": "team-billing",\n      "description": "Invoices."\n    }`));
  });

  test('tabs, CRLF line ends and a comment at the end of the last entry stay as they were', () => {
    const text = '{\r\n\t"flags": {\r\n\t\t"a": { "name": "A" } // the first\r\n\t}\r\n}\r\n';
    const after = insertProperty(text, ['flags'], 'b', { name: 'B', default: { enabled: false } });
    expect(after).toBe('{\r\n\t"flags": {\r\n\t\t"a": { "name": "A" }, // the first\r\n\t\t"b": {\r\n\t\t\t"name": "B",\r\n\t\t\t"default": { "enabled": false }\r\n\t\t}\r\n\t}\r\n}\r\n');
  });

  test('an empty object, a missing parent, and a document written on one line', () => {
    expect(insertProperty('{\n  "flags": {}\n}\n', ['flags'], 'x', { enabled: false })).toBe('{\n  "flags": {\n    "x": { "enabled": false }\n  }\n}\n');
    expect(insertProperty('{\n  "workload": "w",\n  "x": { "y": 1 }\n}\n', ['applications'], 'a', { owner: 'o' })).toBe('{\n  "workload": "w",\n  "x": { "y": 1 },\n  "applications": {\n    "a": { "owner": "o" }\n  }\n}\n');
    expect(insertProperty('{ "flags": {} }\n', ['flags'], 'x', { enabled: false })).toBe('{\n  "flags": {\n    "x": { "enabled": false }\n  }\n}\n');
  });

  test('the style of a file: its indentation unit and how it writes small objects', () => {
    expect(detectStyle('{\n    "a": {\n        "b": 1\n    }\n}')).toEqual({ eol: '\n', unit: '    ', inlineLeaves: false });
    expect(detectStyle('{\n  "a": { "b": 1 }\n}')).toEqual({ eol: '\n', unit: '  ', inlineLeaves: true });
  });
});

describe('planNewApp', () => {
  test('on the sample: five files, and the workspace they make validates, strictly, with the layout up to date', async () => {
    dir = copySample();
    const plan = planOf(planNewApp(new DiskTree(dir), { name: 'billing', owner: 'team-billing', description: 'Invoices.' }, { today: TODAY }));
    expect(plan.edits.map((e) => e.file)).toEqual(['config/workload.json', 'flags/billing.json', 'config/ops/billing/schema.json', 'config/ops/billing/default.json', 'config/layout.json']);
    expect(plan.kept).toEqual([]);
    const result = loadWorkspace(applied(dir, plan), { today: TODAY, strict: true });
    expect(result.diagnostics).toEqual([]);
    expect(result.model!.applications.map((a) => a.name)).toContain('billing');
    expect(result.model!.layout.parts.billing).toBe(1);
    // The flags file points at the schema the way the workspace's other flags files do.
    expect(JSON.parse(plan.edits[1]!.content)).toEqual({ $schema: '../config/schemas/flags.schema.json', flags: {} });
  });

  test('the name is checked with the pattern of config/schemas/workload.schema.json', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'config/schemas/workload.schema.json'), 'utf8')) as { properties: { applications: { propertyNames: { pattern: string } } } };
    const pattern = schema.properties.applications.propertyNames.pattern;
    for (const name of ['Billing', 'billing_service', '9lives', '../escape', 'a'.repeat(64)]) {
      const r = refusal(planNewApp(new DiskTree(MINIMAL), { name, owner: 'o' }));
      expect(r.usage).toBe(true);
      expect(r.message).toContain(pattern);
    }
    expect(planNewApp(new DiskTree(MINIMAL), { name: 'a'.repeat(63), owner: 'o' }).ok).toBe(true);
  });

  test('an application with every piece is refused; a declared one is not given another owner', () => {
    expect(refusal(planNewApp(new DiskTree(MINIMAL), { name: 'demo-app', owner: 'o' })).message).toContain("already declares 'demo-app'");
    const r = refusal(planNewApp(new DiskTree(MINIMAL), { name: 'demo-app' }));
    expect(r.usage).toBe(false);
    expect(r.message).toContain("application 'demo-app' already exists");
    expect(refusal(planNewApp(new DiskTree(MINIMAL), { name: 'billing' })).message).toContain('--owner is required');
  });

  test('an application started by hand is completed: what exists is kept, byte for byte', () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const own = '{\n  "flags": {\n    "invoice-v2": { "name": "Invoice v2", "default": { "enabled": true } }\n  }\n}\n';
    fs.writeFileSync(path.join(dir, 'flags/billing.json'), own);
    const plan = planOf(planNewApp(new DiskTree(dir), { name: 'billing', owner: 'team-billing' }, { today: TODAY }));
    expect(plan.kept).toEqual(['flags/billing.json']);
    expect(plan.edits.map((e) => e.file)).not.toContain('flags/billing.json');
    const tree = applied(dir, plan);
    expect(Buffer.from(tree.read('flags/billing.json')).toString()).toBe(own);
    expect(loadWorkspace(tree, { today: TODAY }).model?.applications.find((a) => a.name === 'billing')?.flagKeys).toEqual(['invoice-v2']);
  });

  test('a near-empty workspace (workload.json with no application, no flags/, no ops/, no layout) gets everything it needs', () => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'config'));
    const workload = JSON.parse(fs.readFileSync(path.join(MINIMAL, 'config/workload.json'), 'utf8')) as Record<string, unknown>;
    workload.applications = {};
    fs.writeFileSync(path.join(dir, 'config/workload.json'), `${JSON.stringify(workload, null, 2)}\n`);
    expect(loadWorkspaceFromDisk(dir, { today: TODAY }).model).toBeUndefined();
    const plan = planOf(planNewApp(new DiskTree(dir), { name: 'first', owner: 'team-one' }, { today: TODAY }));
    expect(plan.edits.map((e) => [e.file, e.previous === undefined])).toEqual([
      ['config/workload.json', false],
      ['flags/first.json', true],
      ['config/ops/first/schema.json', true],
      ['config/ops/first/default.json', true],
      ['config/layout.json', true],
    ]);
    expect(loadWorkspace(applied(dir, plan), { today: TODAY, strict: true }).diagnostics).toEqual([]);
  });

  test('a plan validate would reject is refused with what validate would say (an application over the quota)', () => {
    dir = tempDir();
    fs.cpSync(MINIMAL, dir, { recursive: true });
    const file = path.join(dir, 'config/workload.json');
    const workload = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    workload.serviceQuotas = { appconfig: { applicationsPerRegion: 1 } };
    fs.writeFileSync(file, JSON.stringify(workload, null, 2));
    expect(loadWorkspaceFromDisk(dir, { today: TODAY }).model).toBeDefined();
    const r = refusal(planNewApp(new DiskTree(dir), { name: 'billing', owner: 'o' }, { today: TODAY }));
    expect(r.message).toContain('nothing was written');
    expect(r.diagnostics.map((d) => d.rule)).toContain('quota/appconfig-applications');
  });
});

describe('planNewFlag', () => {
  const flagOf = (plan: ScaffoldPlan, key: string) => (JSON.parse(plan.edits[0]!.content) as { flags: Record<string, Record<string, unknown>> }).flags[key]!;

  test('disabled in every environment and by default, owned by the application owner, expiring after the default lifetime', () => {
    const plan = planOf(planNewFlag(new DiskTree(REPO_ROOT), { app: 'sso-service', flag: 'passkey-fallback' }, { today: TODAY }));
    expect(plan.edits.map((e) => e.file)).toEqual(['flags/sso-service.json']);
    expect(flagOf(plan, 'passkey-fallback')).toEqual({
      name: 'Passkey fallback',
      owner: 'team-identity',
      expires: addDays(TODAY, NEW_FLAG_LIFETIME_DAYS),
      exposure: 'server',
      default: { enabled: false },
      environments: { beta: { enabled: false }, gamma: { enabled: false }, 'prod-01': { enabled: false }, 'prod-02': { enabled: false }, 'prod-03': { enabled: false } },
    });
    // The rest of the file is untouched: lines added, the first of them the comma after the flag before.
    const { removed, added } = lineDiff(plan.edits[0]!.previous!, plan.edits[0]!.content);
    expect(removed).toEqual([]);
    expect(added.slice(0, 2)).toEqual(['    },', '    "passkey-fallback": {']);
  });

  test('the default expiry is quiet under validate --strict today, and validate reports it once it is past', () => {
    const plan = planOf(planNewFlag(new DiskTree(MINIMAL), { app: 'demo-app', flag: 'fresh' }, { today: TODAY }));
    const tree = applied(MINIMAL, plan);
    expect(loadWorkspace(tree, { today: TODAY, strict: true }).diagnostics).toEqual([]);
    const later = loadWorkspace(tree, { today: addDays(TODAY, NEW_FLAG_LIFETIME_DAYS + 1) }).diagnostics;
    expect(later).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'flags/expired', field: 'fresh' })]));
  });

  test('--exposure browser puts it in the browser profile; --expires none leaves expires out', () => {
    const plan = planOf(planNewFlag(new DiskTree(MINIMAL), { app: 'demo-app', flag: 'kill-switch', exposure: 'browser', expires: 'none' }, { today: TODAY }));
    expect(flagOf(plan, 'kill-switch')).not.toHaveProperty('expires');
    const model = loadWorkspace(applied(MINIMAL, plan), { today: TODAY }).model!;
    expect(model.applications[0]!.browserFlagKeys).toContain('kill-switch');
  });

  test('names, dates and applications that validate would not accept are refused', () => {
    const tree = new DiskTree(MINIMAL);
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'config/schemas/flags.schema.json'), 'utf8')) as { properties: { flags: { propertyNames: { pattern: string } } } };
    for (const flag of ['New-Checkout', '1st', 'has space', 'a'.repeat(65)]) {
      const r = refusal(planNewFlag(tree, { app: 'demo-app', flag }, { today: TODAY }));
      expect(r.usage).toBe(true);
      expect(r.message).toContain(schema.properties.flags.propertyNames.pattern);
    }
    expect(refusal(planNewFlag(tree, { app: 'demo-app', flag: 'new-checkout' }, { today: TODAY })).message).toMatch(/flag 'new-checkout' already exists in flags\/demo-app.json \(line \d+\)/);
    expect(refusal(planNewFlag(tree, { app: 'demo-ap', flag: 'x' }, { today: TODAY })).message).toContain("did you mean 'demo-app'");
    expect(refusal(planNewFlag(tree, { app: 'demo-app', flag: 'x', expires: '2026-02-30' }, { today: TODAY })).message).toContain('YYYY-MM-DD');
    expect(refusal(planNewFlag(tree, { app: 'demo-app', flag: 'x', expires: TODAY }, { today: TODAY })).message).toContain('not after today');
  });

  test('a date inside the warning window is accepted, and the warning validate will print comes with the plan', () => {
    const plan = planOf(planNewFlag(new DiskTree(MINIMAL), { app: 'demo-app', flag: 'short', expires: addDays(TODAY, 3) }, { today: TODAY }));
    const validateSays = loadWorkspace(applied(MINIMAL, plan), { today: TODAY }).diagnostics.filter((d) => d.field === 'short');
    expect(validateSays).toEqual([expect.objectContaining({ severity: 'warning', rule: 'flags/expires-soon' })]);
    expect(plan.warnings).toEqual(validateSays);
  });

  test('flag names from keys', () => {
    expect(flagName('new-checkout')).toBe('New checkout');
    expect(flagName('darkMode_v2')).toBe('Dark mode v2');
    const long = `a${'B'.repeat(63)}`;
    expect(flagName(long)).toBe(long);
  });
});

/**
 * An application added by hand: the first run of validate names every piece it lacks, and
 * doing exactly what the fixes say (the files with the content they give, the workload
 * entry, `dynconf layout`) makes the second run pass. Before, this took four failing runs.
 */
describe('an application added by hand needs one run of validate', () => {
  /** `create <file> containing <json>` in a fix: the file and its content. */
  function filesToCreate(fix: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const m of fix.matchAll(/create (\S+) containing /g)) {
      const start = m.index + m[0].length;
      let depth = 0;
      let end = start;
      let inString = false;
      for (; end < fix.length; end++) {
        const c = fix[end];
        if (inString) {
          if (c === '\\') end++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      out.set(m[1]!, JSON.parse(fix.slice(start, end + 1)));
    }
    return out;
  }

  function followFixes(root: string, diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) {
      for (const [file, content] of filesToCreate(d.fix ?? '')) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), `${JSON.stringify(content, null, 2)}\n`);
      }
      const declare = /add "([^"]+)": (\{ "owner": "<team>", "description": "<what it does>" \}) to "applications"/.exec(d.fix ?? '');
      if (declare) {
        const file = path.join(root, 'config/workload.json');
        fs.writeFileSync(file, insertProperty(fs.readFileSync(file, 'utf8'), ['applications'], declare[1]!, { owner: 'team-billing', description: 'By hand.' }));
      }
    }
  }

  async function secondRun(root: string, first: readonly Diagnostic[]): Promise<readonly Diagnostic[]> {
    followFixes(root, first);
    if (first.some((d) => /run `npx dynconf layout`/.test(d.fix ?? ''))) {
      const io = captureIO(root);
      expect(await main(['layout', '--root', root], io.io)).toBe(0);
    }
    return loadWorkspaceFromDisk(root, { today: TODAY }).diagnostics;
  }

  const starts: [string, (root: string) => void][] = [
    ['only its flags file', (root) => fs.writeFileSync(path.join(root, 'flags/billing.json'), '{ "flags": {} }\n')],
    ['only its ops folder, with a schema', (root) => {
      fs.mkdirSync(path.join(root, 'config/ops/billing'));
      fs.writeFileSync(path.join(root, 'config/ops/billing/schema.json'), JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', title: 't', type: 'object', properties: {} }));
    }],
    ['only its workload entry', (root) => {
      const file = path.join(root, 'config/workload.json');
      fs.writeFileSync(file, insertProperty(fs.readFileSync(file, 'utf8'), ['applications'], 'billing', { owner: 'team-billing', description: 'By hand.' }));
    }],
    ['its workload entry and an empty ops folder', (root) => {
      const file = path.join(root, 'config/workload.json');
      fs.writeFileSync(file, insertProperty(fs.readFileSync(file, 'utf8'), ['applications'], 'billing', { owner: 'team-billing', description: 'By hand.' }));
      fs.mkdirSync(path.join(root, 'config/ops/billing'));
    }],
  ];

  test.each(starts)('%s: the first run names it all, the second passes', async (_name, start) => {
    dir = copySample();
    start(dir);
    const first = loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics;
    expect(first.length).toBeGreaterThan(0);
    for (const d of first) expect(d.message.concat(d.fix ?? '')).toContain('billing');
    expect(await secondRun(dir, first)).toEqual([]);
  });

  test('the fix of an undeclared application says how to declare it, and mentions dynconf new app', () => {
    dir = copySample();
    fs.writeFileSync(path.join(dir, 'flags/billing.json'), '{ "flags": {} }\n');
    const [d] = loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics;
    expect(d).toMatchObject({ rule: 'flags/undeclared-application', file: 'flags/billing.json' });
    expect(d!.fix).toContain('to "applications" in config/workload.json');
    expect(d!.fix).toContain('npx dynconf new app billing --owner <team>');
    expect(d!.fix).not.toMatch(/did you mean|rename/);
  });
});
