/**
 * Builds the compiled `dynconf` CLI (`npm run build:cli`; `npm ci` runs it through `prepare`).
 *
 *   dist/cli/dynconf.js                 the entry bin/dynconf.js runs: lib/ and bin/ in one
 *                                       CommonJS file, packages left in node_modules
 *   dist/cli/manifest.json              every file that build read (path, size, mtimeMs), which
 *                                       bin/dynconf.js compares before each run
 *   dist/cli-standalone/dynconf.cjs     --standalone: one file with every dependency inside,
 *                                       for the pipeline's gate steps, which have Node and no
 *                                       node_modules; it carries STANDALONE_VERBS only
 *
 * Plain CommonJS JavaScript, because bin/dynconf.js requires it to rebuild in-process when
 * the sources changed, without a TypeScript loader.
 *
 * Why one bundle with packages external (see bench/cli.ts and the README's Benchmarks): a
 * per-file transpile makes Node resolve and read some 120 files for `validate`, and bundling
 * the packages as well saves little over that and makes every package file an input to
 * check; one file is also what can be swapped in atomically (write, then rename).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = 'bin/dynconf.ts';
const OUT_DIR = path.join(ROOT, 'dist', 'cli');
const OUT_FILE = path.join(OUT_DIR, 'dynconf.js');
const MANIFEST = path.join(OUT_DIR, 'manifest.json');
const STANDALONE_FILE = path.join(ROOT, 'dist', 'cli-standalone', 'dynconf.cjs');
/** Bumped when the manifest's shape changes: bin/dynconf.js rebuilds on any other value. */
const MANIFEST_FORMAT = 1;

/**
 * Files the build depends on that esbuild's metafile does not list: its configuration and
 * the version it writes in (package.json), tsconfig.json (esbuild reads it for TypeScript
 * settings), this script, and the esbuild that ran it; and, for the validators generated
 * from them (formatValidatorsSource), the format schemas and the Ajv packages that generated them.
 */
const EXTRA_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build-cli.js', 'node_modules/esbuild/package.json', 'node_modules/ajv/package.json', 'node_modules/ajv-formats/package.json', 'node_modules/ajv-draft-04/package.json'];

/**
 * The verbs in the standalone bundle: what the pipeline's gate steps run (rollout wait|guard,
 * verify; see lib/pipeline/gate-steps.ts) and validate. The others pull aws-cdk-lib, cdk8s
 * and the runtime's servers, 70 MB bundled; in the standalone file they fail with a message
 * that says to run them from a checkout with node_modules.
 */
const STANDALONE_VERBS = ['validate', 'rollout', 'verify'];
/** Every verb, as lib/cli/main.ts's VERBS lists them (test/cli/entry.test.ts checks): the standalone stubs those not in STANDALONE_VERBS. */
const ALL_VERBS = ['validate', 'new', 'layout', 'build', 'flags', 'eval', 'manifests', 'diff', 'plan', 'rollout', 'drift', 'emergency', 'verify', 'agent', 'bff', 'secrets'];

// ---- dynconf's format schemas, validated by code generated here (see lib/model/format-validators.ts)

/** The module whose run-time compilation the bundles replace with generated validators. */
const FORMAT_VALIDATORS_MODULE = path.join(ROOT, 'lib', 'model', 'format-validators.ts');
const FORMAT_SCHEMA_DIR = path.join(ROOT, 'config', 'schemas');
/** lib/model/format-validators.ts's FORMAT_AJV_OPTIONS and FORMAT_FORMATS (test/model/format-validators.test.ts compares them). */
const FORMAT_AJV_OPTIONS = { allErrors: true, strict: false, verbose: true, ownProperties: true };
const FORMAT_FORMATS = ['date'];
/** lib/model/format-validators.ts's DRAFT04_AJV_OPTIONS and DRAFT04_META_ID, for draft-04's meta-schema. */
const DRAFT04_AJV_OPTIONS = { allErrors: true, strict: false, validateFormats: false, verbose: true, addUsedSchema: false, ownProperties: true };
const DRAFT04_META_ID = 'http://json-schema.org/draft-04/schema';

/** config/schemas/<name>.schema.json, relative to the root; the format name is <name>. */
function formatSchemaFiles() {
  return fs
    .readdirSync(FORMAT_SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((f) => `config/schemas/${f}`);
}

/**
 * The source of a CommonJS module with lib/model/format-validators.ts's formatSchemaValidator,
 * each format schema compiled by Ajv (which also checks it against its meta-schema, as a run
 * from the sources does) and written out by Ajv's standalone code generation. The generated
 * code requires Ajv's small runtime helpers (ajv/dist/runtime/..., ajv-formats' formats),
 * left in node_modules by the normal build and put inside by the standalone one.
 */
function formatValidatorsSource() {
  const Ajv = require('ajv').default;
  const addFormats = require('ajv-formats').default;
  const standaloneCode = require('ajv/dist/standalone').default;
  const crypto = require('node:crypto');
  const ajv = addFormats(new Ajv({ ...FORMAT_AJV_OPTIONS, code: { source: true } }), FORMAT_FORMATS);
  const exportsByName = {};
  const digests = {};
  formatSchemaFiles().forEach((rel, i) => {
    const name = path.basename(rel, '.schema.json');
    const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    ajv.addSchema(JSON.parse(text), name);
    // Export names must be identifiers; the map below gives each back its format name.
    exportsByName[`format${i}`] = name;
    digests[name] = { exportName: `format${i}`, sha256: crypto.createHash('sha256').update(text).digest('hex') };
  });
  // Compiling through getSchema throws here, at build time, on a schema Ajv rejects.
  for (const name of Object.values(exportsByName)) ajv.getSchema(name);
  const code = standaloneCode(ajv, exportsByName);
  // draft-04's meta-schema, as the shared draft-04 Ajv of lib/model/schema-check.ts compiles it.
  const AjvDraft04 = require('ajv-draft-04').default;
  const draft04 = new AjvDraft04({ ...DRAFT04_AJV_OPTIONS, code: { source: true } });
  if (!draft04.getSchema(DRAFT04_META_ID)) throw new Error(`ajv-draft-04 no longer registers its meta-schema as ${DRAFT04_META_ID}; update lib/model/format-validators.ts`);
  const metaCode = standaloneCode(draft04, { draft04Meta: DRAFT04_META_ID });
  return `'use strict';
// Generated by scripts/build-cli.js from config/schemas/*.schema.json and ajv-draft-04's meta-schema at build time; never edited, never committed.
const { createHash } = require('node:crypto');
const generated = {};
(function (exports) {
${code}
})(generated);
(function (exports) {
${metaCode}
})(generated);
exports.DRAFT04_AJV_OPTIONS = ${JSON.stringify(DRAFT04_AJV_OPTIONS)};
exports.DRAFT04_META_ID = ${JSON.stringify(DRAFT04_META_ID)};
exports.draft04MetaValidator = function draft04MetaValidator() {
  return generated.draft04Meta;
};
const FORMATS = ${JSON.stringify(digests)};
exports.FORMAT_AJV_OPTIONS = ${JSON.stringify(FORMAT_AJV_OPTIONS)};
exports.FORMAT_FORMATS = ${JSON.stringify(FORMAT_FORMATS)};
exports.formatSchemaValidator = function formatSchemaValidator(name, schemaText) {
  const format = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
  if (!format) throw new Error('this build of dynconf has no validator for the format schema ' + name + '; rebuild it: npm run build:cli');
  if (createHash('sha256').update(schemaText).digest('hex') !== format.sha256) {
    throw new Error('config/schemas/' + name + '.schema.json differs from the one this build of dynconf was generated from; rebuild it: npm run build:cli');
  }
  return generated[format.exportName];
};
`;
}

/** Puts the generated validators in place of lib/model/format-validators.ts (see formatValidatorsSource). */
function formatValidatorsPlugin() {
  return {
    name: 'dynconf-format-validators',
    setup(build) {
      build.onLoad({ filter: /format-validators\.ts$/ }, (args) => (args.path === FORMAT_VALIDATORS_MODULE ? { contents: formatValidatorsSource(), loader: 'js', resolveDir: path.dirname(args.path) } : undefined));
    },
  };
}

function version() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
}

/**
 * Sources that read files beside themselves (`path.resolve(__dirname, '../../config/schemas')`)
 * keep doing so from the bundle: each such file gets its own `__dirname`, the source folder,
 * computed from where the bundle is (so a moved checkout still works). In the standalone file,
 * which is copied away from the sources, it is that folder under the current directory: the
 * gate steps run it at the root of the commit's checkout.
 */
function sourceDirnamePlugin({ standalone }) {
  return {
    name: 'dynconf-source-dirname',
    setup(build) {
      build.onResolve({ filter: /^dynconf-build:bundle-dir$/ }, () => ({ path: 'bundle-dir', namespace: 'dynconf-build' }));
      build.onLoad({ filter: /.*/, namespace: 'dynconf-build' }, () => ({
        contents: standalone
          ? 'export function sourceDir(fromRoot) { return require("node:path").join(process.cwd(), fromRoot); }'
          : 'export function sourceDir(fromOut) { return require("node:path").join(__dirname, fromOut); }',
        loader: 'js',
        resolveDir: ROOT,
      }));
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let contents = await fs.promises.readFile(args.path, 'utf8');
        if (/\b__filename\b/.test(contents)) throw new Error(`${path.relative(ROOT, args.path)} uses __filename, which scripts/build-cli.js does not map to the source file; use __dirname`);
        if (/\b__dirname\b/.test(contents)) {
          const dir = path.dirname(args.path);
          const rel = standalone ? path.relative(ROOT, dir) : path.relative(OUT_DIR, dir);
          contents = `import { sourceDir as __dynconfSourceDir } from 'dynconf-build:bundle-dir';\nconst __dirname = __dynconfSourceDir(${JSON.stringify(rel.split(path.sep).join('/'))});\n${contents}`;
        }
        if (standalone) contents = standaloneRewrites(args.path, contents);
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The one source that loads a package by resolving its path at run time (the secretlint
 * preset, through Node's loader, see lib/model/secrets.ts) gets a plain require in the
 * standalone file, so that esbuild puts the preset inside. The build fails if the text moved.
 */
function standaloneRewrites(file, contents) {
  if (path.relative(ROOT, file).split(path.sep).join('/') !== 'lib/model/secrets.ts') return contents;
  const from = 'requireEsModule(PRESET)';
  if (contents.split(from).length !== 2) throw new Error(`lib/model/secrets.ts no longer contains '${from}' once; update standaloneRewrites in scripts/build-cli.js`);
  return contents.replace(from, "require('@secretlint/secretlint-rule-preset-recommend')");
}

/** In the standalone file, the verbs it does not carry say so instead of failing to load. */
function standaloneVerbsPlugin() {
  return {
    name: 'dynconf-standalone-verbs',
    setup(build) {
      const commandsDir = path.join(ROOT, 'lib', 'cli', 'commands');
      const left = new Set(ALL_VERBS.filter((v) => !STANDALONE_VERBS.includes(v)));
      // main.ts's VERBS requires each verb's module (commands/index.ts loads them through it).
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        if (path.dirname(target) !== commandsDir || !left.has(path.basename(target))) return undefined;
        return { path: path.basename(target), namespace: 'dynconf-left-out' };
      });
      build.onLoad({ filter: /.*/, namespace: 'dynconf-left-out' }, (args) => {
        const exportName = `${args.path.replace(/-(.)/g, (_, c) => c.toUpperCase())}Command`;
        const message = `'dynconf ${args.path}' is not in the standalone bundle, which carries ${STANDALONE_VERBS.join(', ')} for the pipeline's gate steps; run it from a checkout after npm ci: npx dynconf ${args.path}`;
        return {
          contents: `import { CommandError } from ${JSON.stringify(path.join(ROOT, 'lib/cli/command'))};
export const ${exportName} = { name: ${JSON.stringify(args.path)}, summary: '(not in the standalone bundle)', usage: ${JSON.stringify(message)}, options: {}, allowPositionals: true,
  async run() { throw new CommandError(${JSON.stringify(message)}); } };`,
          loader: 'ts',
          resolveDir: ROOT,
        };
      });
    },
  };
}

function esbuildOptions({ standalone }) {
  return {
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow; its ESM build bundles.
    mainFields: ['module', 'main'],
    define: { DYNCONF_BUILD_VERSION: JSON.stringify(version()) },
    metafile: true,
    // Errors come back in the exception's message, which the callers print (once).
    logLevel: 'silent',
    legalComments: 'none',
    ...(standalone
      ? {
          outfile: STANDALONE_FILE,
          plugins: [standaloneVerbsPlugin(), formatValidatorsPlugin(), sourceDirnamePlugin({ standalone })],
          // recheck's default synchronous backend runs a worker file and a native binary from
          // node_modules; its pure JavaScript backend (the same checker) is inside the bundle.
          banner: { js: "process.env.RECHECK_SYNC_BACKEND ??= 'pure';" },
        }
      : { outfile: OUT_FILE, packages: 'external', plugins: [formatValidatorsPlugin(), sourceDirnamePlugin({ standalone })] }),
  };
}

function statEntry(rel) {
  const st = fs.statSync(path.join(ROOT, rel));
  return [rel, st.size, st.mtimeMs];
}

/**
 * Builds dist/cli/dynconf.js and its manifest. Written beside, then renamed into place,
 * bundle first and manifest last: a run that starts half-way sees an old manifest, finds
 * the sources differ, and builds for itself rather than run a half-written file.
 */
async function buildCli() {
  const esbuild = require('esbuild');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const inputsBefore = [...EXTRA_INPUTS, ...formatSchemaFiles()].map(statEntry);
  const result = await esbuild.build({ ...esbuildOptions({ standalone: false }), write: false });
  const [output] = result.outputFiles;
  const tmp = `${OUT_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, output.contents);
  fs.renameSync(tmp, OUT_FILE);
  // Sizes and mtimes as the build found them: a file edited while esbuild ran differs from them, so the next run builds again.
  const read = Object.keys(result.metafile.inputs).filter((f) => !f.includes(':'));
  const inputs = [...inputsBefore, ...read.map(statEntry)];
  const manifest = { format: MANIFEST_FORMAT, output: statEntry(path.relative(ROOT, OUT_FILE)), inputs };
  const tmpManifest = `${MANIFEST}.${process.pid}.tmp`;
  fs.writeFileSync(tmpManifest, `${JSON.stringify(manifest)}\n`);
  fs.renameSync(tmpManifest, MANIFEST);
  return { file: OUT_FILE, inputs: inputs.length, bytes: output.contents.length };
}

/** Builds dist/cli-standalone/dynconf.cjs. */
async function buildStandalone() {
  const esbuild = require('esbuild');
  fs.mkdirSync(path.dirname(STANDALONE_FILE), { recursive: true });
  const result = await esbuild.build({ ...esbuildOptions({ standalone: true }), write: false });
  const [output] = result.outputFiles;
  const tmp = `${STANDALONE_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, output.contents);
  fs.renameSync(tmp, STANDALONE_FILE);
  return { file: STANDALONE_FILE, inputs: Object.keys(result.metafile.inputs).length, bytes: output.contents.length };
}

async function main(argv) {
  const unknown = argv.filter((a) => a !== '--standalone');
  if (unknown.length) throw new Error(`unknown argument '${unknown[0]}'; usage: node scripts/build-cli.js [--standalone]`);
  const started = Date.now();
  const built = argv.includes('--standalone') ? await buildStandalone() : await buildCli();
  process.stderr.write(`build-cli: ${path.relative(ROOT, built.file)}, ${(built.bytes / 1e6).toFixed(2)} MB from ${built.inputs} files in ${Date.now() - started} ms\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`build-cli: ${e.message}\n`);
    process.exitCode = 1;
  });
}

module.exports = { buildCli, buildStandalone, esbuildOptions, formatValidatorsSource, ALL_VERBS, MANIFEST, MANIFEST_FORMAT, OUT_FILE, STANDALONE_FILE, STANDALONE_VERBS };
