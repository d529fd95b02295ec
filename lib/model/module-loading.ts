/**
 * Loading code the way lib/ needs where a plain `require` does not do:
 * - requireEsModule: an ES module from lib/ (CommonJS). secretlint's packages are ES
 *   modules. Node (>= 20.19) require()s ES modules; jest's module registry does not before
 *   Node 24.9, so this asks Node's own loader, which behaves the same under node, tsx and
 *   jest. Used by the secret scan of values (./secrets) and `dynconf secrets`.
 * - compileCommonJs: CommonJS source already in memory, run as the module at `filename`
 *   (which need not exist), so that it resolves its requires from there. Used for the
 *   validators lib/cli/schema-cache.ts has read and checked (the bytes checked are the bytes
 *   run), and by bench/compiled-model.ts.
 */
import * as nodeModule from 'node:module';
import * as path from 'node:path';

export function requireEsModule<T>(specifier: string): T {
  const load = (nodeModule as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown })._load;
  return load(require.resolve(specifier), null, false) as T;
}

export function compileCommonJs(code: string, filename: string): unknown {
  const Module = nodeModule.Module as unknown as {
    new (id: string): { filename: string; paths: string[]; exports: unknown; _compile(code: string, filename: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new Module(filename);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(path.dirname(filename));
  m._compile(code, filename);
  return m.exports;
}
