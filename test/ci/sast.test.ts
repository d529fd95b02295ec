/**
 * SAST in the build: `npm test` runs `npm run lint` (eslint --max-warnings 0), and the
 * project's eslint.config.mjs must fail it on a planted security finding from each rule
 * family: eslint-plugin-security, eslint-plugin-no-unsanitized and typescript-eslint's
 * type-checked rules. The real tree linting clean is `npm run lint` itself.
 *
 * The planted files go into a scratch copy of the project's lint setup (its
 * eslint.config.mjs and tsconfig.json, node_modules linked), never into lib/: a file there
 * would break every other tsc and eslint run until it is gone. The real eslint binary lints
 * them, as `npm run lint` does.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/workspace';

/** What each planted file holds, and the rules that must report it: no more, no fewer. */
const PLANTED: Record<string, { code: string; rules: string[] }> = {
  // CLI code: the security rules, the type-checked promise rules. Its fs read of a user path
  // and its obj[key] are not findings (detect-non-literal-fs-filename is for lib/runtime/,
  // detect-object-injection is off: eslint.config.mjs says why).
  'lib/cli/planted.ts': {
    code: [
      "import { exec } from 'node:child_process';",
      "import * as fs from 'node:fs';",
      'export async function later(): Promise<void> {}',
      'export function run(input: string, table: Record<string, string>): string {',
      '  eval(input);',
      '  exec(`git log ${input}`);',
      "  new RegExp(input).test('x');",
      '  later();',
      '  [1].forEach(async () => { await later(); });',
      "  return fs.readFileSync(input, 'utf8') + table[input];",
      '}',
      '',
    ].join('\n'),
    rules: [
      'security/detect-eval-with-expression',
      'security/detect-child-process',
      'security/detect-non-literal-regexp',
      '@typescript-eslint/no-floating-promises',
      '@typescript-eslint/no-misused-promises',
    ],
  },
  // A server in lib/runtime/: a path from a request is a traversal.
  'lib/runtime/planted-server.ts': {
    code: ["import * as fs from 'node:fs';", 'export function serve(url: string): Buffer {', '  return fs.readFileSync(url);', '}', ''].join('\n'),
    rules: ['security/detect-non-literal-fs-filename'],
  },
  // The browser scripts: DOM sinks fed a variable.
  'lib/runtime/browser/planted.js': {
    code: ['export function show(html) {', '  document.body.innerHTML = html;', "  document.body.insertAdjacentHTML('beforeend', html);", '}', ''].join('\n'),
    rules: ['no-unsanitized/property', 'no-unsanitized/method'],
  },
  // TypeScript that builds a page is held to the same.
  'lib/runtime/planted-page.ts': {
    code: ['export function render(el: HTMLElement, html: string): void {', '  el.outerHTML = html;', '}', ''].join('\n'),
    rules: ['no-unsanitized/property'],
  },
  // The same source, written safely, is clean: the rules above fire on the pattern, not on
  // the file.
  'lib/runtime/planted-clean.ts': {
    code: [
      "import { execFile } from 'node:child_process';",
      'export async function later(): Promise<void> {}',
      'export async function run(input: string, el: HTMLElement): Promise<void> {',
      "  execFile('git', ['log', input]);",
      '  el.textContent = input;',
      '  await later();',
      '}',
      '',
    ].join('\n'),
    rules: [],
  },
};

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; line: number; message: string }[];
}

function lintPlanted(): { status: number | null; results: LintResult[]; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynconf-sast-'));
  try {
    fs.copyFileSync(path.join(REPO_ROOT, 'eslint.config.mjs'), path.join(dir, 'eslint.config.mjs'));
    fs.copyFileSync(path.join(REPO_ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    fs.mkdirSync(path.join(dir, 'lib/runtime/browser'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'lib/cli'), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'lib/runtime/browser/package.json'), path.join(dir, 'lib/runtime/browser/package.json'));
    for (const [file, { code }] of Object.entries(PLANTED)) fs.writeFileSync(path.join(dir, file), code);
    // The command `npm run lint` runs, on the scratch tree.
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/eslint/bin/eslint.js'), '--max-warnings', '0', '--format', 'json', '.'], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const results = r.stdout ? (JSON.parse(r.stdout) as LintResult[]) : [];
    return { status: r.status, results: results.map((x) => ({ ...x, filePath: path.relative(dir, x.filePath) })), stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('SAST in the build: the lint step fails on a planted finding from each rule family', () => {
  let lint: ReturnType<typeof lintPlanted>;
  beforeAll(() => {
    lint = lintPlanted();
  });

  test('eslint exits non-zero and every finding is an error, not a warning', () => {
    expect(lint.stderr).toBe('');
    expect(lint.status).toBe(1);
    const all = lint.results.flatMap((r) => r.messages);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((m) => m.severity !== 2)).toEqual([]);
  });

  test.each(Object.keys(PLANTED))('%s reports exactly the rules planted in it', (file) => {
    const result = lint.results.find((r) => r.filePath === file);
    expect(result).toBeDefined();
    // A parsing error (ruleId null) would mean the type-aware setup did not load the file.
    expect(result!.messages.filter((m) => m.ruleId === null)).toEqual([]);
    const rules = [...new Set(result!.messages.map((m) => m.ruleId))].sort();
    expect(rules).toEqual([...PLANTED[file]!.rules].sort());
  });
});

/** Source folders whose eslint-disable comments are held to the rule below. */
const SOURCE_DIRS = ['lib', 'bin', 'bench', 'test'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return rel === path.join('test', 'fixtures') ? [] : sourceFiles(rel);
    return /\.(ts|js|mjs)$/.test(e.name) ? [rel] : [];
  });
}

/** Comments that switch a rule off without naming it, for more than one line, or without saying why. */
function unexplainedDisables(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => /(\/\/|\/\*)\s*eslint-disable/.test(line) && !/^\/\/ eslint-disable-next-line [@\w/-]+(, [@\w/-]+)* -- \S/.test(line))
    .map(({ line, n }) => `${n}: ${line}`);
}

test('every exception is one line, names its rule and says why (eslint-disable-next-line <rule> -- <why>)', () => {
  const bad = SOURCE_DIRS.flatMap(sourceFiles).flatMap((file) =>
    unexplainedDisables(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')).map((l) => `${file}:${l}`),
  );
  expect(bad).toEqual([]);
});

test('the exception check refuses a blanket disable, a rule-less one and one without a reason', () => {
  // ED stands for the directive, so that this file's own strings are not directives.
  const c = (text: string) => text.replaceAll('ED', 'eslint-disable');
  expect(unexplainedDisables(c('/* ED */'))).toEqual([c('1: /* ED */')]);
  expect(unexplainedDisables(c('x;\n// ED-next-line\ny;'))).toEqual([c('2: // ED-next-line')]);
  expect(unexplainedDisables(c('// ED-next-line security/detect-unsafe-regex'))).toHaveLength(1);
  expect(unexplainedDisables(c('f(); // ED-line no-eval -- why'))).toHaveLength(1);
  expect(unexplainedDisables(c('// ED-next-line security/detect-unsafe-regex -- recheck proves it linear'))).toEqual([]);
  expect(unexplainedDisables(c("const s = 'ED is a word here';"))).toEqual([]);
});
