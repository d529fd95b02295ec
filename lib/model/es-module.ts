/**
 * Loading an ES module from lib/ (CommonJS): secretlint's packages are ES modules. Node
 * (>= 20.19) require()s ES modules; jest's module registry does not before Node 24.9, so
 * this asks Node's own loader, which behaves the same under node, tsx and jest. The one place
 * that does this: the secret scan of values (./secrets) and `dynconf secrets` use it.
 */
import * as nodeModule from 'node:module';

export function requireEsModule<T>(specifier: string): T {
  const load = (nodeModule as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown })._load;
  return load(require.resolve(specifier), null, false) as T;
}
