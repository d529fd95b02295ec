/**
 * A workspace with as many applications as a test or benchmark asks for: the sample's
 * environments, pipeline, strategies and clusters, and N applications that alternate
 * between copies of the sample's groupsync-v3 (three profiles, browser flags) and
 * payment-service-v2 (two profiles), owned by 17 teams. Every copy is valid, so the model
 * loads it:
 * - past AppConfig's default of 100 applications per account and region, the workspace
 *   declares the raised quota, as a platform team would after requesting it;
 * - each cluster has one consuming namespace per team, reading that team's applications,
 *   with nothing prefetched (every node fetching every application is the cost the
 *   DaemonSet exists to avoid);
 * - the layout is the one `dynconf layout` writes for a new workspace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assignParts, LAYOUT_FILE, layoutFileContent, loadWorkspaceFromDisk, type Diagnostic } from '../../lib/model';
import { copySample } from './workspace';

/** AppConfig's default "Maximum number of applications" (lib/model/quotas.ts). */
const DEFAULT_APPLICATIONS_QUOTA = 100;
const TEAMS = 17;

interface GeneratedWorkload {
  applications: Record<string, { owner: string; description: string }>;
  serviceQuotas?: { appconfig: { applicationsPerRegion: number } };
  clusters: Record<string, { namespaces: Record<string, { applications: string[]; prefetch?: string[] }> }>;
}

/** Sample applications the generated ones are copied from, in alternation. */
const TEMPLATES = ['groupsync-v3', 'payment-service-v2'] as const;

export function generatedApplicationName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Write a workspace with `count` applications to a new temporary folder and return it. */
export function generateWorkload(count: number): string {
  const dir = copySample();
  const workloadFile = path.join(dir, 'config/workload.json');
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8')) as GeneratedWorkload;
  const sampleApps = Object.keys(workload.applications);
  for (const app of sampleApps) {
    if (TEMPLATES.includes(app as (typeof TEMPLATES)[number])) continue;
    fs.rmSync(path.join(dir, 'flags', `${app}.json`));
    fs.rmSync(path.join(dir, 'config/ops', app), { recursive: true });
  }
  const applications: Record<string, { owner: string; description: string }> = {};
  const byTeam = new Map<string, string[]>();
  for (let i = 1; i <= count; i++) {
    const name = generatedApplicationName(i);
    const template = TEMPLATES[i % TEMPLATES.length]!;
    const team = `team-${String(i % TEAMS).padStart(2, '0')}`;
    applications[name] = { owner: team, description: `Generated copy of ${template}.` };
    byTeam.set(team, [...(byTeam.get(team) ?? []), name]);
    fs.copyFileSync(path.join(dir, 'flags', `${template}.json`), path.join(dir, 'flags', `${name}.json`));
    fs.cpSync(path.join(dir, 'config/ops', template), path.join(dir, 'config/ops', name), { recursive: true });
  }
  for (const template of TEMPLATES) {
    fs.rmSync(path.join(dir, 'flags', `${template}.json`));
    fs.rmSync(path.join(dir, 'config/ops', template), { recursive: true });
  }
  workload.applications = applications;
  if (count > DEFAULT_APPLICATIONS_QUOTA) workload.serviceQuotas = { appconfig: { applicationsPerRegion: count } };
  const namespaces = Object.fromEntries([...byTeam].sort(([a], [b]) => (a < b ? -1 : 1)).map(([team, apps]) => [team, { applications: apps }]));
  for (const cluster of Object.values(workload.clusters)) cluster.namespaces = namespaces;
  fs.writeFileSync(workloadFile, `${JSON.stringify(workload, null, 2)}\n`);
  writeLayout(dir);
  return dir;
}

/** Place the workspace's applications in stack parts as `dynconf layout` does on a fresh workspace, and write config/layout.json. */
function writeLayout(dir: string): void {
  const { model, diagnostics } = loadWorkspaceFromDisk(dir, { withoutLayout: true });
  if (!model) throw new Error(`generated workspace ${dir} does not validate:\n${diagnostics.map((d: Diagnostic) => `  ${d.file}:${d.line} ${d.message}`).join('\n')}`);
  fs.writeFileSync(path.join(dir, LAYOUT_FILE), layoutFileContent(assignParts(model, {}).parts));
}
