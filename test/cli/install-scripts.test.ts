/**
 * Every dependency with an install script has a reviewed decision in package.json's
 * allowScripts (npm >= 11.16 warns about the others on every `npm ci`, and npm 12 will skip
 * them). All four are denied: each ships its native code as a per-platform optional
 * dependency, and its script is only a fallback or an optimisation (README, "Install scripts").
 * A new dependency with an install script fails here until someone decides about it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/workspace';

/** The decision for each, and why; the README says the same. */
const REVIEWED: Record<string, { allow: boolean; why: string }> = {
  esbuild: { allow: false, why: "tsx calls esbuild's JS API, which runs @esbuild/<platform>'s binary; the script only checks it and swaps bin/esbuild for it" },
  '@swc/core': { allow: false, why: '@swc/core-<platform> carries the binding; the script only checks it loads and otherwise installs @swc/wasm' },
  'unrs-resolver': { allow: false, why: "@unrs/resolver-binding-<platform> carries jest-resolve's binding; the script (napi-postinstall) only fetches a missing one" },
  '@parcel/watcher': { allow: false, why: 'prebuilt @parcel/watcher-<platform>; the script compiles with node-gyp only when npm_config_build_from_source=true, and only jest --watch loads it' },
};

interface Lock {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
}

function withInstallScripts(): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lock;
  const names = Object.entries(lock.packages)
    .filter(([where, p]) => where !== '' && p.hasInstallScript)
    .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return [...new Set(names)].sort();
}

describe('install scripts of dependencies', () => {
  const allowScripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};

  test('each dependency with an install script has a decision in allowScripts, and no decision is stale', () => {
    // Name-only keys: a denial is always name-only in npm, so it holds for the next version too.
    expect(Object.keys(allowScripts).sort()).toEqual(withInstallScripts());
  });

  test('the decisions are the reviewed ones', () => {
    expect(allowScripts).toEqual(Object.fromEntries(Object.entries(REVIEWED).map(([name, r]) => [name, r.allow])));
  });
});
