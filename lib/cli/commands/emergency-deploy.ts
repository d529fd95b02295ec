/**
 * `dynconf emergency deploy`: the lane's last step. It runs the emergency check against
 * the base ref, refuses anything that does not qualify, and ships the changed documents
 * with lib/rollout's deployEmergency: every affected environment in parallel, the
 * workload's emergency strategy, a COMPLETE (or a loud failure) reported per environment.
 *
 * The check itself lives with `emergency check` (./emergency.ts) and is passed in, so
 * this file does not import the dispatcher that lists it.
 */
import { execFileSync } from 'node:child_process';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { EmergencyReport, Model } from '../../model';
import { AppConfigError, deployEmergency, EmergencyError, ssmIdDirectory, systemClock, type Clock, type EmergencyDeployResult, type RetryOptions } from '../../rollout';
import { choiceOption, CommandError, EXIT_FAILURE, EXIT_OK, numberOption, requiredOption, stringOption, UsageError, type CommandIO, type OptionSpec, type ParsedArgs } from '../command';
import { beforeAwsClient } from '../aws-node-notice';
import { ROOT_OPTION, workspaceRoot } from '../workspace';

/** What `emergency check` computes: both models and the report. */
export type EmergencyCheckFn = (root: string, ref: string, io: CommandIO) => { base: Model; head: Model; report: EmergencyReport };

export interface EmergencyDeployDeps {
  readonly clock: Clock;
  /** A client for one environment: its region, and the shared-config profile of its role when given. */
  readonly client: (where: { region: string; profile?: string }) => AppConfigClient;
  /**
   * Reads one SSM parameter in an environment's account and region. The lane's role may not
   * list AppConfig applications or strategies (IAM takes only `*` for those listings), so
   * AppConfig IDs come from the parameters the shared stacks publish. Without it (tests
   * against the in-memory AppConfig), IDs are found by listing.
   */
  readonly parameter?: (where: { region: string; profile?: string }) => (name: string) => Promise<string>;
  /** @default RetryOptions defaults */
  readonly retry?: RetryOptions;
}

export const DEFAULT_EMERGENCY_DEPLOY_DEPS: EmergencyDeployDeps = {
  clock: systemClock,
  // Without a profile, the default chain; with one, the SDK assumes that profile's role_arn.
  client: ({ region, profile }) => {
    beforeAwsClient();
    return new AppConfigClient(profile ? { region, profile } : { region });
  },
  parameter: ({ region, profile }) => {
    beforeAwsClient();
    const ssm = new SSMClient(profile ? { region, profile } : { region });
    return async (name) => {
      try {
        const value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
        if (value === undefined) throw new AppConfigError('not-found', `SSM parameter ${name} has no value`);
        return value;
      } catch (e) {
        if (e instanceof ParameterNotFound) throw new AppConfigError('not-found', `SSM parameter ${name} does not exist in ${region}: the pipeline has not deployed this application's shared stack there yet`, { cause: e });
        throw e;
      }
    };
  },
};

export const EMERGENCY_DEPLOY_USAGE = `usage: dynconf emergency deploy --base <git-ref> [--commit <sha>] [--aws-profile-prefix <prefix>]
         [--timeout <minutes>] [--interval <seconds>] [--format text|json] [--root <dir>]

Runs the emergency check against <git-ref> (the commit deployed everywhere, e.g. origin/main)
and, when every difference qualifies, deploys each changed profile to each environment it
changes through the AppConfig API: environments in parallel, one deployment at a time in
each AppConfig environment (flags, then ops, then browser), with workload.json
emergency.strategy, described 'dynconf emergency <commit>'. Before deploying to an
environment it checks that AppConfig serves there what <git-ref> compiles, and refuses
that environment otherwise. Waits for every deployment to be COMPLETE.
  --commit              the commit being deployed; must be HEAD (default HEAD)
  --aws-profile-prefix  use the shared-config profile <prefix><env> for each environment
                        (its emergency role); default: $DYNCONF_EMERGENCY_PROFILE_PREFIX,
                        else the default credential chain
  --timeout             minutes one deployment may take (default: the strategy's duration
                        and bake + 10)
  --interval            seconds between polls (default 10)
Exit 0 when every environment is COMPLETE; 1 when the check fails, an environment is
refused, a deployment rolls back (naming the environment and the alarm) or times out;
2 on a usage error.`;

export const EMERGENCY_DEPLOY_OPTIONS: OptionSpec = {
  ...ROOT_OPTION,
  base: { type: 'string' },
  commit: { type: 'string' },
  'aws-profile-prefix': { type: 'string' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
  format: { type: 'string' },
};

/** The `deploy` subcommand, shaped like the dispatcher's subcommands in ./emergency.ts. */
export function makeEmergencyDeploySubcommand(check: EmergencyCheckFn, deps: EmergencyDeployDeps = DEFAULT_EMERGENCY_DEPLOY_DEPS) {
  return {
    name: 'deploy',
    summary: 'ship a qualifying change to every environment it changes, in parallel, and wait for COMPLETE',
    usage: EMERGENCY_DEPLOY_USAGE,
    options: EMERGENCY_DEPLOY_OPTIONS,
    run: (args: ParsedArgs, io: CommandIO) => runEmergencyDeploy(check, deps, args, io),
  };
}

export async function runEmergencyDeploy(check: EmergencyCheckFn, deps: EmergencyDeployDeps, args: ParsedArgs, io: CommandIO): Promise<number> {
  const root = workspaceRoot(args, io);
  const ref = requiredOption(args, 'base');
  const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
  // The lane's build exports the prefix (lib/pipeline/emergency-lane.ts); a flag wins.
  const prefix = stringOption(args, 'aws-profile-prefix') ?? (io.env.DYNCONF_EMERGENCY_PROFILE_PREFIX || undefined);
  const interval = numberOption(args, 'interval', 10, { min: 1, max: 600 });
  const timeout = stringOption(args, 'timeout') === undefined ? undefined : numberOption(args, 'timeout', 0, { min: 1, max: 1440 });
  const commit = committedHead(root, stringOption(args, 'commit'));

  const { base, head, report } = check(root, ref, io);
  if (!report.qualifies) {
    for (const c of report.changes.filter((x) => !x.qualifies)) io.stderr.write(`${c.file}:${c.line}:${c.column} not-emergency ${c.application}/${c.environment} [${c.profile}] ${c.key}: ${c.why}\n`);
    throw new CommandError(`not an emergency change: the changes above do not qualify against ${ref} ('dynconf emergency check --base ${ref}'); nothing deployed`);
  }
  if (report.changedDocuments.length === 0) {
    io.stdout.write(`dynconf emergency deploy: nothing to deploy: no document differs from ${ref}\n`);
    return EXIT_OK;
  }
  const strategy = head.workload.emergency?.strategy;
  if (!strategy) throw new CommandError('config/workload.json has no emergency.strategy: add "emergency": { "strategy": "<a strategy in strategies>" }, validate, and commit it through the pipeline first');

  let result: EmergencyDeployResult;
  try {
    result = await deployEmergency({
      base,
      head,
      baseLabel: ref,
      changed: report.changedDocuments,
      commit,
      strategy,
      client: ({ environment, region }) => deps.client({ region, profile: prefix === undefined ? undefined : `${prefix}${environment}` }),
      ...(deps.parameter ? { ids: ({ environment, region }: { environment: string; region: string }) => ssmIdDirectory(head, deps.parameter!({ region, profile: prefix === undefined ? undefined : `${prefix}${environment}` })) } : {}),
      clock: deps.clock,
      retry: deps.retry,
      signal: io.signal,
      intervalMs: interval * 1000,
      timeoutMs: timeout === undefined ? undefined : timeout * 60_000,
      onEvent: format === 'text' ? (env, m) => io.stdout.write(`[${env}] ${m}\n`) : undefined,
    });
  } catch (e) {
    if (e instanceof EmergencyError) throw new CommandError(e.message);
    throw e;
  }
  io.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderEmergencyDeploy(result));
  if (!result.ok) {
    const bad = result.environments.filter((e) => e.outcome !== 'complete');
    io.stderr.write(
      `dynconf emergency deploy: FAILED in ${bad.map((e) => `${e.environment} (${e.outcome})`).join(', ')}:\n${bad.flatMap((e) => e.problems.map((p) => `  ${p}\n`)).join('')}` +
        `the other environments are reported above; fix the cause and run the lane again: environments already serving ${commit.slice(0, 12)} are skipped\n`,
    );
  }
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

export function renderEmergencyDeploy(r: EmergencyDeployResult): string {
  const out = [`dynconf emergency deploy ${r.commit} (strategy ${r.strategy}):`];
  for (const e of r.environments) {
    out.push(`  ${e.environment} (account ${e.account} region ${e.region}): ${e.outcome.toUpperCase()} after ${Math.round(e.elapsedMs / 60_000)} min`);
    for (const i of e.items) out.push(`    ${i.application}/${i.profile}: ${i.outcome}${i.deploymentNumber !== undefined ? ` (deployment #${i.deploymentNumber})` : ''}`);
  }
  const complete = r.environments.filter((e) => e.outcome === 'complete').length;
  out.push(`${complete} of ${r.environments.length} environment${r.environments.length === 1 ? '' : 's'} COMPLETE`);
  return `${out.join('\n')}\n`;
}

/**
 * The commit the working tree is, which the deployments will name. The lane deploys what
 * git holds: HEAD, with no uncommitted change under config/ or flags/.
 */
function committedHead(root: string, given: string | undefined): string {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8').trim();
  let head: string;
  try {
    head = git('rev-parse', '--verify', 'HEAD^{commit}');
  } catch {
    throw new UsageError(`${root} is not a git checkout with a commit: the emergency lane deploys only what is committed`);
  }
  if (given !== undefined) {
    let commit: string;
    try {
      commit = git('rev-parse', '--verify', `${given}^{commit}`);
    } catch {
      throw new UsageError(`--commit: '${given}' is not a commit of the repository at ${root}`);
    }
    if (commit !== head) throw new UsageError(`--commit ${given} is ${commit}, but the working tree is ${head}: the lane deploys the working tree; check out the commit`);
  }
  const dirty = git('status', '--porcelain', '--', 'config', 'flags');
  if (dirty) throw new UsageError(`uncommitted changes under config/ or flags/ (${dirty.split('\n')[0]!.trim()}${dirty.includes('\n') ? ', ...' : ''}): commit them to the emergency branch first; the lane deploys only what git holds`);
  return head;
}
