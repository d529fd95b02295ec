/**
 * load -> validate -> compile. The only code in dynconf that reads config/ and flags/.
 */
import { canonicalJson } from './canonical';
import { recordDocumentBytes } from './capacity';
import { Diagnostics, unknownNameFix, type Diagnostic } from './diagnostics';
import { FeatureFlagsWriter, isBrowserFlag, resolveFlags, type ResolvedFlag } from './flags';
import { checkLayoutApplications, checkPartsWithinBudget, checkSlicesFit, readLayout, type StackLayout } from './layout';
import { MAX_DOCUMENT_BYTES, type ApplicationModel, type ConfigDocument, type Model, type ProfileName } from './model';
import { checkOpsEnvironment, compileOpsSchema, overlay, withoutSchemaKey, type OpsSchema } from './ops';
import { checkServiceQuotas } from './quotas';
import { checkFormat } from './schema-check';
import { scanForSecrets } from './secrets';
import { DiskTree, parseFile, reportOther, type DirEntry, type JsonFile, type SourceTree } from './source';
import type { FlagsFileConfig, WorkloadConfig } from './types';
import { checkWorkload, pipelineSteps } from './workload';

export const WORKLOAD_FILE = 'config/workload.json';
export const FLAGS_DIR = 'flags';
export const OPS_DIR = 'config/ops';

export interface LoadOptions {
  /** Expired flags become errors instead of warnings. */
  readonly strict?: boolean;
  /** Today's date for expiry checks; defaults to the real one (UTC). */
  readonly today?: string;
  /**
   * Load without config/layout.json, for `dynconf layout`, which writes it: the model's
   * layout is then empty and the parts are not checked against the template budgets
   * (each application's documents still are).
   */
  readonly withoutLayout?: boolean;
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

/** Remembers the last path the loader touched, to locate an unexpected failure. */
class TrackingTree implements SourceTree {
  current: string | undefined;
  constructor(private readonly inner: SourceTree) {}
  get label(): string {
    return this.inner.label;
  }
  kind(relPath: string) {
    this.current = relPath;
    return this.inner.kind(relPath);
  }
  problem(relPath: string) {
    return this.inner.problem(relPath);
  }
  list(relDir: string) {
    this.current = relDir;
    return this.inner.list(relDir);
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
      checkWorkload(workloadJson, workload, diags);
      checkServiceQuotas(workloadJson, workload, diags);
    }
  }
  const environments = workload ? Object.keys(workload.environments) : undefined;
  const appNames = workload ? Object.keys(workload.applications) : undefined;

  const flagsByApp = loadFlags(tree, diags, { environments, appNames, today, strict, workloadJson });
  const opsByApp = loadOps(tree, diags, { environments, appNames, workloadJson });
  const layoutJson = options.withoutLayout ? undefined : readLayout(tree, diags);
  const layout: StackLayout | undefined = options.withoutLayout ? { parts: {} } : layoutJson && appNames && workloadJson ? checkLayoutApplications(layoutJson, appNames, workloadJson, diags) : undefined;

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

function readJson(tree: SourceTree, file: string, diags: Diagnostics): JsonFile | undefined {
  const kind = tree.kind(file);
  const start = { file, line: 1, column: 1 };
  if (kind === undefined) {
    diags.error(start, 'file/missing', 'file does not exist', { fix: `create ${file}` });
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
    if (ctx.appNames && !ctx.appNames.includes(app)) {
      diags.error({ file, line: 1, column: 1 }, 'flags/undeclared-application', `application '${app}' is not declared in ${WORKLOAD_FILE}`, {
        fix: unknownNameFix('application', app, ctx.appNames).replace('environment', 'application'),
      });
      continue;
    }
    const json = parseFile(tree, file, diags);
    if (!json) continue;
    scanForSecrets(json, diags);
    if (!checkFormat(json, 'flags', diags) || !ctx.environments) continue;
    out.set(app, resolveFlags(json, json.value as FlagsFileConfig, diags, { environments: ctx.environments, today: ctx.today, strict: ctx.strict }));
  }
  for (const app of ctx.appNames ?? []) {
    // An entry of another kind (a broken link) was reported above, with its real reason.
    if (!entries.some((e) => e.name === `${app}.json`)) {
      diags.error(ctx.workloadJson!.locateKey(['applications', app]), 'flags/missing-file', `application '${app}' has no ${FLAGS_DIR}/${app}.json`, {
        fix: `create ${FLAGS_DIR}/${app}.json with { "flags": {} }`,
      });
    }
  }
  return out;
}

interface OpsResult {
  readonly schema: OpsSchema;
  readonly values: ReadonlyMap<string, unknown>;
}

function loadOps(tree: SourceTree, diags: Diagnostics, ctx: Context): Map<string, OpsResult> {
  const out = new Map<string, OpsResult>();
  const appDirs = listRequired(tree, OPS_DIR, diags, {
    message: `the ${OPS_DIR}/ directory does not exist`,
    fix: `create ${OPS_DIR}/<app>/schema.json and default.json for every application`,
  });
  if (!appDirs) return out;
  for (const dir of appDirs) {
    const file = `${OPS_DIR}/${dir.name}`;
    if (dir.kind === 'other') reportOther(tree, file, diags);
    else if (dir.kind !== 'directory') {
      diags.error({ file, line: 1, column: 1 }, 'ops/unexpected-file', `${OPS_DIR}/ holds one directory per application`, { fix: `move it to ${OPS_DIR}/<app>/` });
    } else if (ctx.appNames && !ctx.appNames.includes(dir.name)) {
      diags.error({ file, line: 1, column: 1 }, 'ops/undeclared-application', `application '${dir.name}' is not declared in ${WORKLOAD_FILE}`, {
        fix: unknownNameFix('application', dir.name, ctx.appNames),
      });
    }
  }
  for (const app of ctx.appNames ?? appDirs.filter((d) => d.kind === 'directory').map((d) => d.name)) {
    const dir = `${OPS_DIR}/${app}`;
    // A broken link or a file in place of the folder was reported with the listing above.
    if (tree.kind(dir) === 'other') continue;
    const files = tree.list(dir);
    if (!files) {
      if (tree.kind(dir) === undefined && ctx.workloadJson) {
        diags.error(ctx.workloadJson.locateKey(['applications', app]), 'ops/missing-directory', `application '${app}' has no ${dir}/`, {
          fix: `create ${dir}/schema.json (draft-04) and ${dir}/default.json`,
        });
      }
      continue;
    }
    const schemaJson = readJson(tree, `${dir}/schema.json`, diags);
    const defaultsJson = readJson(tree, `${dir}/default.json`, diags);
    if (defaultsJson) scanForSecrets(defaultsJson, diags);
    const schema = schemaJson ? compileOpsSchema(schemaJson, canonicalJson, diags) : undefined;

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
