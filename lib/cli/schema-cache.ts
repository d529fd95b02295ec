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
 * Trust: each file starts with the SHA-256 of its key and the code after it, so a file that
 * was changed, or copied under another schema's key, does not match; such a file, or one that
 * does not load or does not export a function, is compiled again and replaced, and stderr says
 * so. The code run is the code checked: it is compiled from what was read, not required again. CI never uses it (CI or CODEBUILD_BUILD_ID set: every schema is compiled, as `cdk synth`
 * always does), nor does a run without node_modules beside dynconf (the standalone bundle).
 * DYNCONF_CACHE=off turns it off.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { CompiledSchemaCache } from '../model';
import { compileCommonJs } from '../model/module-loading';
import { replaceFile } from './output';

const HEADER = '// dynconf: compiled ops-schema validator (Ajv standalone code); sha256 of its key and what follows: ';
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
  /** Set by the first save that fails: the folder is not writable, and saying so once is enough. */
  private cannotWrite = false;

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
    if (!text.startsWith(HEADER) || text.slice(HEADER.length, newline) !== checksum(key, body)) {
      this.warn(`dynconf: ${file} is damaged (its code does not match its checksum); compiling that schema again`);
      return undefined;
    }
    try {
      const validate = compileCommonJs(body, file);
      if (typeof validate === 'function') return validate as ValidateFunction;
    } catch {
      // reported below
    }
    this.warn(`dynconf: ${file} does not load as a validator; compiling that schema again`);
    return undefined;
  }

  /** Never throws: a cache that cannot be written costs time, never a result. */
  save(key: string, source: string): void {
    if (this.cannotWrite) return;
    const file = this.file(key);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const entries = fs.readdirSync(this.dir);
      if (entries.length >= MAX_CACHED_VALIDATORS) for (const f of entries) fs.rmSync(path.join(this.dir, f), { force: true });
      replaceFile(file, `${HEADER}${checksum(key, source)}\n${source}`);
    } catch (e) {
      this.cannotWrite = true;
      this.warn(`dynconf: cannot keep a compiled validator in ${this.dir} (${(e as Error).message}); validation is unaffected, only slower next time; DYNCONF_CACHE=off skips the cache`);
    }
  }

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a compiled-schema key: ${key}`);
    return path.join(this.dir, `${key}.js`);
  }
}

function checksum(key: string, body: string): string {
  return createHash('sha256').update(`${key}\n${body}`).digest('hex');
}
