/** Every `dynconf` verb, in the order `dynconf --help` lists them. */
import type { Command } from '../command';
import { agentCommand } from './agent';
import { bffCommand } from './bff';
import { buildCommand } from './build';
import { diffCommand } from './diff';
import { layoutCommand } from './layout';
import { manifestsCommand } from './manifests';
import { newCommand } from './new';
import { driftCommand } from './drift';
import { emergencyCommand } from './emergency';
import { evalCommand } from './eval';
import { flagsCommand } from './flags';
import { planCommand } from './plan';
import { rolloutCommand } from './rollout';
import { validateCommand } from './validate';
import { verifyCommand } from './verify';

export const COMMANDS: readonly Command[] = [validateCommand, newCommand, layoutCommand, buildCommand, flagsCommand, evalCommand, manifestsCommand, diffCommand, planCommand, rolloutCommand, driftCommand, emergencyCommand, verifyCommand, agentCommand, bffCommand];
