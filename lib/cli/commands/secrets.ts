/**
 * `dynconf secrets <file...>`: secretlint on the given files, in this process. The
 * pre-commit hook runs it on the staged files (.lintstagedrc.js).
 *
 * Why not the secretlint CLI there: it spends 1.2-1.5 s starting (its formatters and file
 * search), longer than everything else the hook does, for a scan of a few files that takes
 * milliseconds. This verb runs the same engine the CLI runs (@secretlint/core's lintSource),
 * with the configuration the CLI would load (@secretlint/config-loader: .secretlintrc.* in
 * the repository root) and the same ignore rules (.secretlintignore, gitignore syntax, and
 * the CLI's own defaults), with secrets masked in what it prints. `npm test` and the
 * pipeline still run the secretlint CLI over every file (`npm run secretlint`);
 * test/cli/secrets.test.ts runs both on the same planted files and requires the same findings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ConfigLoader from '@secretlint/config-loader';
import type * as Core from '@secretlint/core';
import type { SecretLintCoreConfig } from '@secretlint/types';
import ignore from 'ignore';
import { requireEsModule } from '../../model/module-loading';
import { CommandError, EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { ROOT_OPTION, workspaceRoot } from '../workspace';

/** What secretlint's CLI never scans, whatever .secretlintignore says (secretlint/module/search.js). */
const ALWAYS_IGNORED = ['.git/', 'node_modules/', '.secretlintrc', '.secretlintrc.json', '.secretlintrc.yaml', '.secretlintrc.yml', '.secretlintrc.js', '.secretlintignore*'];
const IGNORE_FILE = '.secretlintignore';

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly ruleId: string;
  readonly severity: string;
}

export const secretsCommand: Command = {
  name: 'secrets',
  summary: "scan files for secrets with secretlint's engine and the repository's .secretlintrc (the pre-commit hook's scan)",
  usage: `usage: dynconf secrets [--root <dir>] <file>...

Runs secretlint's rules, as .secretlintrc.* in the root configures them, on each file
given, skipping what .secretlintignore (and secretlint itself) ignores. Prints one line
per finding, with the secret masked:
  <file>:<line>:<col> <severity> <message> (<rule>)
A symbolic link is scanned as git commits it: its target path, not the target's content.
Exit 0 when nothing is found, 1 when something is, 2 on a usage error. The pre-commit
hook passes the staged files; \`npm run secretlint\` scans the whole repository with the
secretlint CLI.`,
  options: { ...ROOT_OPTION },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give the files to scan (the pre-commit hook passes the staged ones)');
    const root = workspaceRoot(args, io);
    const ignored = ignoreRules(root);
    const files = args.positionals.map((f) => path.resolve(io.cwd, f)).filter((abs) => {
      const rel = path.relative(root, abs);
      // Outside the root: nothing in the root's ignore file applies to it, so it is scanned.
      return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel) || !ignored.ignores(rel.split(path.sep).join('/'));
    });
    if (files.length === 0) {
      io.stdout.write(`dynconf secrets: ${args.positionals.length} file${args.positionals.length === 1 ? '' : 's'}, all ignored by ${IGNORE_FILE}\n`);
      return EXIT_OK;
    }
    // Loaded only by this verb, and only when there is something to scan.
    const { lintSource } = requireEsModule<typeof Core>('@secretlint/core');
    let config: SecretLintCoreConfig;
    try {
      config = plainJsonConfig(root) ?? (await requireEsModule<typeof ConfigLoader>('@secretlint/config-loader').loadConfig({ cwd: root })).config;
    } catch (e) {
      throw new CommandError(`cannot load the secretlint configuration of ${root}: ${(e as Error).message.split('\n')[0]}; fix .secretlintrc.json (https://github.com/secretlint/secretlint#configuration)`);
    }
    const findings: Finding[] = [];
    for (const file of files) {
      let content: string;
      try {
        content = committedText(file);
      } catch (e) {
        throw new CommandError(`cannot read ${path.relative(io.cwd, file) || file}: ${(e as Error).message}`);
      }
      const result = await lintSource({
        source: { filePath: file, content, ext: path.extname(file), contentType: 'text' },
        options: { config, maskSecrets: true },
      });
      // Every message fails, whatever its severity, as in secretlint's CLI (@secretlint/node: ok = no messages).
      for (const m of result.messages) {
        findings.push({ file: path.relative(io.cwd, file) || file, line: m.loc.start.line, column: m.loc.start.column + 1, message: m.message, ruleId: m.ruleId, severity: m.severity });
      }
    }
    for (const f of findings) io.stdout.write(`${f.file}:${f.line}:${f.column} ${f.severity} ${f.message} (${f.ruleId})\n`);
    io.stdout.write(`dynconf secrets: ${findings.length === 0 ? 'no secrets' : `${findings.length} secret${findings.length === 1 ? '' : 's'}`} in ${files.length} file${files.length === 1 ? '' : 's'}${findings.length ? '; remove them (a secret belongs in a secret store, not in git), or mark a false positive in .secretlintignore' : ''}\n`);
    return findings.length === 0 ? EXIT_OK : EXIT_FAILURE;
  },
};

/**
 * What git commits for a path: a file's bytes, or a symbolic link's own text (its target
 * path), never what it points to. So a staged link to a missing file is scanned, not an error
 * that blocks the commit, and a link's target outside the repository, which is not committed,
 * is not read. (The secretlint CLI follows links, and fails on a broken one.)
 */
function committedText(file: string): string {
  return fs.lstatSync(file).isSymbolicLink() ? fs.readlinkSync(file, 'utf8') : fs.readFileSync(file, 'utf8');
}

/** .secretlintignore of the root (gitignore syntax, as secretlint's file search reads it) and secretlint's own defaults. */
function ignoreRules(root: string): ReturnType<typeof ignore> {
  const rules = ignore().add(ALWAYS_IGNORED);
  const file = path.join(root, IGNORE_FILE);
  if (fs.existsSync(file)) rules.add(fs.readFileSync(file, 'utf8'));
  return rules;
}

/**
 * A rule entry's values of the types secretlint's loader accepts. @secretlint/core itself
 * checks none: it skips a rule whose `disabled` is any truthy value, the string "false"
 * included, so such an entry must go to the loader, which rejects it.
 */
function plainRuleValues(entry: Record<string, unknown>): boolean {
  const { disabled, severity, allowMessageIds, options } = entry;
  return (
    (disabled === undefined || typeof disabled === 'boolean') &&
    (severity === undefined || severity === 'info' || severity === 'warning' || severity === 'error') &&
    (allowMessageIds === undefined || (Array.isArray(allowMessageIds) && allowMessageIds.every((m) => typeof m === 'string'))) &&
    (options === undefined || isObject(options))
  );
}

/** Where secretlint's loader (rc-config-loader) looks in a folder, in its order, before .secretlintrc.json. */
const CONFIG_FILES_BEFORE_JSON = ['.secretlintrc.cjs', '.secretlintrc.js'];
/** A full rule package name, which secretlint's loader uses as it is (a short name it expands). */
// eslint-disable-next-line security/detect-unsafe-regex -- linear: the optional scope ends at its one '/', and the rest is one character class
const RULE_PACKAGE = /^(@[\w.-]+\/)?secretlint-rule-[\w.-]+$/;
const RULE_KEYS = new Set(['id', 'options', 'disabled', 'severity', 'allowMessageIds']);
const PRESET_KEYS = new Set([...RULE_KEYS, 'rules']);

/**
 * The configuration secretlint's loader would build from the root's .secretlintrc.json, when
 * that file is the plain kind this repository has: strict JSON, `rules` (and `sharedOptions`)
 * only, each rule a package named secretlint-rule-* (found where secretlint's loader finds them). That loader and its
 * checks (Ajv, rc-config-loader, JSON5, YAML) cost more to load than the whole scan, on every
 * commit. Anything else (another config file first in the loader's order, comments, short rule
 * names, keys this does not know) returns undefined and goes to secretlint's own loader, which
 * reads every form and reports every mistake. Built as @secretlint/config-loader builds it
 * (loadPackagesFromConfigDescriptor); test/cli/secrets.test.ts compares the findings with the
 * secretlint CLI's under several configurations.
 */
export function plainJsonConfig(root: string): SecretLintCoreConfig | undefined {
  if (CONFIG_FILES_BEFORE_JSON.some((f) => fs.existsSync(path.join(root, f)))) return undefined;
  let descriptor: unknown;
  try {
    descriptor = JSON.parse(fs.readFileSync(path.join(root, '.secretlintrc.json'), 'utf8'));
  } catch {
    return undefined; // absent, or JSON5 that only secretlint's loader reads
  }
  if (!isObject(descriptor) || !Object.keys(descriptor).every((k) => k === 'rules' || k === 'sharedOptions') || !Array.isArray(descriptor.rules)) return undefined;
  if (descriptor.sharedOptions !== undefined && !isObject(descriptor.sharedOptions)) return undefined;
  const rules: SecretLintCoreConfig['rules'][number][] = [];
  for (const entry of descriptor.rules as unknown[]) {
    if (!isObject(entry) || typeof entry.id !== 'string' || !RULE_PACKAGE.test(entry.id)) return undefined;
    if (!Object.keys(entry).every((k) => PRESET_KEYS.has(k)) || !plainRuleValues(entry)) return undefined;
    let resolved: string;
    try {
      // From dynconf's node_modules, as secretlint's loader resolves rules from its own.
      resolved = require.resolve(entry.id);
    } catch {
      return undefined;
    }
    const creator = (requireEsModule<{ creator?: { meta?: { type?: string } } }>(resolved)).creator;
    if (!creator) return undefined;
    if (creator.meta?.type === 'preset') {
      const inner = entry.rules;
      // secretlint's loader refuses a severity or allowMessageIds on a preset itself.
      if (entry.severity !== undefined || entry.allowMessageIds !== undefined) return undefined;
      if (inner !== undefined && !(Array.isArray(inner) && inner.every((r) => isObject(r) && typeof r.id === 'string' && Object.keys(r).every((k) => RULE_KEYS.has(k)) && plainRuleValues(r)))) return undefined;
      rules.push({ id: entry.id, rule: creator, rules: (inner as Record<string, unknown>[] | undefined)?.map((r) => ({ ...r, type: 'rule' })), options: entry.options, disabled: entry.disabled } as never);
    } else {
      if (entry.rules !== undefined) return undefined;
      rules.push({ id: entry.id, rule: creator, options: entry.options, severity: entry.severity, disabled: entry.disabled, allowMessageIds: entry.allowMessageIds } as never);
    }
  }
  return { sharedOptions: descriptor.sharedOptions, rules } as SecretLintCoreConfig;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
