#!/usr/bin/env -S node --import tsx
/** CLI entry (package.json "bin"). */
import { main } from '../lib/cli/main';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}

main(process.argv.slice(2), { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dynconf: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
