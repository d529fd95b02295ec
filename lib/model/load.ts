/**
 * load -> validate -> compile. The only code in dynconf that reads config/ and flags/.
 */
import { canonicalJson } from './canonical';
import { recordDocumentBytes } from './capacity';
import { didYouMean, Diagnostics, unknownNameFix, type Diagnostic } from './diagnostics';
import { FeatureFlagsWriter, isBrowserFlag, resolveFlags, type ResolvedFlag } from './flags';
import { checkLayoutApplications, checkPartsWithinBudget, checkSlicesFit, LAYOUT_FILE, readLayout, type StackLayout } from './layout';
import { MAX_DOCUMENT_BYTES, type ApplicationModel, type ConfigDocument, type Model, type ProfileName } from './model';
import { checkOpsEnvironment, compileOpsSchema, overlay, withoutSchemaKey, type OpsSchema } from './ops';
import { checkServiceQuotas } from './quotas';
import { checkFormat, type CompiledSchemaCache } from './schema-check';
import { scanForSecrets } from './secrets';
import { DiskTree, parseFile, reportOther, type DirEntry, type JsonFile, type SourceTree } from './source';
import { applicationNamePattern, oneLine, starterOpsDefault, starterOpsSchema } from './starter';
import type { FlagsFileConfig, WorkloadConfig } from './types';
import { checkWorkload, pipelineSteps } from './workload';

export const WORKLOAD_FILE = 'config/workload.json';
export const FLAGS_DIR = 'flags';
export const OPS_DIR = 'config/ops';

export interface LoadOptions {
  /** Expired flags, and prod environments without synthetic traffic, become errors instead of warnings. */
  readonly strict?: boolean;
  /** Today's date for expiry checks; defaults to the real one (UTC). */
  readonly today?: string;
  /**
   * Load without config/layout.json, for `dynconf layout`, which writes it: the model's
   * layout is then empty and the parts are not checked against the template budgets
   * (each application's documents still are).
   */
  readonly withoutLayout?: boolean;
  /**
   * Compiled ops-schema validators kept between runs (the CLI's: lib/cli/schema-cache.ts).
   * Without it every distinct schema is compiled, as CI and synth always do.
   */
  readonly compiledSchemaCache?: CompiledSchemaCache;
}

export interface LoadResult {
  /** Present only when there is no error. */
  readonly model?: Model;
  readonly diagnostics: readonly Diagnostic[];
}

export function loadWorkspaceFromDisk(root: string, options: LoadOptions = {}): LoadResult {
  return loadWorkspace(new DiskTree(root), options);
}

/**
 * Load, validate and compile a workspace. Total: it returns diagnostics for any bytes in
 * any file and never throws. Every known problem is reported where it is written; should
 * a check still throw (a bug in dynconf), the error is reported at the file that was being
 * read, so the CLI prints a located line and `--format json` stays JSON, and a running
 * local agent keeps its last good version.
 */
export function loadWorkspace(tree: SourceTree, options: LoadOptions = {}): LoadResult {
  const tracked = new TrackingTree(tree);
  const diags = new Diagnostics();
  try {
    return loadChecked(tracked, options, diags);
  } catch (e) {
    const file = tracked.current ?? WORKLOAD_FILE;
    diags.error({ file, line: 1, column: 1 }, 'internal/unexpected', `dynconf failed while checking this file: ${describeError(e)}`, {
      fix: 'this is a bug in dynconf: please report it with this file; meanwhile, look for an unusual construct in the file (a key or value that names a JavaScript built-in, a very large number)',
    });
    return { diagnostics: diags.all };
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return String(e);
  } catch {
    return 'an unprintable value was thrown';
  }
}

/**
 * Remembers the last path the loader touched, to locate an unexpected failure; and what
 * each listing said, for the length of one load. By SourceTree's contract an entry listed
 * as a file or a directory has that kind and no problem, so asking again (the loader asks
 * for every file it reads) would only repeat the filesystem calls: a link followed, a
 * real path resolved, per file. Entries of kind `other` are always asked.
 */
class TrackingTree implements SourceTree {
  current: string | undefined;
  private readonly listed = new Map<string, 'file' | 'directory'>();
  constructor(private readonly inner: SourceTree) {}
  get label(): string {
    return this.inner.label;
  }
  kind(relPath: string) {
    this.current = relPath;
    return this.listed.get(relPath) ?? this.inner.kind(relPath);
  }
  problem(relPath: string) {
    return this.listed.has(relPath) ? undefined : this.inner.problem(relPath);
  }
  list(relDir: string) {
    this.current = relDir;
    const entries = this.inner.list(relDir);
    for (const e of entries ?? []) if (e.kind !== 'other') this.listed.set(relDir ? `${relDir}/${e.name}` : e.name, e.kind);
    return entries;
  }
  read(relPath: string) {
    this.current = relPath;
    return this.inner.read(relPath);
  }
}

function loadChecked(tree: SourceTree, options: LoadOptions, diags: Diagnostics): LoadResult {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const strict = options.strict ?? false;

  const workloadJson = readJson(tree, WORKLOAD_FILE, diags);
  let workload: WorkloadConfig | undefined;
  if (workloadJson) {
    scanForSecrets(workloadJson, diags);
    if (checkFormat(workloadJson, 'workload', diags)) {
      workload = workloadJson.value as WorkloadConfig;
      checkWorkload(workloadJson, workload, diags, { strict });
      checkServiceQuotas(workloadJson, workload, diags);
    }
  }
  const environments = workload ? Object.keys(workload.environments) : undefined;
  const appNames = workload ? Object.keys(workload.applications) : undefined;

  const found: Found = { flagsFiles: new Set(), opsDirs: new Set(), undeclared: new Map() };
  const flagsByApp = loadFlags(tree, diags, { environments, appNames, today, strict, workloadJson, found });
  const opsByApp = loadOps(tree, diags, { environments, appNames, workloadJson, found }, options.compiledSchemaCache);
  const layoutJson = options.withoutLayout ? undefined : readLayout(tree, diags);
  // `dynconf layout` needs a workspace that compiles: when something else is broken, its fix says so.
  const othersFailing = diags.hasErrors();
  const layout: StackLayout | undefined = options.withoutLayout ? { parts: {} } : layoutJson && appNames && workloadJson ? checkLayoutApplications(layoutJson, appNames, workloadJson, diags, { othersFailing }) : undefined;
  if (appNames) reportUndeclaredApplications(found, appNames, layoutJson, diags);

  if (!workload || !environments || diags.hasErrors()) return { diagnostics: diags.all };

  const documents: ConfigDocument[] = [];
  const applications: ApplicationModel[] = [];
  for (const [app, appConfig] of Object.entries(workload.applications)) {
    const flags = flagsByApp.get(app)!;
    const ops = opsByApp.get(app)!;
    const browserFlags = flags.filter(isBrowserFlag);
    const profiles: ProfileName[] = ['flags', 'ops', ...(browserFlags.length ? (['browser'] as const) : [])];
    applications.push({
      name: app,
      owner: appConfig.owner,
      description: appConfig.description,
      flagKeys: flags.map((f) => f.key),
      browserFlagKeys: browserFlags.map((f) => f.key),
      profiles,
      opsSchema: ops.schema.content,
    });
    const flagsWriter = new FeatureFlagsWriter(flags);
    const browserWriter = new FeatureFlagsWriter(browserFlags);
    for (const env of environments) {
      const opsValue = ops.values.get(env);
      const writers: Record<ProfileName, { bytes: () => number; render: () => string }> = {
        flags: { bytes: () => flagsWriter.byteLength(env), render: () => flagsWriter.content(env) },
        ops: { bytes: () => Buffer.byteLength(JSON.stringify(opsValue)), render: () => canonicalJson(opsValue) },
        browser: { bytes: () => browserWriter.byteLength(env), render: () => browserWriter.content(env) },
      };
      for (const profile of profiles) {
        const writer = writers[profile];
        const bytes = writer.bytes();
        if (bytes > MAX_DOCUMENT_BYTES) {
          const file = profile === 'ops' ? `${OPS_DIR}/${app}/default.json` : `${FLAGS_DIR}/${app}.json`;
          diags.error({ file, line: 1, column: 1 }, 'document/too-large', `the ${profile} document for ${env} is ${bytes} bytes; AppConfig hosts at most ${MAX_DOCUMENT_BYTES}`, {
            field: `${app} (${env})`,
            fix: 'remove stale flags or split the application',
          });
        }
        const document = lazyDocument({ environment: env, application: app, profile }, writer.render);
        recordDocumentBytes(document, bytes);
        documents.push(document);
      }
    }
  }
  if (diags.hasErrors() || !layout) return { diagnostics: diags.all };
  const model: Model = { workload, pipeline: pipelineSteps(workload), environments, applications, documents, layout };
  // Template budgets last: they need every document's bytes, and only a model that compiled has them.
  checkSlicesFit(model, tree, diags);
  if (!options.withoutLayout && !diags.hasErrors()) checkPartsWithinBudget(model, layout, layoutJson!, diags);
  if (diags.hasErrors()) return { diagnostics: diags.all };
  return { model, diagnostics: diags.all };
}

/**
 * A document whose bytes are rendered on first read: validate needs only their size, and
 * build, the CDK app and the local agent read them. `content` is an enumerable own
 * property, so spreading or comparing a document sees it.
 */
function lazyDocument(meta: Pick<ConfigDocument, 'environment' | 'application' | 'profile'>, render: () => string): ConfigDocument {
  let content: string | undefined;
  const doc = { ...meta, contentType: 'application/json' as const };
  Object.defineProperty(doc, 'content', { enumerable: true, get: () => (content ??= render()) });
  return doc as ConfigDocument;
}

/** `missingFix` is a function where building the fix costs something: it is needed only when the file is missing. */
function readJson(tree: SourceTree, file: string, diags: Diagnostics, missingFix: string | (() => string) = `create ${file}`): JsonFile | undefined {
  const kind = tree.kind(file);
  const start = { file, line: 1, column: 1 };
  if (kind === undefined) {
    diags.error(start, 'file/missing', 'file does not exist', { fix: typeof missingFix === 'string' ? missingFix : missingFix() });
    return undefined;
  }
  if (kind === 'directory') {
    diags.error(start, 'file/is-directory', 'is a directory where a file is expected', { fix: `replace the directory with the file ${file}` });
    return undefined;
  }
  return parseFile(tree, file, diags);
}

/** List a folder the loader requires; undefined (reported) when it is missing or cannot be read. */
function listRequired(tree: SourceTree, dir: string, diags: Diagnostics, missing: { message: string; fix: string }): DirEntry[] | undefined {
  if (reportOther(tree, dir, diags)) return undefined;
  let entries: DirEntry[] | undefined;
  try {
    entries = tree.list(dir);
  } catch (e) {
    diags.error({ file: dir, line: 1, column: 1 }, 'file/unreadable', `cannot be listed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { fix: 'make the folder readable by the user running dynconf' });
    return undefined;
  }
  if (!entries) {
    const kind = tree.kind(dir);
    if (kind === 'file') diags.error({ file: dir, line: 1, column: 1 }, 'file/not-a-directory', 'is a file where a directory is expected', { fix: missing.fix });
    else diags.error({ file: dir, line: 1, column: 1 }, 'file/missing', missing.message, { fix: missing.fix });
  }
  return entries;
}

interface Context {
  readonly environments: readonly string[] | undefined;
  readonly appNames: readonly string[] | undefined;
  readonly workloadJson: JsonFile | undefined;
  readonly found: Found;
}

/** What the listings of flags/ and config/ops/ showed, to name every missing piece of an application at once. */
interface Found {
  /** Applications with an entry flags/<app>.json (of any kind). */
  readonly flagsFiles: Set<string>;
  /** Applications with an entry config/ops/<app> (of any kind). */
  readonly opsDirs: Set<string>;
  /** Applications workload.json does not declare, by the file or folder that names them. */
  readonly undeclared: Map<string, { flagsFile?: string; opsDir?: string }>;
}

function noteUndeclared(found: Found, app: string, piece: { flagsFile: string } | { opsDir: string }): void {
  found.undeclared.set(app, { ...found.undeclared.get(app), ...piece });
}

const NEW_APP_COMMAND = (app: string, owner = false) => `\`npx dynconf new app ${app}${owner ? ' --owner <team>' : ''}\``;

/** `create <file> containing <json>`: the exact starter content, so that following the fix passes the next run. */
function createOpsFiles(app: string, which: readonly ('schema.json' | 'default.json')[]): string {
  const content = { 'schema.json': starterOpsSchema(app), 'default.json': starterOpsDefault() };
  return which.map((f) => `create ${OPS_DIR}/${app}/${f} containing ${oneLine(content[f])}`).join(' and ');
}

const FLAGS_STARTER = '{ "flags": {} }';

/**
 * An application that has a flags file or an ops folder but no entry in workload.json: one
 * error at the piece that names it, listing every other piece it lacks, so that adding an
 * application by hand takes one run of validate, not one per piece. A name close to a
 * declared application that lacks this very piece is most likely a typo: then renaming
 * comes first.
 */
function reportUndeclaredApplications(found: Found, appNames: readonly string[], layoutJson: JsonFile | undefined, diags: Diagnostics): void {
  const pattern = applicationNamePattern();
  for (const [app, pieces] of found.undeclared) {
    const file = pieces.flagsFile ?? pieces.opsDir!;
    const where = { file, line: 1, column: 1 };
    const rule = pieces.flagsFile ? 'flags/undeclared-application' : 'ops/undeclared-application';
    const guess = didYouMean(app, appNames);
    const renameTo = (name: string) => (pieces.flagsFile ? `${FLAGS_DIR}/${name}.json` : `${OPS_DIR}/${name}/`);
    // A typo of a declared application that lacks this piece: renaming is the fix. One that has
    // it already: renaming would overwrite it, so the content has to move instead.
    const guessLacksPiece = guess !== undefined && (pieces.flagsFile ? !found.flagsFiles.has(guess) : !found.opsDirs.has(guess));
    const rename = guess
      ? guessLacksPiece
        ? `did you mean '${guess}'? Then rename ${file} to ${renameTo(guess)}`
        : `did you mean '${guess}'? It has ${renameTo(guess)} already: move this content there and remove ${file}`
      : undefined;
    if (!pattern.test(app)) {
      diags.error(where, rule, `'${app}' is not a valid application name, and ${WORKLOAD_FILE} does not declare it`, {
        fix: rename ?? `rename ${file}: application names match ${pattern.source}`,
      });
      continue;
    }
    const missing: string[] = [];
    const steps = [`add ${oneLine({ [app]: { owner: '<team>', description: '<what it does>' } }).slice(2, -2)} to "applications" in ${WORKLOAD_FILE}`];
    if (!found.flagsFiles.has(app)) {
      missing.push(`${FLAGS_DIR}/${app}.json`);
      steps.push(`create ${FLAGS_DIR}/${app}.json containing ${FLAGS_STARTER}`);
    }
    if (!pieces.opsDir) {
      missing.push(`${OPS_DIR}/${app}/schema.json`, `${OPS_DIR}/${app}/default.json`);
      steps.push(createOpsFiles(app, ['schema.json', 'default.json']));
    }
    const layoutParts = (layoutJson?.value as { parts?: Record<string, unknown> } | undefined)?.parts;
    if (layoutParts && !Object.hasOwn(layoutParts, app)) {
      missing.push(`a part in ${LAYOUT_FILE}`);
      steps.push('then run `npx dynconf layout`');
    }
    const kept = [pieces.flagsFile, pieces.opsDir && `${pieces.opsDir}/`].filter(Boolean).join(' and ');
    const declare = `to add '${app}', run ${NEW_APP_COMMAND(app, true)} (it keeps ${kept} and writes the rest), or by hand: ${steps.join('; ')}`;
    const fix = rename && guessLacksPiece ? `${rename}; ${declare}` : rename ? `${declare}; ${rename}` : declare;
    // For a likely typo, the pieces a new application would need are noise in the message (the fix still has them).
    const lacks = missing.length && !guessLacksPiece ? `, and has no ${listWords(missing)}` : '';
    diags.error(where, rule, `application '${app}' is not declared in ${WORKLOAD_FILE}${lacks}`, { fix });
    if (pieces.flagsFile && pieces.opsDir) {
      diags.error({ file: pieces.opsDir, line: 1, column: 1 }, 'ops/undeclared-application', `application '${app}' is not declared in ${WORKLOAD_FILE}`, {
        fix: `declare it as the error at ${pieces.flagsFile} says, or run ${NEW_APP_COMMAND(app, true)}`,
      });
    }
  }
}

function listWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function loadFlags(tree: SourceTree, diags: Diagnostics, ctx: Context & { today: string; strict: boolean }): Map<string, ResolvedFlag[]> {
  const out = new Map<string, ResolvedFlag[]>();
  const entries = listRequired(tree, FLAGS_DIR, diags, { message: 'the flags/ directory does not exist', fix: 'create flags/<app>.json for every application' });
  if (!entries) return out;
  for (const entry of entries) {
    const file = `${FLAGS_DIR}/${entry.name}`;
    const app = entry.name.replace(/\.json$/, '');
    if (entry.kind === 'other') {
      reportOther(tree, file, diags);
      continue;
    }
    if (entry.kind === 'directory') {
      diags.error({ file, line: 1, column: 1 }, 'file/is-directory', 'is a directory; flags/ holds one <app>.json file per application', { fix: `move its content to flags/${entry.name}.json` });
      continue;
    }
    if (!entry.name.endsWith('.json')) {
      diags.error({ file, line: 1, column: 1 }, 'flags/unexpected-file', 'flags/ holds only <app>.json files', { fix: 'move this file elsewhere' });
      continue;
    }
    ctx.found.flagsFiles.add(app);
    // An undeclared application's file is still checked: its own problems belong in the same run.
    const declared = !ctx.appNames || ctx.appNames.includes(app);
    if (!declared) noteUndeclared(ctx.found, app, { flagsFile: file });
    const json = parseFile(tree, file, diags);
    if (!json) continue;
    scanForSecrets(json, diags);
    if (!checkFormat(json, 'flags', diags) || !ctx.environments) continue;
    const flags = resolveFlags(json, json.value as FlagsFileConfig, diags, { environments: ctx.environments, today: ctx.today, strict: ctx.strict });
    if (declared) out.set(app, flags);
  }
  for (const app of ctx.appNames ?? []) {
    // An entry of another kind (a broken link) was reported above, with its real reason.
    if (!entries.some((e) => e.name === `${app}.json`)) {
      diags.error(ctx.workloadJson!.locateKey(['applications', app]), 'flags/missing-file', `application '${app}' has no ${FLAGS_DIR}/${app}.json`, {
        fix: `create ${FLAGS_DIR}/${app}.json containing ${FLAGS_STARTER}, or run ${NEW_APP_COMMAND(app)}, which writes every missing piece of '${app}'`,
      });
    }
  }
  return out;
}

interface OpsResult {
  readonly schema: OpsSchema;
  readonly values: ReadonlyMap<string, unknown>;
}

function loadOps(tree: SourceTree, diags: Diagnostics, ctx: Context, cache: CompiledSchemaCache | undefined): Map<string, OpsResult> {
  const out = new Map<string, OpsResult>();
  const appDirs = listRequired(tree, OPS_DIR, diags, {
    message: `the ${OPS_DIR}/ directory does not exist`,
    fix: `create ${OPS_DIR}/<app>/schema.json and default.json for every application`,
  });
  if (!appDirs) return out;
  for (const dir of appDirs) {
    const file = `${OPS_DIR}/${dir.name}`;
    ctx.found.opsDirs.add(dir.name);
    if (dir.kind === 'other') reportOther(tree, file, diags);
    else if (dir.kind !== 'directory') {
      diags.error({ file, line: 1, column: 1 }, 'ops/unexpected-file', `${OPS_DIR}/ holds one directory per application`, { fix: `move it to ${OPS_DIR}/<app>/` });
    } else if (ctx.appNames && !ctx.appNames.includes(dir.name)) {
      noteUndeclared(ctx.found, dir.name, { opsDir: file });
    }
  }
  // Undeclared folders are checked too (see loadFlags); only declared applications compile.
  const undeclaredDirs = [...ctx.found.undeclared].filter(([, p]) => p.opsDir).map(([app]) => app);
  for (const app of ctx.appNames ? [...ctx.appNames, ...undeclaredDirs] : appDirs.filter((d) => d.kind === 'directory').map((d) => d.name)) {
    const dir = `${OPS_DIR}/${app}`;
    // A broken link or a file in place of the folder was reported with the listing above.
    if (tree.kind(dir) === 'other') continue;
    const files = tree.list(dir);
    if (!files) {
      if (tree.kind(dir) === undefined && ctx.workloadJson) {
        diags.error(ctx.workloadJson.locateKey(['applications', app]), 'ops/missing-directory', `application '${app}' has no ${dir}/`, {
          fix: `${createOpsFiles(app, ['schema.json', 'default.json'])}, or run ${NEW_APP_COMMAND(app)}, which writes every missing piece of '${app}'`,
        });
      }
      continue;
    }
    const schemaJson = readJson(tree, `${dir}/schema.json`, diags, () => createOpsFiles(app, ['schema.json']));
    const defaultsJson = readJson(tree, `${dir}/default.json`, diags, () => createOpsFiles(app, ['default.json']));
    if (defaultsJson) scanForSecrets(defaultsJson, diags);
    const schema = schemaJson ? compileOpsSchema(schemaJson, canonicalJson, diags, cache) : undefined;

    const overrides = new Map<string, JsonFile>();
    for (const f of files) {
      if (f.name === 'schema.json' || f.name === 'default.json') continue;
      const file = `${dir}/${f.name}`;
      const env = f.name.replace(/\.json$/, '');
      if (f.kind === 'other') {
        // Never skip an override: a dropped prod override would deploy the defaults.
        reportOther(tree, file, diags);
        continue;
      }
      if (f.kind === 'directory' || !f.name.endsWith('.json')) {
        diags.error({ file, line: 1, column: 1 }, 'ops/unexpected-file', `${dir}/ holds schema.json, default.json and <env>.json files only`, { fix: 'move it elsewhere' });
        continue;
      }
      if (ctx.environments && !ctx.environments.includes(env)) {
        diags.error({ file, line: 1, column: 1 }, 'ops/unknown-environment', `unknown environment '${env}'`, { fix: unknownNameFix('environment', env, ctx.environments) });
        continue;
      }
      const json = parseFile(tree, file, diags);
      if (!json) continue;
      scanForSecrets(json, diags);
      overrides.set(env, json);
    }
    if (!schema || !defaultsJson || !ctx.environments) continue;
    const values = new Map<string, unknown>();
    for (const env of ctx.environments) {
      const override = overrides.get(env);
      const merged = overlay(withoutSchemaKey(defaultsJson.value), override ? withoutSchemaKey(override.value) : {});
      if (checkOpsEnvironment(schema, merged, env, defaultsJson, override, diags)) values.set(env, merged);
    }
    out.set(app, { schema, values });
  }
  return out;
}
