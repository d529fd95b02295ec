/**
 * The loader is total: no input bytes make it throw, every problem is located, nothing in
 * a config folder is dropped, and what validate approves is what compiles. Each test is
 * named after the class of input it closes (issue 10, items 1 and 2).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitTree } from '../../lib/cli/git-tree';
import { main } from '../../lib/cli/main';
import { diffLeaves, loadWorkspace, loadWorkspaceFromDisk, type Diagnostic, type SourceTree } from '../../lib/model';
import { DiskTree } from '../../lib/model/source';
import { captureIO, MINIMAL, rmrf, tempDir } from '../support/workspace';

const TODAY = '2026-11-21';

function workspace(edit: (dir: string) => void = () => {}): string {
  const dir = tempDir('dynconf-loader-');
  fs.cpSync(MINIMAL, dir, { recursive: true });
  edit(dir);
  return dir;
}

function write(dir: string, rel: string, content: string | object): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
}

function readJson(dir: string, rel: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8')) as Record<string, unknown>;
}

// Tests reach deep into parsed JSON to edit it; a loose type keeps each edit one line.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Loose = any;

function editJson(dir: string, rel: string, change: (v: Loose) => void): void {
  const v: Loose = readJson(dir, rel);
  change(v);
  write(dir, rel, v);
}

/** 1-based line of the first occurrence of `needle` in a file. */
function lineOf(dir: string, rel: string, needle: string): number {
  const text = fs.readFileSync(path.join(dir, rel), 'utf8');
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in ${rel}`);
  return text.slice(0, i).split('\n').length;
}

function errors(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}

function expectLocated(diags: readonly Diagnostic[]): void {
  for (const d of diags) {
    expect(d.file).toMatch(/^(config|flags)(\/|$)/);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.fix ?? '').not.toBe('');
    expect(d.rule).not.toBe('internal/unexpected');
  }
}

function load(dir: string) {
  return loadWorkspaceFromDisk(dir, { today: TODAY });
}

function opsDocument(dir: string, env: string): unknown {
  const result = load(dir);
  expect(errors(result.diagnostics)).toEqual([]);
  const doc = result.model!.documents.find((d) => d.environment === env && d.application === 'demo-app' && d.profile === 'ops')!;
  return JSON.parse(doc.content);
}

/** `dynconf validate --format json` prints JSON, exits 1, and every diagnostic is located. */
async function validateJson(dir: string): Promise<{ ok: boolean; diagnostics: Diagnostic[] }> {
  const cap = captureIO(dir);
  const code = await main(['validate', '--root', dir, '--format', 'json'], cap.io);
  expect(cap.err()).toBe('');
  const report = JSON.parse(cap.out()) as { ok: boolean; diagnostics: Diagnostic[] };
  expect(code).toBe(report.ok ? 0 : 1);
  return report;
}

describe('crashes in the loader', () => {
  test('loader: an invalid escape inside a key is a located error, not a crash', async () => {
    const dir = workspace((d) => write(d, 'flags/demo-app.json', fs.readFileSync(path.join(MINIMAL, 'flags/demo-app.json'), 'utf8').replace('"owner"', '"own\\qer"')));
    try {
      const result = load(dir);
      expect(result.model).toBeUndefined();
      const d = errors(result.diagnostics).find((x) => x.rule === 'json/syntax');
      expect(d).toMatchObject({ file: 'flags/demo-app.json', line: lineOf(dir, 'flags/demo-app.json', 'own\\qer') });
      expectLocated(result.diagnostics);
      const report = await validateJson(dir);
      expect(report.ok).toBe(false);
      expect(report.diagnostics.map((x) => x.rule)).toContain('json/syntax');
    } finally {
      rmrf(dir);
    }
  });

  test.each([
    ['an environment strategy', 'workload/unknown-strategy', (w: Loose) => (w.environments.beta.strategy = 'constructor')],
    ['a cluster reference', 'workload/unknown-cluster', (w: Loose) => (w.environments.beta.clusters = ['constructor'])],
    ['a pipeline stage', 'workload/unknown-environment', (w: Loose) => w.pipeline.stages.push('constructor')],
    ['a wave environment', 'workload/unknown-environment', (w: Loose) => w.pipeline.waves[0].environments.push('constructor')],
  ])('loader: a name that matches a built-in object member, as %s, is an unknown name, not a crash or a match', (_where, rule, change) => {
    const dir = workspace((d) => editJson(d, 'config/workload.json', change));
    try {
      const result = load(dir);
      expect(result.model).toBeUndefined();
      const d = errors(result.diagnostics).find((x) => x.rule === rule);
      expect(d).toMatchObject({ file: 'config/workload.json', line: lineOf(dir, 'config/workload.json', '"constructor"') });
      expectLocated(result.diagnostics);
    } finally {
      rmrf(dir);
    }
  });

  test.each(['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'])(
    'loader: a flag value or attribute named %s is checked as data, never as an Object.prototype member',
    async (name) => {
      const undeclared = workspace((d) => editJson(d, 'flags/demo-app.json', (f) => (f.flags['new-checkout'].default[name] = 1)));
      const required = workspace((d) =>
        editJson(d, 'flags/demo-app.json', (f) => {
          f.flags['new-checkout'].attributes[name] = { constraints: { type: 'string', required: true } };
        }),
      );
      try {
        const a = load(undeclared);
        expect(errors(a.diagnostics).map((x) => [x.rule, x.message])).toContainEqual(['flags/undeclared-attribute', expect.stringContaining(`'${name}'`)]);
        expectLocated(a.diagnostics);
        // `name in attributes` was true for an attribute never given: the required check passed.
        const b = load(required);
        expect(errors(b.diagnostics).map((x) => [x.rule, x.message])).toContainEqual(['flags/missing-required-attribute', `required attribute '${name}' has no value`]);
        expectLocated(b.diagnostics);
        expect((await validateJson(undeclared)).ok).toBe(false);
      } finally {
        rmrf(undeclared);
        rmrf(required);
      }
    },
  );

  test('loader: an ops key named like a built-in is merged as data and compiles to what was written', () => {
    const dir = workspace((d) => {
      editJson(d, 'config/ops/demo-app/schema.json', (s) => {
        s.properties.toString = { type: 'object' };
        s.properties.valueOf = { type: 'integer' };
      });
      editJson(d, 'config/ops/demo-app/default.json', (v) => (v.toString = { a: 1 }));
      editJson(d, 'config/ops/demo-app/prod-01.json', (v) => {
        v.toString = { b: 2 };
        v.valueOf = 3;
      });
    });
    try {
      expect(opsDocument(dir, 'prod-01')).toEqual({ logLevel: 'ERROR', timeoutMs: 2000, toString: { a: 1, b: 2 }, valueOf: 3 });
      expect(opsDocument(dir, 'beta')).toEqual({ logLevel: 'INFO', timeoutMs: 2000, toString: { a: 1 } });
    } finally {
      rmrf(dir);
    }
  });

  test('loader: an ops schema property named like a built-in is checked on own keys only', () => {
    // Ajv looked up data.valueOf and found Object.prototype's: a false type error when the
    // key is absent, and a `required` that passed without it.
    const dir = workspace((d) =>
      editJson(d, 'config/ops/demo-app/schema.json', (s) => {
        s.properties.valueOf = { type: 'integer' };
        s.required.push('toString');
        s.properties.toString = { type: 'string' };
      }),
    );
    try {
      const result = load(dir);
      const found = errors(result.diagnostics).map((d) => [d.rule, d.message]);
      expect(found.length).toBeGreaterThan(0);
      for (const f of found) expect(f).toEqual(['ops/schema', "missing required field 'toString'"]);
    } finally {
      rmrf(dir);
    }
  });

  test('loader: the semantic diff compares keys named like built-ins as data', () => {
    // `'toString' in {}` is true: the key looked present in the base, and show() of the
    // inherited function crashed `dynconf diff`.
    expect(diffLeaves({ a: 1 }, { a: 1, toString: 2 }, '')).toEqual([{ subject: 'toString', kind: 'added', detail: 'added: 2' }]);
    expect(diffLeaves({ valueOf: { x: 1 } }, {}, '')).toEqual([{ subject: 'valueOf', kind: 'removed', detail: 'removed (was {"x":1})' }]);
  });

  test('loader: an exception inside load becomes a diagnostic at the file being read, not a throw', () => {
    const disk = new DiskTree(MINIMAL);
    const broken: SourceTree = {
      label: 'broken',
      kind: (p) => disk.kind(p),
      problem: (p) => disk.problem(p),
      list: (p) => disk.list(p),
      read: (p) => {
        if (p === 'flags/demo-app.json') {
          // Not an Error, and no errno: the loader must still not throw.
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test: the loader must survive a thrown non-Error
          throw { toString: () => 'disk on fire' };
        }
        return disk.read(p);
      },
    };
    const result = loadWorkspace(broken, { today: TODAY });
    expect(result.model).toBeUndefined();
    expect(errors(result.diagnostics)).toEqual([expect.objectContaining({ file: 'flags/demo-app.json', line: 1, column: 1, rule: 'file/unreadable' })]);

    const throwing: SourceTree = { ...broken, kind: (p) => (p === 'config/layout.json' ? (() => { throw new TypeError('boom'); })() : disk.kind(p)) };
    const r2 = loadWorkspace(throwing, { today: TODAY });
    expect(errors(r2.diagnostics)).toContainEqual(expect.objectContaining({ file: 'config/layout.json', line: 1, rule: 'internal/unexpected', message: expect.stringContaining('TypeError: boom') }));
  });
});

describe('symbolic links and special files', () => {
  test('loader: a symlinked ops override inside the workspace is followed, not dropped', () => {
    const dir = workspace((d) => {
      write(d, 'config/shared/prod-ops.json', { logLevel: 'DEBUG', timeoutMs: 5000 });
      fs.rmSync(path.join(d, 'config/ops/demo-app/prod-01.json'));
      fs.symlinkSync('../../shared/prod-ops.json', path.join(d, 'config/ops/demo-app/prod-01.json'));
    });
    try {
      // Before: the link was dropped and prod got the defaults (INFO, 2000).
      expect(opsDocument(dir, 'prod-01')).toEqual({ logLevel: 'DEBUG', timeoutMs: 5000 });
    } finally {
      rmrf(dir);
    }
  });

  test('loader: a symlinked flags file inside the workspace is followed, with no "has no flags/x.json"', () => {
    const dir = workspace((d) => {
      fs.renameSync(path.join(d, 'flags/demo-app.json'), path.join(d, 'config/demo-flags.json'));
      fs.symlinkSync('../config/demo-flags.json', path.join(d, 'flags/demo-app.json'));
    });
    try {
      const result = load(dir);
      expect(errors(result.diagnostics)).toEqual([]);
      expect(result.model!.applications[0]!.flagKeys).toEqual(load(MINIMAL).model!.applications[0]!.flagKeys);
    } finally {
      rmrf(dir);
    }
  });

  test('loader: a symlinked folder inside the workspace is followed', () => {
    const dir = workspace((d) => {
      fs.renameSync(path.join(d, 'config/ops/demo-app'), path.join(d, 'config/demo-ops'));
      fs.symlinkSync('../demo-ops', path.join(d, 'config/ops/demo-app'));
    });
    try {
      expect(opsDocument(dir, 'prod-01')).toEqual({ logLevel: 'ERROR', timeoutMs: 2000 });
    } finally {
      rmrf(dir);
    }
  });

  test.each([
    ['an ops override', 'config/ops/demo-app/prod-01.json'],
    ['a flags file', 'flags/demo-app.json'],
    ['an ops schema', 'config/ops/demo-app/schema.json'],
    ['the workload file', 'config/workload.json'],
    ['an ops folder', 'config/ops/demo-app'],
    ['the flags folder', 'flags'],
  ])('loader: a symlink that leaves the workspace, as %s, is a located error', async (_what, rel) => {
    const outside = tempDir('dynconf-outside-');
    const dir = workspace((d) => {
      fs.cpSync(path.join(d, rel), path.join(outside, 'target'), { recursive: true });
      fs.rmSync(path.join(d, rel), { recursive: true });
      fs.symlinkSync(path.join(outside, 'target'), path.join(d, rel));
    });
    try {
      const result = load(dir);
      expect(result.model).toBeUndefined();
      expect(errors(result.diagnostics)).toContainEqual(expect.objectContaining({ file: rel, line: 1, column: 1, rule: 'file/symlink-outside' }));
      // Not the misleading consequence of a dropped file.
      expect(result.diagnostics.map((d) => d.rule)).not.toContain('flags/missing-file');
      expectLocated(result.diagnostics);
      const report = await validateJson(dir);
      expect(report.diagnostics.map((d) => d.rule)).toContain('file/symlink-outside');
    } finally {
      rmrf(dir);
      rmrf(outside);
    }
  });

  test.each([
    ['dangles', (link: string) => fs.symlinkSync('nowhere.json', link), 'file/symlink-dangling'],
    ['loops', (link: string) => fs.symlinkSync(path.basename(link), link), 'file/symlink-dangling'],
  ])('loader: a symlinked ops override that %s is a located error, never the defaults', (_how, make, rule) => {
    const rel = 'config/ops/demo-app/prod-01.json';
    const dir = workspace((d) => {
      fs.rmSync(path.join(d, rel));
      make(path.join(d, rel));
    });
    try {
      const result = load(dir);
      expect(result.model).toBeUndefined();
      expect(errors(result.diagnostics)).toEqual([expect.objectContaining({ file: rel, rule })]);
    } finally {
      rmrf(dir);
    }
  });

  const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
  (hasMkfifo ? test : test.skip)('loader: a FIFO where a .json is expected is a located error, and is never opened', () => {
    const rel = 'config/ops/demo-app/prod-01.json';
    const dir = workspace((d) => {
      fs.rmSync(path.join(d, rel));
      execFileSync('mkfifo', [path.join(d, rel)]);
    });
    try {
      // Reading a FIFO with no writer would block forever; reaching the assertion proves it is not read.
      const result = load(dir);
      expect(errors(result.diagnostics)).toEqual([expect.objectContaining({ file: rel, rule: 'file/not-regular', message: expect.stringContaining('FIFO') })]);
    } finally {
      rmrf(dir);
    }
  });

  describe('in a git ref (dynconf diff)', () => {
    function gitRepo(edit: (dir: string) => void): string {
      const dir = workspace(edit);
      const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
      git('init', '-q');
      git('config', 'core.symlinks', 'true');
      git('add', '-A');
      git('commit', '-q', '-m', 'base');
      return dir;
    }

    test('loader: a symlink in a git ref is followed like one on disk', () => {
      const dir = gitRepo((d) => {
        write(d, 'config/shared/prod-ops.json', { logLevel: 'DEBUG', timeoutMs: 5000 });
        fs.rmSync(path.join(d, 'config/ops/demo-app/prod-01.json'));
        fs.symlinkSync('../../shared/prod-ops.json', path.join(d, 'config/ops/demo-app/prod-01.json'));
        fs.renameSync(path.join(d, 'flags/demo-app.json'), path.join(d, 'config/demo-flags.json'));
        fs.symlinkSync('../config/demo-flags.json', path.join(d, 'flags/demo-app.json'));
      });
      try {
        const fromGit = loadWorkspace(new GitTree(dir, 'HEAD'), { today: TODAY });
        const fromDisk = load(dir);
        expect(errors(fromGit.diagnostics)).toEqual([]);
        const contents = (r: typeof fromGit) => r.model!.documents.map((d) => [d.environment, d.application, d.profile, d.content]);
        expect(contents(fromGit)).toEqual(contents(fromDisk));
        const prod = fromGit.model!.documents.find((d) => d.environment === 'prod-01' && d.profile === 'ops')!;
        expect(JSON.parse(prod.content)).toEqual({ logLevel: 'DEBUG', timeoutMs: 5000 });
      } finally {
        rmrf(dir);
      }
    });

    test.each([
      ['leaves the workspace', '../../../../etc/hostname', 'file/symlink-outside'],
      ['is absolute', '/etc/hostname', 'file/symlink-outside'],
      ['dangles', 'nowhere.json', 'file/symlink-dangling'],
    ])('loader: a symlink in a git ref that %s is a located error; its text is never read as JSON', (_how, target, rule) => {
      const rel = 'config/ops/demo-app/prod-01.json';
      const dir = gitRepo((d) => {
        fs.rmSync(path.join(d, rel));
        fs.symlinkSync(target, path.join(d, rel));
      });
      try {
        const result = loadWorkspace(new GitTree(dir, 'HEAD'), { today: TODAY });
        expect(errors(result.diagnostics)).toEqual([expect.objectContaining({ file: rel, line: 1, rule })]);
      } finally {
        rmrf(dir);
      }
    });
  });
});

describe('numbers JSON would change', () => {
  test.each([
    ['a flag value', 'flags/demo-app.json', (t: string) => t.replace('"rolloutPercent": 100', '"rolloutPercent": 1e400'), '1e400'],
    ['an attribute constraint', 'flags/demo-app.json', (t: string) => t.replace('"maximum": 100', '"maximum": 1e400'), '1e400'],
    ['a negative attribute constraint', 'flags/demo-app.json', (t: string) => t.replace('"minimum": 0', '"minimum": -1e400'), '-1e400'],
    ['the ops schema', 'config/ops/demo-app/schema.json', (t: string) => t.replace('"maximum": 60000', '"maximum": 1e309'), '1e309'],
    ['an ops value', 'config/ops/demo-app/prod-01.json', (t: string) => t.replace('"ERROR"', '"ERROR", "timeoutMs": 2e999'), '2e999'],
    ['workload.json', 'config/workload.json', (t: string) => t.replace('"growthFactor": 100', '"growthFactor": 1e400'), '1e400'],
    ['config/layout.json', 'config/layout.json', (t: string) => t.replace(/"demo-app": 1/, '"demo-app": 1e400'), '1e400'],
  ])('loader: a non-finite number in %s is a located error, not a null in the output', async (_where, rel, change, literal) => {
    const dir = workspace((d) => write(d, rel, change(fs.readFileSync(path.join(d, rel), 'utf8'))));
    try {
      const result = load(dir);
      expect(result.model).toBeUndefined();
      const d = errors(result.diagnostics).find((x) => x.rule === 'json/non-finite-number');
      expect(d).toMatchObject({ file: rel, line: lineOf(dir, rel, literal), message: expect.stringContaining(literal) });
      expect(d!.fix).toContain('write a finite number');
      expect(d!.field).toBeTruthy();
      expectLocated(result.diagnostics);
      expect((await validateJson(dir)).ok).toBe(false);
    } finally {
      rmrf(dir);
    }
  });

  test.each(['12345678901234567891', '9007199254740993', '-9007199254740993'])('loader: an integer the compiled JSON would change (%s) is a located error', (literal) => {
    const rel = 'config/ops/demo-app/prod-01.json';
    const dir = workspace((d) => write(d, rel, `{ "logLevel": "ERROR",\n  "big": ${literal} }\n`));
    try {
      const result = load(dir);
      expect(errors(result.diagnostics)).toContainEqual(expect.objectContaining({ file: rel, line: 2, rule: 'json/imprecise-integer', field: 'big', message: expect.stringContaining(literal) }));
    } finally {
      rmrf(dir);
    }
  });

  test('loader: a fraction with more digits than a double keeps is a warning that says what is deployed', () => {
    const rel = 'config/ops/demo-app/prod-01.json';
    const dir = workspace((d) => write(d, rel, '{ "logLevel": "ERROR", "timeoutMs": 2000.00000000000000000001 }\n'));
    try {
      const result = load(dir);
      expect(result.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', file: rel, rule: 'json/imprecise-number', message: expect.stringContaining('deployed as 2000') }));
    } finally {
      rmrf(dir);
    }
  });

  test('loader: every number validate accepts compiles to the value written', () => {
    // Exact doubles, however written: large exact integers, exponents, -0, long but exact fractions.
    // -0 is written as 0: the same JSON number (see the README's number policy).
    const values = { a: 1e300, b: 1152921504606847000, c: 0, d: 0.1, e: 123456789.125, f: 5e-324, g: 1.7976931348623157e308, h: 9007199254740991 };
    const text = '{ "logLevel": "ERROR", "a": 1e300, "b": 1152921504606847000, "c": -0, "d": 0.1000, "e": 123456789.125, "f": 5e-324, "g": 1.7976931348623157e308, "h": 9007199254740991 }';
    const dir = workspace((d) => {
      editJson(d, 'config/ops/demo-app/schema.json', (s) => {
        for (const k of Object.keys(values)) s.properties[k] = { type: 'number' };
      });
      write(d, 'config/ops/demo-app/prod-01.json', text);
    });
    try {
      const result = load(dir);
      expect(result.diagnostics).toEqual([]);
      const compiled = opsDocument(dir, 'prod-01') as Record<string, number>;
      expect(compiled).toEqual({ logLevel: 'ERROR', timeoutMs: 2000, ...values });
      for (const [k, v] of Object.entries(values)) expect(compiled[k]).toBe(v);
    } finally {
      rmrf(dir);
    }
  });
});

describe('a quick property: no bytes make the loader throw', () => {
  test('loader: random edits to every file give located diagnostics only', () => {
    const files = ['config/workload.json', 'flags/demo-app.json', 'config/ops/demo-app/schema.json', 'config/ops/demo-app/default.json', 'config/ops/demo-app/prod-01.json', 'config/layout.json'];
    const originals = new Map(files.map((f) => [f, fs.readFileSync(path.join(MINIMAL, f), 'utf8')]));
    const tokens = ['"log\\qLevel"', '1e400', '-1e400', '"\\u12"', '"toString"', '"__proto__"', '"constructor"', '"hasOwnProperty"', '{', '}', '[', ']', ',', ':', '"', '\\', '12345678901234567890', '1e-400', '-0', 'null', '\u0000', '\uFFFF'];
    let seed = 20261121;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const memory = (content: Map<string, string>): SourceTree => {
      const dirs = (p: string) => [...content.keys()].filter((k) => k.startsWith(`${p}/`));
      return {
        label: 'memory',
        kind: (p) => (content.has(p) ? 'file' : dirs(p).length ? 'directory' : undefined),
        problem: () => undefined,
        list: (p) => {
          const names = new Map<string, 'file' | 'directory'>();
          for (const k of dirs(p)) {
            const rest = k.slice(p.length + 1);
            names.set(rest.split('/')[0]!, rest.includes('/') ? 'directory' : 'file');
          }
          return names.size ? [...names].map(([name, kind]) => ({ name, kind })).sort((a, b) => (a.name < b.name ? -1 : 1)) : undefined;
        },
        read: (p) => Buffer.from(content.get(p)!),
      };
    };
    for (let i = 0; i < 300; i++) {
      const content = new Map(originals);
      const file = files[random(files.length)]!;
      let text = content.get(file)!;
      for (let k = 0; k <= random(3); k++) {
        const at = random(text.length);
        const token = tokens[random(tokens.length)]!;
        text = random(2) ? text.slice(0, at) + token + text.slice(at) : text.slice(0, at) + token + text.slice(at + token.length);
      }
      content.set(file, text);
      const result = loadWorkspace(memory(content), { today: TODAY });
      for (const d of result.diagnostics) {
        expect(d.rule).not.toBe('internal/unexpected');
        expect(d.line).toBeGreaterThanOrEqual(1);
      }
      if (result.model) for (const d of result.model.documents) expect(d.content).not.toContain('null');
    }
  });
});
