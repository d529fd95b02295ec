/** Every `dynconf` verb, in the order `dynconf --help` lists them: main.ts's VERBS, all loaded. */
import type { Command } from '../command';
import { VERBS } from '../main';

export const COMMANDS: readonly Command[] = Object.values(VERBS).map((load) => load());
