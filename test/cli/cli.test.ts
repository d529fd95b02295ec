import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk } from '../../lib/model';
import { captureIO, MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

async function run(args: string[], cwd = REPO_ROOT) {
  const cap = captureIO(cwd);
  const code = await main(args, cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

describe('usage', () => {
  test('no command prints the overview and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/validate\s+check config/);
  });

  test.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['validate', '--format', 'yaml'], '--format must be one of text, json'],
    [['validate', '--colour'], "unknown option '--colour' (validate takes --root, --strict, --format)"],
    [['diff'], '--base is required'],
  ])('%j exits 2 with a reason and the usage', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('validate', () => {
  test('the sample is clean: exit 0', async () => {
    const r = await run(['validate']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('dynconf validate: no problems');
  });

  test("the sample's flags expire at least 30 days from today, so the repository's own CI does not start failing on a date", () => {
    // validate warns 14 days ahead and --strict fails after `expires`; the sample is what
    // npm test, npm run main and the pipeline validate, so its dates must stay ahead of today.
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const dir = path.join(REPO_ROOT, 'flags');
    const tooSoon = fs.readdirSync(dir).flatMap((file) => {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { flags: Record<string, { expires?: string }> };
      return Object.entries(doc.flags)
        .filter(([, flag]) => flag.expires !== undefined && flag.expires < soon)
        .map(([key, flag]) => `flags/${file} ${key} expires ${flag.expires}: move it out (and the README's examples that show it)`);
    });
    expect(tooSoon).toEqual([]);
  });

  test('--format json reports counts and diagnostics', async () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'flags/demo-app.json'), '{"flags": {"x": {"name": "X", "default": {"enabled": "no"}}}}');
      const r = await run(['validate', '--root', dir, '--format', 'json']);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.out) as { ok: boolean; errors: number; diagnostics: { file: string; line: number; column: number; rule: string }[] };
      expect(report.ok).toBe(false);
      expect(report.errors).toBe(1);
      expect(report.diagnostics[0]).toMatchObject({ file: 'flags/demo-app.json', line: 1, column: 54, rule: 'flags/schema' });
    } finally {
      rmrf(dir);
    }
  });
});

describe('build', () => {
  test('writes every document byte for byte, and replaces the previous output whole', async () => {
    const out = tempDir();
    try {
      fs.writeFileSync(path.join(out, 'stale.json'), '{}');
      const r = await run(['build', '--out', out]);
      expect(r.code).toBe(0);
      const { model } = loadWorkspaceFromDisk(REPO_ROOT);
      for (const d of model!.documents) {
        expect(fs.readFileSync(path.join(out, d.environment, d.application, `${d.profile}.json`), 'utf8')).toBe(d.content);
      }
      expect(fs.existsSync(path.join(out, 'stale.json'))).toBe(false);
      expect(fs.readdirSync(path.dirname(out)).filter((n) => n.startsWith(`${path.basename(out)}.tmp-`))).toEqual([]);
    } finally {
      rmrf(out);
    }
  });

  test('an invalid workspace leaves the previous output untouched', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'dist');
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      expect((await run(['build', '--root', dir, '--out', out])).code).toBe(0);
      const before = fs.readFileSync(path.join(out, 'beta/demo-app/flags.json'), 'utf8');
      fs.writeFileSync(path.join(dir, 'config/ops/demo-app/beta.json'), '{"logLevel": "LOUD"}');
      const r = await run(['build', '--root', dir, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('config/ops/demo-app/beta.json:1:14 error');
      expect(fs.readFileSync(path.join(out, 'beta/demo-app/flags.json'), 'utf8')).toBe(before);
    } finally {
      rmrf(dir);
    }
  });
});

describe('diff against a git ref', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString();

  beforeEach(() => {
    repo = tempDir();
    fs.cpSync(MINIMAL, repo, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'empty');
    git('add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--no-verify', '-m', 'base');
  });
  afterEach(() => rmrf(repo));

  // Test edits reach deep into known fixture shapes; typing each path would add nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  type Loose = Record<string, any>;
  function edit(file: string, change: (v: Loose) => void): void {
    const p = path.join(repo, file);
    const v = JSON.parse(fs.readFileSync(p, 'utf8')) as Loose;
    change(v);
    fs.writeFileSync(p, JSON.stringify(v, null, 2));
  }

  test('no change says so', async () => {
    const r = await run(['diff', '--base', 'HEAD', '--root', repo]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('No changes against HEAD.\n');
  });

  test('toggles, attributes, variants, exposure and ops keys per environment, in pipeline order', async () => {
    edit('flags/demo-app.json', (f) => {
      f.flags['new-checkout'].environments['prod-01'] = { enabled: true, rolloutPercent: 5 };
      f.flags['dark-mode'].default.variants[0].rule = '(eq $tier "max")';
      f.flags['new-checkout'].exposure = 'browser';
      f.flags['fresh-flag'] = { name: 'Fresh', default: { enabled: true } };
    });
    edit('config/ops/demo-app/prod-01.json', (o) => {
      o.timeoutMs = 900;
    });
    const text = await run(['diff', '--base', 'HEAD', '--root', repo]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('prod-01: demo-app new-checkout: enabled false -> true');
    expect(text.out).toContain('prod-01: demo-app new-checkout: rolloutPercent added: 5');
    expect(text.out).toContain('beta: demo-app dark-mode: variant \'pro\' rule "(eq $tier \\"pro\\")" -> "(eq $tier \\"max\\")"');
    expect(text.out).toContain('gamma: demo-app [browser] new-checkout: exposure server -> browser');
    expect(text.out).toContain('prod-01: demo-app [ops] timeoutMs: 2000 -> 900');
    expect(text.out).toContain('beta: demo-app fresh-flag: added: enabled true');
    expect(text.out).not.toContain('prod-01: demo-app [ops] logLevel');
    // beta (step 1) comes before prod-01 (step 3), and the summary names the first step reached.
    expect(text.out.indexOf('beta (stage beta, step 1 of 3)')).toBeLessThan(text.out.indexOf('prod-01 (wave prod-wave-1, step 3 of 3)'));
    expect(text.out).toMatch(/reaches beta \(stage beta\) first\.\n$/);

    const md = await run(['diff', '--base', 'HEAD', '--root', repo, '--format', 'markdown']);
    expect(md.out).toContain('| 3. wave `prod-wave-1` | `prod-01` |');
    expect(md.out).toContain('<details><summary><b>prod-01</b>');

    const json = JSON.parse((await run(['diff', '--base', 'HEAD', '--root', repo, '--format', 'json'])).out) as { environments: { environment: string }[] };
    expect(json.environments.map((e) => e.environment)).toEqual(['beta', 'gamma', 'prod-01']);
  });

  test('an unknown ref is a clear failure', async () => {
    const r = await run(['diff', '--base', 'no-such-branch', '--root', repo]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("git rev-parse failed for 'no-such-branch'");
  });
});

describe('the installed binary', () => {
  const bin = path.join(REPO_ROOT, 'bin/dynconf.ts');
  const exec = (args: string[], cwd = REPO_ROOT) => spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], { cwd, encoding: 'utf8' });

  test('exit codes: 0 clean, 1 invalid, 2 usage; never a stack trace', () => {
    expect(exec(['validate']).status).toBe(0);
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config/workload.json'), '{"workload": ');
      const bad = exec(['validate', '--root', dir]);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('config/workload.json:1:14 error file ends before the JSON value is complete');
      expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmrf(dir);
    }
    expect(exec(['validate', '--nope']).status).toBe(2);
  });
});
