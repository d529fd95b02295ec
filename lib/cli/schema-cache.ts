/**
 * Compiled ops-schema validators kept between runs of `dynconf validate`, in
 * node_modules/.cache/dynconf/ops-validators/: the pre-commit hook's incremental cache.
 *
 * Why: loading Ajv and compiling each application's schema.json were about 160 of the
 * 420 ms `dynconf validate` spends on the sample, on every commit, for schemas that rarely
 * change. A validator is Ajv's standalone code for the schema, in a file named after
 * compiledSchemaKey (the schema, Ajv's and ajv-draft-04's versions, the options), so an
 * edited schema or an upgraded Ajv is simply another file. Every check still runs on every
 * run: only the compiling is skipped.
 *
 * Trust: each file starts with the SHA-256 of the code after it; a file that does not match,
 * does not load or does not export a function is compiled again and replaced, and stderr says
 * so. CI never uses it (CI or CODEBUILD_BUILD_ID set: every schema is compiled, as `cdk synth`
 * always does), nor does a run without node_modules beside dynconf (the standalone bundle).
 * DYNCONF_CACHE=off turns it off.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { CompiledSchemaCache } from '../model';

const HEADER = '// dynconf: compiled ops-schema validator (Ajv standalone code); sha256 of what follows: ';
/** Past this many files the folder is emptied before the next write: a cache, not an archive. */
export const MAX_CACHED_VALIDATORS = 2000;

/** dynconf's own folder: this file is lib/cli/schema-cache.ts, or inside dist/cli/dynconf.js once compiled. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** The cache `dynconf validate` uses in this environment, or undefined when it uses none. */
export function schemaCacheFor(env: NodeJS.ProcessEnv, warn: (line: string) => void, packageRoot = PACKAGE_ROOT): CompiledSchemaCache | undefined {
  if (env.DYNCONF_CACHE === 'off' || env.CI || env.CODEBUILD_BUILD_ID) return undefined;
  const nodeModules = path.join(packageRoot, 'node_modules');
  if (!fs.existsSync(nodeModules)) return undefined;
  return new DiskSchemaCache(path.join(nodeModules, '.cache', 'dynconf', 'ops-validators'), warn);
}

export class DiskSchemaCache implements CompiledSchemaCache {
  constructor(
    readonly dir: string,
    private readonly warn: (line: string) => void,
  ) {}

  load(key: string): ValidateFunction | undefined {
    const file = this.file(key);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined; // not cached yet
    }
    const newline = text.indexOf('\n');
    const body = text.slice(newline + 1);
    if (!text.startsWith(HEADER) || text.slice(HEADER.length, newline) !== sha256(body)) {
      this.warn(`dynconf: ${file} is damaged (its code does not match its checksum); compiling that schema again`);
      return undefined;
    }
    try {
      // Content-addressed, so a module already loaded by this process is the same code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports, security/detect-non-literal-require -- loading the cached validator is the point; its path is our own key, checked to be 64 hex digits
      const validate = require(file) as unknown;
      if (typeof validate === 'function') return validate as ValidateFunction;
    } catch {
      // reported below
    }
    this.warn(`dynconf: ${file} does not load as a validator; compiling that schema again`);
    return undefined;
  }

  /** Never throws: a cache that cannot be written costs time, never a result. */
  save(key: string, source: string): void {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const entries = fs.readdirSync(this.dir);
      if (entries.length >= MAX_CACHED_VALIDATORS) for (const f of entries) fs.rmSync(path.join(this.dir, f), { force: true });
      // Written whole, then renamed: a reader sees the old file, the new one, or none.
      fs.writeFileSync(tmp, `${HEADER}${sha256(source)}\n${source}`);
      fs.renameSync(tmp, file);
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing was written there
      }
      this.warn(`dynconf: cannot keep a compiled validator in ${this.dir} (${(e as Error).message}); validation is unaffected, only slower next time; DYNCONF_CACHE=off skips the cache`);
    }
  }

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a compiled-schema key: ${key}`);
    return path.join(this.dir, `${key}.js`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
