/**
 * A workspace with as many applications as a test or benchmark asks for: the sample's
 * environments, pipeline, strategies and clusters, and N applications that alternate
 * between copies of the sample's groupsync-v3 (three profiles, browser flags) and
 * payment-service-v2 (two profiles). Every copy is valid, so the model loads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copySample } from './workspace';

/** Sample applications the generated ones are copied from, in alternation. */
const TEMPLATES = ['groupsync-v3', 'payment-service-v2'] as const;

export function generatedApplicationName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Write a workspace with `count` applications to a new temporary folder and return it. */
export function generateWorkload(count: number): string {
  const dir = copySample();
  const workloadFile = path.join(dir, 'config/workload.json');
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8')) as { applications: Record<string, { owner: string; description: string }> };
  const sampleApps = Object.keys(workload.applications);
  for (const app of sampleApps) {
    if (TEMPLATES.includes(app as (typeof TEMPLATES)[number])) continue;
    fs.rmSync(path.join(dir, 'flags', `${app}.json`));
    fs.rmSync(path.join(dir, 'config/ops', app), { recursive: true });
  }
  const applications: Record<string, { owner: string; description: string }> = {};
  for (let i = 1; i <= count; i++) {
    const name = generatedApplicationName(i);
    const template = TEMPLATES[i % TEMPLATES.length]!;
    applications[name] = { owner: `team-${String(i % 17).padStart(2, '0')}`, description: `Generated copy of ${template}.` };
    fs.copyFileSync(path.join(dir, 'flags', `${template}.json`), path.join(dir, 'flags', `${name}.json`));
    fs.cpSync(path.join(dir, 'config/ops', template), path.join(dir, 'config/ops', name), { recursive: true });
  }
  for (const template of TEMPLATES) {
    fs.rmSync(path.join(dir, 'flags', `${template}.json`));
    fs.rmSync(path.join(dir, 'config/ops', template), { recursive: true });
  }
  workload.applications = applications;
  fs.writeFileSync(workloadFile, `${JSON.stringify(workload, null, 2)}\n`);
  return dir;
}
