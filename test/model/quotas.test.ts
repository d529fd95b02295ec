/**
 * AppConfig service quotas in validate: the counts dynconf's layout makes, the default and
 * declared limits, and the passing cases that go with the quota-* invalid fixtures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPCONFIG_QUOTAS, appConfigQuotaUsage, loadWorkspaceFromDisk, type Diagnostic, type WorkloadConfig } from '../../lib/model';
import { generateWorkload } from '../support/generated-workload';
import { copySample, generateInto, MINIMAL, REPO_ROOT, rmrf, tempDir, type FixtureGenerator } from '../support/workspace';

const TODAY = '2026-11-21';

/** The minimal workspace with generated counts and a change to workload.json. */
function minimalWith(generate: FixtureGenerator, change: (w: Record<string, unknown>) => void = () => {}): string {
  const dir = tempDir();
  fs.cpSync(MINIMAL, dir, { recursive: true });
  generateInto(dir, generate);
  editWorkload(dir, change);
  return dir;
}

function editWorkload(dir: string, change: (w: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'config/workload.json');
  const w = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(w);
  fs.writeFileSync(file, `${JSON.stringify(w, null, 2)}\n`);
}

const quotaDiagnostics = (ds: readonly Diagnostic[]) => ds.filter((d) => d.rule.startsWith('quota/'));

describe('the quota catalogue', () => {
  test('every quota carries its number, its AWS name and its source; adjustable ones their Service Quotas code', () => {
    expect(APPCONFIG_QUOTAS.map((q) => [q.key, q.default, q.adjustable])).toEqual([
      ['applicationsPerRegion', 100, true],
      ['environmentsPerApplication', 20, true],
      ['configurationProfilesPerApplication', 100, true],
      ['deploymentStrategiesPerRegion', 20, true],
      ['monitorsPerEnvironment', 5, false],
      ['validatorsPerConfigurationProfile', 2, false],
    ]);
    for (const q of APPCONFIG_QUOTAS) {
      expect(q.awsName).not.toBe('');
      expect(q.source).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
      if (q.adjustable) expect(q.code).toMatch(/^L-[0-9A-F]{8}$/);
    }
  });

  test('every quota key is in the workload schema, with a title', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'config/schemas/workload.schema.json'), 'utf8')) as {
      definitions: { serviceQuotas: { properties: { appconfig: { properties: Record<string, { title?: string }> } } } };
    };
    const keys = schema.definitions.serviceQuotas.properties.appconfig.properties;
    expect(Object.keys(keys).sort()).toEqual(APPCONFIG_QUOTAS.map((q) => q.key).sort());
    for (const q of APPCONFIG_QUOTAS) expect(keys[q.key]!.title).toBeTruthy();
  });
});

describe('the emergency strategy counts', () => {
  test('when the lane\'s strategy is the one over the quota, the error is at emergency.strategy', () => {
    const dir = copySample();
    try {
      // us-west-2's environments use two strategies; the emergency one makes three.
      editWorkload(dir, (w) => void (w.serviceQuotas = { appconfig: { deploymentStrategiesPerRegion: 2 } }));
      const result = loadWorkspaceFromDisk(dir, { today: TODAY });
      const errors = quotaDiagnostics(result.diagnostics).filter((d) => d.severity === 'error');
      expect(errors).toEqual([expect.objectContaining({ rule: 'quota/appconfig-deployment-strategies', field: 'emergency.strategy', message: expect.stringContaining('plus the emergency lane') })]);
      expect(fs.readFileSync(path.join(dir, 'config/workload.json'), 'utf8').split('\n')[errors[0]!.line - 1]).toContain('"strategy"');
    } finally {
      rmrf(dir);
    }
  });
});

describe('how the layout counts', () => {
  const sample = () => loadWorkspaceFromDisk(REPO_ROOT, { today: TODAY }).model!.workload;

  test('the sample: every application in both accounts, environments and strategies per account and region, the canary as a monitor', () => {
    const usage = appConfigQuotaUsage(sample(), { profilesPerApplication: 3 });
    const row = (region: string, key: string) => usage.find((u) => u.region === region && u.key === key)!;
    expect(row('us-west-2', 'applicationsPerRegion')).toMatchObject({ count: 4, limit: 100, limitFrom: 'default', over: false });
    expect(row('us-east-1', 'applicationsPerRegion')).toMatchObject({ count: 4, limit: 100 });
    expect(row('us-west-2', 'environmentsPerApplication')).toMatchObject({ count: 2, limit: 20 });
    expect(row('us-east-1', 'environmentsPerApplication')).toMatchObject({ count: 3, limit: 20 });
    // The environments' strategies plus the emergency lane's, which every account and region gets.
    expect(row('us-west-2', 'deploymentStrategiesPerRegion')).toMatchObject({ count: 3, limit: 20 });
    expect(row('us-east-1', 'deploymentStrategiesPerRegion')).toMatchObject({ count: 2, limit: 20 });
    // gamma: one metric alarm plus its canary's alarm; prod-01: two alarms plus its canary's.
    expect(row('us-west-2', 'monitorsPerEnvironment')).toMatchObject({ count: 2, limit: 5, where: 'gamma', adjustable: false });
    expect(row('us-east-1', 'monitorsPerEnvironment')).toMatchObject({ count: 3, where: 'prod-01' });
    expect(row('us-east-1', 'validatorsPerConfigurationProfile')).toMatchObject({ count: 1, limit: 2 });
  });

  test('a declared value replaces the default for adjustable quotas only', () => {
    const w = { ...sample(), serviceQuotas: { appconfig: { applicationsPerRegion: 300, monitorsPerEnvironment: 10 } } } as WorkloadConfig;
    const usage = appConfigQuotaUsage(w);
    expect(usage.find((u) => u.key === 'applicationsPerRegion')).toMatchObject({ limit: 300, limitFrom: 'declared' });
    expect(usage.find((u) => u.key === 'monitorsPerEnvironment')).toMatchObject({ limit: 5, limitFrom: 'default' });
  });
});

describe('validate', () => {
  test('101 applications validate once the raised quota is declared', () => {
    const dir = minimalWith({ applications: 101 });
    try {
      const over = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(quotaDiagnostics(over.diagnostics).map((d) => d.rule)).toEqual(['quota/appconfig-applications']);
      editWorkload(dir, (w) => (w['serviceQuotas'] = { appconfig: { applicationsPerRegion: 300 } }));
      expect(quotaDiagnostics(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics)).toEqual([]);
    } finally {
      rmrf(dir);
    }
  });

  test('a generated 101-application workspace: an error naming the quota, then valid with the declaration', () => {
    const dir = generateWorkload(101);
    try {
      editWorkload(dir, (w) => delete w['serviceQuotas']);
      const over = loadWorkspaceFromDisk(dir, { today: TODAY });
      const errors = over.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => d.rule)).toEqual(['quota/appconfig-applications']);
      expect(errors[0]).toMatchObject({ file: 'config/workload.json', field: 'applications' });
      expect(errors[0]!.message).toBe(
        "101 applications exceed AppConfig's 'Maximum number of applications' quota of 100 (AWS's default) in 222222222222/us-west-2, 333333333333/us-east-1: each application is created in every account and region that has an environment",
      );
      expect(errors[0]!.fix).toBe(
        "request an increase of 'Maximum number of applications' (L-EEB0151E) in Service Quotas for AWS AppConfig in every account and region named (requests up to 300 are approved automatically), then declare it in config/workload.json: \"serviceQuotas\": { \"appconfig\": { \"applicationsPerRegion\": 101 } }",
      );

      editWorkload(dir, (w) => (w['serviceQuotas'] = { appconfig: { applicationsPerRegion: 300 } }));
      const ok = loadWorkspaceFromDisk(dir, { today: TODAY });
      expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(ok.model?.applications).toHaveLength(101);
    } finally {
      rmrf(dir);
    }
  });

  test('the quota error shows even when the applications have no files yet', () => {
    const dir = minimalWith({}, (w) => {
      const apps = w['applications'] as Record<string, unknown>;
      for (let i = 1; i <= 100; i++) apps[`new-app-${i}`] = { owner: 'team', description: 'not written yet' };
    });
    try {
      const rules = new Set(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics.map((d) => d.rule));
      expect(rules).toContain('quota/appconfig-applications');
      expect(rules).toContain('flags/missing-file');
    } finally {
      rmrf(dir);
    }
  });

  test('21 environments in one account and region pass with a declared 30', () => {
    const dir = minimalWith({ cloneEnvironment: { from: 'beta', copies: 19 } }, (w) => (w['serviceQuotas'] = { appconfig: { environmentsPerApplication: 30 } }));
    try {
      expect(quotaDiagnostics(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics)).toEqual([]);
    } finally {
      rmrf(dir);
    }
  });

  test('a declared value below the default is enforced, with a warning', () => {
    const dir = minimalWith({ applications: 3 }, (w) => (w['serviceQuotas'] = { appconfig: { applicationsPerRegion: 2 } }));
    try {
      const ds = quotaDiagnostics(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics);
      expect(ds.map((d) => [d.severity, d.rule])).toEqual([
        ['error', 'quota/appconfig-applications'],
        ['warning', 'quota/declared-below-default'],
      ]);
      expect(ds[0]!.message).toContain('quota of 2 (declared in serviceQuotas.appconfig)');
    } finally {
      rmrf(dir);
    }
  });

  test('a declared profile quota below what dynconf may create is an error on the declaration', () => {
    const dir = minimalWith({}, (w) => (w['serviceQuotas'] = { appconfig: { configurationProfilesPerApplication: 2 } }));
    try {
      const errors = quotaDiagnostics(loadWorkspaceFromDisk(dir, { today: TODAY }).diagnostics).filter((d) => d.severity === 'error');
      expect(errors.map((d) => [d.rule, d.field])).toEqual([
        ['quota/appconfig-profiles', 'serviceQuotas.appconfig.configurationProfilesPerApplication'],
        ['quota/appconfig-profiles', 'serviceQuotas.appconfig.configurationProfilesPerApplication'],
      ]);
    } finally {
      rmrf(dir);
    }
  });
});
