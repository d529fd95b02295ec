/**
 * Generates a large, valid workspace (N applications x E environments x F flags, with ops
 * config) for benchmarks and scale tests. Deterministic: the same sizes give the same files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assignParts, LAYOUT_FILE, layoutFileContent, loadWorkspaceFromDisk } from '../lib/model';

export interface GeneratedSize {
  readonly applications: number;
  readonly environments: number;
  readonly flagsPerApp: number;
}

export function generateWorkspace(dir: string, size: GeneratedSize): void {
  const envs = Array.from({ length: size.environments }, (_, i) => (i === 0 ? 'beta' : i === 1 ? 'gamma' : `prod-${String(i - 1).padStart(2, '0')}`));
  const prod = envs.slice(2);
  const half = Math.ceil(prod.length / 2);
  const apps = Array.from({ length: size.applications }, (_, i) => `app-${String(i).padStart(3, '0')}`);
  const alarm = (env: string) => ({ alarmArn: `arn:aws:cloudwatch:us-east-1:333333333333:alarm:${env}-5xx` });
  const workload = {
    $schema: './schemas/workload.schema.json',
    workload: 'bench',
    pipeline: {
      account: '111111111111',
      region: 'us-east-1',
      source: { repository: 'example-org/bench', branch: 'main', connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000' },
      stages: ['beta', 'gamma'],
      waves: [
        { name: 'prod-wave-1', environments: prod.slice(0, half) },
        ...(prod.length > half ? [{ name: 'prod-wave-2', environments: prod.slice(half) }] : []),
      ],
    },
    strategies: {
      fast: { growthType: 'LINEAR', growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 0 },
      canary: { growthType: 'EXPONENTIAL', growthFactor: 10, deploymentDurationMinutes: 20, finalBakeTimeMinutes: 10 },
      linear: { growthType: 'LINEAR', growthFactor: 20, deploymentDurationMinutes: 30, finalBakeTimeMinutes: 30 },
    },
    environments: Object.fromEntries(
      envs.map((env, i) => [
        env,
        i < 2
          ? { tier: i === 0 ? 'beta' : 'gamma', account: '222222222222', region: 'us-west-2', strategy: i === 0 ? 'fast' : 'canary', monitors: [], clusters: [] }
          : { tier: 'prod', account: '333333333333', region: 'us-east-1', strategy: 'linear', monitors: [alarm(env)], clusters: [] },
      ]),
    ),
    applications: Object.fromEntries(apps.map((a) => [a, { owner: 'team-bench', description: `Generated application ${a}` }])),
    clusters: {},
  };
  write(dir, 'config/workload.json', workload);
  for (const app of apps) {
    const flags: Record<string, unknown> = {};
    for (let f = 0; f < size.flagsPerApp; f++) {
      const key = `flag-${String(f).padStart(3, '0')}`;
      const kind = f % 4;
      flags[key] =
        kind === 3
          ? {
              name: `Flag ${f}`,
              default: {
                variants: [
                  { name: 'pro', rule: `(and (eq $tier "pro") (split pct::${f % 100} by::$userId))`, enabled: true, attributeValues: { limit: 50 } },
                  { name: 'rest', enabled: false, attributeValues: { limit: 10 } },
                ],
              },
              attributes: { limit: { constraints: { type: 'number', minimum: 0, maximum: 100 } } },
            }
          : {
              name: `Flag ${f}`,
              description: `Generated flag ${f} of ${app}`,
              ...(kind === 1 ? { exposure: 'browser' } : {}),
              attributes: { limit: { constraints: { type: 'number', minimum: 0, maximum: 100 } }, mode: { constraints: { type: 'string', enum: ['a', 'b'] } } },
              default: { enabled: false, limit: 10, mode: 'a' },
              environments: Object.fromEntries(envs.map((env, i) => [env, { enabled: (f + i) % 2 === 0, limit: (f * 7 + i) % 100 }])),
            };
    }
    write(dir, `flags/${app}.json`, { $schema: '../config/schemas/flags.schema.json', flags });
    write(dir, `config/ops/${app}/schema.json`, {
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: `${app} ops`,
      type: 'object',
      additionalProperties: false,
      required: ['logLevel', 'timeouts'],
      properties: {
        logLevel: { enum: ['DEBUG', 'INFO', 'ERROR'] },
        timeouts: { type: 'object', properties: { connectMs: { type: 'integer', minimum: 1 }, readMs: { type: 'integer', minimum: 1 } } },
      },
    });
    write(dir, `config/ops/${app}/default.json`, { $schema: './schema.json', logLevel: 'INFO', timeouts: { connectMs: 500, readMs: 2000 } });
    for (const env of envs) write(dir, `config/ops/${app}/${env}.json`, { $schema: './schema.json', logLevel: env === 'beta' ? 'DEBUG' : 'ERROR' });
  }
  writeLayout(dir);
}

/** config/layout.json as `dynconf layout` writes it for a fresh workspace. */
function writeLayout(dir: string): void {
  const { model, diagnostics } = loadWorkspaceFromDisk(dir, { withoutLayout: true });
  if (!model) throw new Error(`generated workspace does not validate: ${diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`);
  fs.writeFileSync(path.join(dir, LAYOUT_FILE), layoutFileContent(assignParts(model, {}).parts));
}

function write(root: string, rel: string, value: unknown): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
