// Flat config: typescript-eslint's recommended rules, the type-checked rules that catch real
// defects, and static application security testing (SAST) for the code that ships.
//
// SAST: what runs, and the decisions (README, "Static analysis and coverage").
// - eslint-plugin-security (eslint-community), its recommended set, as errors, on the
//   TypeScript in lib/, bin/ and bench/. Tests are left out: they plant hostile input on
//   purpose.
//   - security/detect-object-injection: OFF. It flags every `obj[key]` (239 places), and
//     cannot see the guards the code uses: own-key checks (Object.hasOwn /
//     hasOwnProperty.call), null-prototype objects, Maps, and the loader's refusal of
//     __proto__/constructor/prototype keys (lib/model/source.ts FORBIDDEN_KEYS, proved by
//     test/model/loader-hardening.test.ts). Those are the defence; a comment on 239 lines
//     would only bury the findings that matter.
//   - security/detect-non-literal-fs-filename: ON only in lib/runtime/ (the agent and the
//     BFF: servers that answer HTTP requests, where a path built from a request would be a
//     traversal). Elsewhere OFF: the CLI, the model loader, synthesis and the benchmarks read
//     and write paths the operator gives on the command line or in the workspace, with the
//     operator's own rights; every fs call there would be a finding.
//   - security/detect-non-literal-regexp and detect-unsafe-regex: ON. Each exception says
//     why in the code: a pattern built from constants, a user pattern that lib/model/rules.ts
//     checks with recheck before it runs, or a flagged literal that recheck
//     (https://makenowjust-labs.github.io/recheck/) proves linear.
// - eslint-plugin-no-unsanitized (Mozilla): DOM sinks (innerHTML, insertAdjacentHTML,
//   document.write, import() of a non-literal...) in the browser scripts and in the
//   TypeScript that produces HTML (the BFF's page, SSR).
// - typescript-eslint type-checked rules, on all TypeScript (tests included: an un-awaited
//   `expect(...).rejects` is a test that cannot fail). Chosen because each finding is a bug:
//   no-floating-promises, no-misused-promises (an async listener whose rejection nobody
//   handles), await-thenable, return-await in try/catch (a `return promise` the catch never
//   sees), only-throw-error and prefer-promise-reject-errors (no stack), no-implied-eval
//   (new Function / string timers), switch-exhaustiveness-check, no-for-in-array,
//   no-array-delete. Tried and left out, each found no bug here: require-await (21 async
//   `run()` methods that implement a Promise-returning interface), no-unnecessary-condition
//   (39 defensive checks of parsed input the types call impossible), no-unsafe-argument
//   (38, all JSON in tests), no-base-to-string and restrict-template-expressions
//   (schema-validated Json values), unbound-method (handler objects of arrow functions).
// An exception is an `eslint-disable-next-line <rule> -- <why>` on the line; never a rule
// turned off for a file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';
import noUnsanitized from 'eslint-plugin-no-unsanitized';

const SHIPPED_TS = ['lib/**/*.ts', 'bin/**/*.ts', 'bench/**/*.ts'];
const BROWSER_JS = ['lib/runtime/browser/**/*.js'];

/** A plugin's recommended rules, every one an error (the plugins ship them as warnings). */
const asErrors = (rules) => Object.fromEntries(Object.keys(rules).map((r) => [r, 'error']));

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', 'coverage/', 'reports/', 'test/fixtures/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: SHIPPED_TS,
    plugins: { security },
    rules: {
      ...asErrors(security.configs.recommended.rules),
      'security/detect-object-injection': 'off',
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
  // lib/cli/main.ts loads each verb with require() when it runs (VERBS), so that `--version`
  // and `validate` do not load aws-cdk-lib or the AWS SDK; an import would load them all.
  { files: ['lib/cli/main.ts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // The CLI's plain-JavaScript entry and build script ship like the TypeScript: the same SAST.
  { files: ['bin/*.js', 'scripts/*.js'], plugins: { security }, rules: { ...asErrors(security.configs.recommended.rules), 'security/detect-object-injection': 'off', 'security/detect-non-literal-fs-filename': 'off' } },
  { files: ['lib/runtime/**/*.ts'], rules: { 'security/detect-non-literal-fs-filename': 'error' } },
  { files: [...SHIPPED_TS, ...BROWSER_JS], ...noUnsanitized.configs.recommended },
  {
    files: ['*.js', 'bin/*.js', 'scripts/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    // CommonJS config files (jest.config.js) and the compiled CLI's entry and build script: require() is their import.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: BROWSER_JS,
    languageOptions: { globals: { window: 'readonly', document: 'readonly', WebSocket: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', console: 'readonly' } },
  },
);
