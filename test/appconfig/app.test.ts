/**
 * bin/app.ts as `cdk synth` runs it (a child process told where to write by CDK_OUTDIR):
 * the sample synthesizes the pipeline and every environment's stage offline; a workspace
 * that does not validate stops synth with its located diagnostics.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copySample, REPO_ROOT, rmrf, tempDir } from '../support/workspace';

function synth(context: Record<string, string> = {}): { status: number | null; stderr: string; outdir: string } {
  const outdir = tempDir('dynconf-cdk-');
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bin/app.ts')], {
    cwd: REPO_ROOT,
    // NODE_ENV as under `cdk synth`: jest's "test" switches aws-cdk-lib to in-memory validation reports.
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context), NODE_ENV: 'production' },
    encoding: 'utf8',
    timeout: 110_000,
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

test('the sample synthesizes the pipeline stack, and a stage assembly per environment with its stacks', () => {
  const { status, stderr, outdir } = synth();
  try {
    expect([status, stderr]).toEqual([0, expect.any(String)]);
    type Manifest = { artifacts: Record<string, { type: string; properties?: { stackName?: string } }> };
    const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    // The manifest leaves stackName out when it equals the artifact id.
    const stacksOf = (m: Manifest) => Object.entries(m.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([id, a]) => a.properties?.stackName ?? id);
    const top = read(outdir);
    // The pipeline, and the support stack CodePipeline needs for its artifacts in beta's and gamma's region.
    expect(stacksOf(top).sort()).toEqual(['g360-dynconf-pipeline', 'g360-dynconf-pipeline-support-us-west-2']);
    const stages = Object.entries(top.artifacts).filter(([, a]) => a.type === 'cdk:cloud-assembly').map(([id]) => id);
    expect(stages).toEqual(['assembly-beta', 'assembly-gamma', 'assembly-prod-01', 'assembly-prod-02', 'assembly-prod-03']);
    const stackNames = stages.flatMap((stage) => stacksOf(read(path.join(outdir, stage))));
    expect(stackNames.sort()).toEqual([
      'g360-appconfig-beta',
      'g360-appconfig-gamma',
      'g360-appconfig-prod-01',
      'g360-appconfig-prod-02',
      'g360-appconfig-prod-03',
      'g360-appconfig-shared-222222222222-us-west-2',
      'g360-appconfig-shared-333333333333-us-east-1',
      'g360-beta-config-readers',
      'g360-gamma-canary',
      'g360-gamma-config-readers',
      'g360-lower-eks-cluster-02-agent',
      'g360-prod-01-canary',
      'g360-prod-01-config-readers',
      'g360-prod-02-canary',
      'g360-prod-02-config-readers',
      'g360-prod-03-canary',
      'g360-prod-03-config-readers',
      'g360-prod-core-01-agent',
    ]);
  } finally {
    rmrf(outdir);
  }
});

test('a workspace that does not validate exits 1 with its diagnostics and writes no stack', () => {
  const workspace = copySample();
  const workload = path.join(workspace, 'config/workload.json');
  fs.writeFileSync(workload, fs.readFileSync(workload, 'utf8').replace('"strategy": "prod-linear"', '"strategy": "prod-linaer"'));
  const { status, stderr, outdir } = synth({ 'dynconf:root': workspace });
  try {
    expect(status).toBe(1);
    expect(stderr).toMatch(/^config\/workload\.json:\d+:\d+ error environments\.prod-01\.strategy: unknown strategy 'prod-linaer'/m);
    expect(stderr).toMatch(/does not validate \(1 errors above\); nothing synthesized/);
    expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  } finally {
    rmrf(outdir);
    rmrf(workspace);
  }
});
