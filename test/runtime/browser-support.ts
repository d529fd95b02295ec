/**
 * What every Chromium test shares: where Debian's chromium is, how it is launched, how long
 * to wait, and how a test edits a beta flag in its copy of the workspace. One place, so a
 * missing browser reads the same (and is the only error shown) in every browser test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Generous for a loaded 2-core machine; what the tests assert does not depend on it. */
export const WAIT = { timeout: 30_000 };

/** Throws the one line a user without Chromium should read; call it first in beforeAll. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: run 'sudo apt-get install -y chromium' (npm test's pretest step does it when it can)`);
}

export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Sets one flag's beta entry in `root`'s flags/<app>.json, as an editor saving the file would. */
export function editBetaFlag(root: string, app: string, key: string, beta: Record<string, unknown>): void {
  const file = path.join(root, 'flags', `${app}.json`);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  doc.flags[key].environments = { ...doc.flags[key].environments, beta };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}
