/**
 * The emergency lane rehearsed end to end, as an on-call engineer would run it, in a
 * temporary git repository holding the sample workspace and against the in-memory
 * AppConfig: switch a flag off on an emergency branch, check it, deploy it to every
 * environment it changes, see drift name it, see the main pipeline's guard stop a commit
 * that would undo it, merge it to main, and see drift clean and the guard pass.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { emergencyCheck } from '../../lib/cli/commands/emergency';
import { makeEmergencyDeploySubcommand } from '../../lib/cli/commands/emergency-deploy';
import { main } from '../../lib/cli/main';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { rolloutTarget } from '../../lib/rollout/targets';
import { captureIO, copySample, rmrf } from '../support/workspace';
import { FakeAppConfig, FakeClock } from './fake-appconfig';

const APP = 'payment-service-v2';
const FLAG = 'payment-retry-policy';

let dir: string;
let fake: FakeAppConfig;
beforeEach(() => {
  dir = copySample();
  fake = new FakeAppConfig();
});
afterEach(() => {
  fake.restore();
  rmrf(dir);
});

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=On Call', '-c', 'user.email=oncall@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString('utf8')
    .trim();
}

function model(): Model {
  const loaded = loadWorkspaceFromDisk(dir);
  if (!loaded.model) throw new Error(`the rehearsal workspace does not validate: ${JSON.stringify(loaded.diagnostics[0])}`);
  return loaded.model;
}

async function dynconf(...argv: string[]) {
  const c = captureIO(dir);
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

/** The newest deployment of `profile` of APP in `env`, with its hosted bytes. */
function latest(env: string, profile = 'flags') {
  const app = fake.app(APP);
  const envId = app.environments.find((e) => e.name === env)!.id;
  const profileId = app.profiles.find((p) => p.name === profile)!.id;
  const d = fake.deployments.filter((x) => x.environmentId === envId && x.profileId === profileId).sort((a, b) => b.number - a.number)[0]!;
  return { ...d, content: fake.hostedVersion(APP, profile, d.version)!.content };
}

test('rehearsal: an off-switch on emergency/x reaches every environment COMPLETE, drift names it, the guard holds main until the merge, then drift is clean', async () => {
  // main, deployed everywhere by the pipeline.
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'the sample workload');
  const onMain = model();
  for (const env of onMain.environments) fake.deployTarget(rolloutTarget(onMain, env), 'COMPLETE');
  const strategy = onMain.workload.emergency!.strategy;
  fake.strategy(`${onMain.workload.workload}-${strategy}`);

  // 1. The incident: switch the flag off on an emergency branch, and commit it.
  git('checkout', '-q', '-b', 'emergency/payment-retries-off');
  const file = path.join(dir, 'flags', `${APP}.json`);
  const flags = JSON.parse(fs.readFileSync(file, 'utf8')) as { flags: Record<string, { default: { enabled?: boolean } }> };
  flags.flags[FLAG]!.default.enabled = false;
  fs.writeFileSync(file, `${JSON.stringify(flags, null, 2)}\n`);
  git('commit', '-q', '-am', `Switch ${FLAG} off everywhere (incident)`);
  const commit = git('rev-parse', 'HEAD');

  // 2. The check: every difference qualifies.
  const checked = await dynconf('emergency', 'check', '--base', 'main');
  expect(checked.err).toBe('');
  expect(checked.code).toBe(0);
  expect(checked.out).toContain(`emergency ${APP} (prod-01) [flags] ${FLAG}: switched off`);

  // 3. The lane deploys it.
  const clock = new FakeClock();
  clock.onSleep = () => fake.advance();
  const deploy = makeEmergencyDeploySubcommand(emergencyCheck, { clock, client: ({ region }) => new AppConfigClient({ region }), retry: { random: () => 0.5 } });
  const c = captureIO(dir);
  const code = await deploy.run(parseArgs({ args: ['--base', 'main'], options: deploy.options, allowPositionals: true }), c.io);
  expect(c.err()).toBe('');
  expect(code).toBe(0);
  const changed = ['gamma', 'prod-01', 'prod-02', 'prod-03'];
  expect(c.out()).toContain(`dynconf emergency deploy ${commit} (strategy ${strategy}):`);
  expect(c.out()).toContain('4 of 4 environments COMPLETE');
  const emergency = model();
  for (const env of changed) {
    expect(c.out()).toMatch(new RegExp(`^ {2}${env} \\(account \\d{12} region [a-z0-9-]+\\): COMPLETE after \\d+ min$`, 'm'));
    expect(latest(env)).toMatchObject({ state: 'COMPLETE', description: `dynconf emergency ${commit}`, content: rolloutTarget(emergency, env, { application: APP, profile: 'flags' }).items[0]!.content });
  }
  // beta does not change (it overrides the flag on): no deployment there.
  expect(latest('beta').description).toBeUndefined();

  // 4. On main, drift names the emergency deployment, not unexplained drift.
  git('checkout', '-q', 'main');
  const drifted = await dynconf('drift', '--env', 'prod-01', '--app', APP);
  expect(drifted.code).toBe(1);
  expect(drifted.out).toContain('1 of 2 profiles differ from this checkout (1 by the emergency lane, not yet on this checkout)');
  expect(drifted.out).toMatch(new RegExp(`^ {2}${APP}/flags: EMERGENCY: deployment #3, version \\d+, is an emergency deployment of ${commit}, not yet on main: merge its branch into main`, 'm'));
  // checkout -> AppConfig
  expect(drifted.out).toContain(`values.${FLAG}.enabled: true -> false`);

  // 5. The main pipeline's guard stops main from undoing it before the merge.
  const held = await dynconf('rollout', 'guard', '--env', 'prod-01');
  expect(held.code).toBe(1);
  expect(held.out).toContain(`BLOCKED: prod-01 ${APP}/flags: emergency change ${commit} in prod-01 is not merged into main; merge it first`);
  expect(held.out).toContain(`it would undo values.${FLAG}.enabled: emergency false, this commit true`);

  // 6. Merge to main: drift is clean and the guard passes.
  git('merge', '-q', '--no-ff', '-m', 'Merge the emergency change', 'emergency/payment-retries-off');
  for (const env of changed) {
    const clean = await dynconf('drift', '--env', env);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(new RegExp(`^${env} \\(account \\d{12} region [a-z0-9-]+\\): all \\d+ profiles match this checkout$`, 'm'));
  }
  const passed = await dynconf('rollout', 'guard', '--env', 'prod-01');
  expect(passed.code).toBe(0);
  expect(passed.out).toContain(`ok: prod-01 ${APP}/flags: deploys the same bytes as emergency deployment #3 of ${commit}: nothing changes for users`);

  // 7. The main pipeline then deploys the same bytes: a new version, identical content.
  const merged = model();
  const lane = latest('prod-01');
  fake.deploy(APP, 'prod-01', 'flags', rolloutTarget(merged, 'prod-01', { application: APP, profile: 'flags' }).items[0]!.content, 'COMPLETE', 100, `dynconf ${APP}/flags for prod-01`);
  expect(latest('prod-01').version).not.toBe(lane.version);
  expect(latest('prod-01').content).toBe(lane.content);
  expect((await dynconf('drift', '--env', 'prod-01')).code).toBe(0);
});
