/**
 * AWS AppConfig's service quotas that dynconf's layout can reach, how the workload's
 * shape counts against them, and the check `validate` runs. Pure: no AWS call, so a
 * workload that would hit ServiceQuotaExceededException halfway through a pipeline run
 * fails `validate` (and so synth) instead.
 *
 * How dynconf's layout counts (see lib/appconfig/plan.ts):
 * - every application exists once in EVERY account and region that has an environment
 *   (environments sharing an account and region share one Application per app);
 * - each of those Applications has one AppConfig Environment per environment of that
 *   account and region;
 * - each Application has the profiles flags, ops and, with browser flags, browser;
 * - each account and region gets one DeploymentStrategy per strategy its environments use;
 * - each Environment carries workload.json's monitors plus the canary's alarm;
 * - the ops profile has one JSON_SCHEMA validator, the others none.
 *
 * Quotas count every resource of the account and region, including those dynconf does not
 * create: a value declared below AWS's default reserves room for them.
 */
import type { Diagnostics } from './diagnostics';
import type { JsonFile } from './source';
import type { AppConfigQuotaKey, WorkloadConfig } from './types';

/** The page every quota below comes from unless it says otherwise. */
export const APPCONFIG_QUOTAS_PAGE = 'AWS General Reference, "AWS AppConfig endpoints and quotas" (https://docs.aws.amazon.com/general/latest/gr/appconfig.html#limits_appconfig)';

export interface AppConfigQuota {
  readonly key: AppConfigQuotaKey;
  /** Short name for tables: "applications per account and region". */
  readonly label: string;
  /** The quota's name exactly as AWS writes it (Service Quotas, or the page it comes from). */
  readonly awsName: string;
  /** Service Quotas code, for `aws service-quotas request-service-quota-increase`; absent for fixed API limits. */
  readonly code?: string;
  readonly default: number;
  readonly adjustable: boolean;
  /** Requests up to this value are approved automatically (the quotas page says so). */
  readonly autoApprovedUpTo?: number;
  /** What one count is of: the scope the quota applies to. */
  readonly per: 'account and region' | 'application' | 'environment' | 'configuration profile';
  /** What is counted, in a sentence's words: "applications". */
  readonly counts: string;
  readonly source: string;
}

/**
 * The catalogue. The quotas page also lists "Configuration size limit in AWS AppConfig
 * hosted configuration store" and "Deployment size limit" (2,048 KB, adjustable); those
 * are per document and checked where documents are sized (lib/model/load.ts).
 */
export const APPCONFIG_QUOTAS: readonly AppConfigQuota[] = [
  {
    key: 'applicationsPerRegion',
    label: 'applications per account and region',
    // AWS AppConfig endpoints and quotas: "Maximum number of applications", 100 per Region, adjustable (L-EEB0151E).
    awsName: 'Maximum number of applications',
    code: 'L-EEB0151E',
    default: 100,
    adjustable: true,
    autoApprovedUpTo: 300,
    per: 'account and region',
    counts: 'applications',
    source: APPCONFIG_QUOTAS_PAGE,
  },
  {
    key: 'environmentsPerApplication',
    label: 'environments per application',
    // AWS AppConfig endpoints and quotas: "Maximum number of environments per application", 20, adjustable (L-A52E46BE).
    awsName: 'Maximum number of environments per application',
    code: 'L-A52E46BE',
    default: 20,
    adjustable: true,
    autoApprovedUpTo: 100,
    per: 'application',
    counts: 'environments',
    source: APPCONFIG_QUOTAS_PAGE,
  },
  {
    key: 'configurationProfilesPerApplication',
    label: 'configuration profiles per application',
    // AWS AppConfig endpoints and quotas: "Maximum number of configuration profiles per application", 100, adjustable (L-FA210A1F).
    awsName: 'Maximum number of configuration profiles per application',
    code: 'L-FA210A1F',
    default: 100,
    adjustable: true,
    autoApprovedUpTo: 500,
    per: 'application',
    counts: 'configuration profiles',
    source: APPCONFIG_QUOTAS_PAGE,
  },
  {
    key: 'deploymentStrategiesPerRegion',
    label: 'deployment strategies per account and region',
    // AWS AppConfig endpoints and quotas: "Maximum number of deployment strategies", 20 per Region, adjustable (L-F59D302B).
    awsName: 'Maximum number of deployment strategies',
    code: 'L-F59D302B',
    default: 20,
    adjustable: true,
    autoApprovedUpTo: 100,
    per: 'account and region',
    counts: 'deployment strategies',
    source: APPCONFIG_QUOTAS_PAGE,
  },
  {
    key: 'monitorsPerEnvironment',
    label: 'monitors per environment',
    // AWS AppConfig API Reference, CreateEnvironment: "Monitors", array of Monitor objects, "Maximum number of 5 items". Not a Service Quotas quota: it cannot be raised.
    awsName: 'Monitors (CreateEnvironment: maximum number of 5 items)',
    default: 5,
    adjustable: false,
    per: 'environment',
    counts: 'monitors',
    source: 'AWS AppConfig API Reference, "CreateEnvironment" (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateEnvironment.html)',
  },
  {
    key: 'validatorsPerConfigurationProfile',
    label: 'validators per configuration profile',
    // AWS AppConfig User Guide, "Creating a configuration profile": "A configuration profile can have a maximum of two validators." Not adjustable.
    awsName: 'Validators (a configuration profile can have a maximum of two validators)',
    default: 2,
    adjustable: false,
    per: 'configuration profile',
    counts: 'validators',
    source: 'AWS AppConfig User Guide, "Creating a configuration profile in AWS AppConfig" (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-profile.html)',
  },
];

export function appConfigQuota(key: AppConfigQuotaKey): AppConfigQuota {
  return APPCONFIG_QUOTAS.find((q) => q.key === key)!;
}

/** Profiles dynconf can give an application: flags, ops and browser. */
export const MAX_PROFILES_PER_APPLICATION = 3;
/** The ops profile's JSON_SCHEMA validator; flags and browser have none. */
export const VALIDATORS_PER_PROFILE = 1;

export interface QuotaUsage {
  readonly account: string;
  readonly region: string;
  readonly key: AppConfigQuotaKey;
  readonly label: string;
  readonly awsName: string;
  readonly code?: string;
  readonly per: AppConfigQuota['per'];
  /** The largest count within this account and region (per application, environment...). */
  readonly count: number;
  readonly limit: number;
  /** Whether the limit is AWS's default or the value workload.json declares. */
  readonly limitFrom: 'default' | 'declared';
  readonly adjustable: boolean;
  /** Where the largest count is, when the quota applies to something smaller than the account and region. */
  readonly where?: string;
  readonly over: boolean;
}

export interface QuotaUsageOptions {
  /**
   * The largest number of profiles any application has; validate does not know it yet
   * (browser profiles depend on the flags files), so it counts the most dynconf creates.
   * @default MAX_PROFILES_PER_APPLICATION
   */
  readonly profilesPerApplication?: number;
}

/** The limit that applies: workload.json's declared value, or AWS's default. */
export function quotaLimit(w: WorkloadConfig, q: AppConfigQuota): { limit: number; limitFrom: 'default' | 'declared' } {
  const declared = q.adjustable ? w.serviceQuotas?.appconfig?.[q.key] : undefined;
  return declared === undefined ? { limit: q.default, limitFrom: 'default' } : { limit: declared, limitFrom: 'declared' };
}

interface Group {
  readonly account: string;
  readonly region: string;
  /** Environment names in workload.json order. */
  readonly environments: string[];
}

/** Environments by account and region, in workload.json order (as accountRegions groups the model). */
function groups(w: WorkloadConfig): Group[] {
  const out = new Map<string, Group>();
  for (const [name, env] of Object.entries(w.environments)) {
    const key = `${env.account}-${env.region}`;
    const g = out.get(key) ?? out.set(key, { account: env.account, region: env.region, environments: [] }).get(key)!;
    g.environments.push(name);
  }
  return [...out.values()];
}

/** The strategies dynconf creates in an account and region: its environments', and the emergency lane's. */
function strategiesIn(w: WorkloadConfig, environments: readonly string[]): Set<string> {
  const strategies = new Set(environments.map((e) => w.environments[e]!.strategy));
  if (w.emergency) strategies.add(w.emergency.strategy);
  return strategies;
}

/** The canary's alarm is one more monitor of each of the environment's AppConfig environments. */
function monitorsOf(w: WorkloadConfig, env: string): number {
  const e = w.environments[env]!;
  return e.monitors.length + (e.canary ? 1 : 0);
}

/** Every quota's count in every account and region, against its limit. */
export function appConfigQuotaUsage(w: WorkloadConfig, options: QuotaUsageOptions = {}): QuotaUsage[] {
  const appCount = Object.keys(w.applications).length;
  const out: QuotaUsage[] = [];
  for (const g of groups(w)) {
    const strategies = strategiesIn(w, g.environments);
    const busiest = [...g.environments].sort((a, b) => monitorsOf(w, b) - monitorsOf(w, a))[0]!;
    const counts: Record<AppConfigQuotaKey, { count: number; where?: string }> = {
      applicationsPerRegion: { count: appCount },
      environmentsPerApplication: { count: g.environments.length, where: 'every application' },
      configurationProfilesPerApplication: { count: options.profilesPerApplication ?? MAX_PROFILES_PER_APPLICATION, where: 'the application with the most profiles' },
      deploymentStrategiesPerRegion: { count: strategies.size },
      monitorsPerEnvironment: { count: monitorsOf(w, busiest), where: busiest },
      validatorsPerConfigurationProfile: { count: VALIDATORS_PER_PROFILE, where: 'ops' },
    };
    for (const q of APPCONFIG_QUOTAS) {
      const { count, where } = counts[q.key];
      const { limit, limitFrom } = quotaLimit(w, q);
      out.push({ account: g.account, region: g.region, key: q.key, label: q.label, awsName: q.awsName, code: q.code, per: q.per, count, limit, limitFrom, adjustable: q.adjustable, where, over: count > limit });
    }
  }
  return out;
}

function raiseFix(q: AppConfigQuota, needed: number): string {
  const auto = q.autoApprovedUpTo !== undefined ? ` (requests up to ${q.autoApprovedUpTo} are approved automatically)` : '';
  return (
    `request an increase of '${q.awsName}' (${q.code}) in Service Quotas for AWS AppConfig in every account and region named${auto}, ` +
    `then declare it in config/workload.json: "serviceQuotas": { "appconfig": { "${q.key}": ${needed} } }`
  );
}

const where = (g: { account: string; region: string }) => `${g.account}/${g.region}`;

/**
 * Errors for every count over its quota, and for declarations AWS would not honour. Runs
 * on workload.json alone, before the flags and ops files are read, so missing files of a
 * large workload cannot hide it.
 */
export function checkServiceQuotas(json: JsonFile, w: WorkloadConfig, diags: Diagnostics): void {
  const declared = w.serviceQuotas?.appconfig ?? {};
  for (const [key, value] of Object.entries(declared) as [AppConfigQuotaKey, number][]) {
    const q = appConfigQuota(key);
    const at = json.locate(['serviceQuotas', 'appconfig', key]);
    const field = `serviceQuotas.appconfig.${key}`;
    if (!q.adjustable) {
      diags.error(at, 'quota/not-adjustable', `'${q.awsName}' is not adjustable: AWS keeps it at ${q.default} (${q.source})`, {
        field,
        fix: `remove ${key}; stay within ${q.default} ${q.counts} per ${q.per}`,
      });
    } else if (value < q.default) {
      // Legitimate when other tools create AppConfig resources in the same accounts (it
      // reserves room for them), so it is enforced as declared; a typo (30 for 300) must not pass unseen.
      diags.warning(at, 'quota/declared-below-default', `${key} ${value} is below AWS's default ${q.default}: dynconf enforces ${value}`, {
        field,
        fix: `if you raised the quota, declare the value AWS granted; keep ${value} only to leave room for ${q.counts} created outside dynconf`,
      });
    }
  }

  const usage = appConfigQuotaUsage(w);
  const over = (key: AppConfigQuotaKey) => usage.filter((u) => u.key === key && u.over);
  const limitText = (u: QuotaUsage) => `${u.limit} (${u.limitFrom === 'declared' ? 'declared in serviceQuotas.appconfig' : "AWS's default"})`;

  // Applications: the same count in every account and region, made by the `applications` key.
  const apps = over('applicationsPerRegion');
  if (apps.length > 0) {
    const q = appConfigQuota('applicationsPerRegion');
    diags.error(json.locateKey(['applications']), 'quota/appconfig-applications', `${apps[0]!.count} applications exceed AppConfig's '${q.awsName}' quota of ${limitText(apps[0]!)} in ${apps.map(where).join(', ')}: each application is created in every account and region that has an environment`, {
      field: 'applications',
      fix: raiseFix(q, apps[0]!.count),
    });
  }

  for (const u of over('environmentsPerApplication')) {
    const q = appConfigQuota('environmentsPerApplication');
    const envs = groups(w).find((g) => g.account === u.account && g.region === u.region)!.environments;
    const first = envs[u.limit]!;
    diags.error(json.locateKey(['environments', first]), 'quota/appconfig-environments', `${u.count} environments in ${where(u)} (${envs.join(', ')}) exceed AppConfig's '${q.awsName}' quota of ${limitText(u)}: every application there gets one AppConfig Environment per environment`, {
      field: `environments.${first}`,
      fix: `${raiseFix(q, u.count)}; or move environments to another account or region`,
    });
  }

  for (const u of over('deploymentStrategiesPerRegion')) {
    const q = appConfigQuota('deploymentStrategiesPerRegion');
    const envs = groups(w).find((g) => g.account === u.account && g.region === u.region)!.environments;
    const seen = new Set<string>();
    const first = envs.find((e) => seen.add(w.environments[e]!.strategy).size > u.limit);
    // Within the limit on the environments' own strategies: the emergency lane's is the one over.
    const at = first === undefined ? ['emergency', 'strategy'] : ['environments', first, 'strategy'];
    diags.error(json.locate(at), 'quota/appconfig-deployment-strategies', `${u.count} deployment strategies are used in ${where(u)}, over AppConfig's '${q.awsName}' quota of ${limitText(u)}: dynconf creates one per strategy an environment of that account and region names, plus the emergency lane's`, {
      field: at.join('.'),
      fix: `${raiseFix(q, u.count)}; or let more environments there share a strategy`,
    });
  }

  // Monitors: per environment, not the busiest of a group, so every offender is named.
  const monitors = appConfigQuota('monitorsPerEnvironment');
  for (const [name, env] of Object.entries(w.environments)) {
    const n = monitorsOf(w, name);
    if (n <= monitors.default) continue;
    diags.error(json.locateKey(['environments', name, 'monitors']), 'quota/appconfig-monitors', `environment '${name}' (${env.account}/${env.region}) has ${n} monitors (${env.monitors.length} in monitors${env.canary ? ' plus the canary\'s alarm' : ''}); AppConfig allows ${monitors.default} per environment and the limit is not adjustable`, {
      field: `environments.${name}.monitors`,
      fix: `remove ${n - monitors.default} monitor${n - monitors.default === 1 ? '' : 's'}${env.canary ? ', or the canary' : ''}: combine alarms into one CloudWatch composite alarm and monitor that`,
    });
  }

  for (const u of over('configurationProfilesPerApplication')) {
    const q = appConfigQuota('configurationProfilesPerApplication');
    diags.error(json.locate(['serviceQuotas', 'appconfig', q.key]), 'quota/appconfig-profiles', `applications in ${where(u)} may get ${u.count} configuration profiles (flags, ops, browser), over the declared '${q.awsName}' of ${u.limit}`, {
      field: `serviceQuotas.appconfig.${q.key}`,
      fix: `declare at least ${u.count}, or remove the declaration (AWS's default is ${q.default})`,
    });
  }
}
