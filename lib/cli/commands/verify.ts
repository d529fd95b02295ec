import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { AppConfigError, DataPlane, itemKey, systemClock, verifySuite, verifyTarget, type VerifyItem, type VerifyReport } from '../../rollout';
import { beforeAwsClient } from '../aws-node-notice';
import { choiceOption, CommandError, EXIT_FAILURE, EXIT_OK, numberOption, type Command } from '../command';
import { requireModel, workspaceRoot } from '../workspace';
import { callOptions, DEFAULT_CALL_TIMEOUT_MINUTES, JUNIT_OPTION, junitReporting, SELECTION_OPTIONS, selectTarget, withJUnit, type AwsDeps } from './rollout';

/** What `verify` needs from outside: a data-plane client instead of a control-plane one. */
export type DataPlaneDeps = AwsDeps<AppConfigDataClient>;

export const DEFAULT_DATA_PLANE_DEPS: DataPlaneDeps = {
  clock: systemClock,
  // The default credential chain: an SSO or profile session on a laptop, the CodeBuild role in the pipeline.
  client: (region) => {
    beforeAwsClient();
    return new AppConfigDataClient({ region });
  },
};

export function makeVerifyCommand(deps: DataPlaneDeps = DEFAULT_DATA_PLANE_DEPS): Command {
  return {
    name: 'verify',
    summary: 'read every profile of an environment through the AppConfig data plane and check it against this checkout',
    usage: `usage: dynconf verify --env <env> [--app <app>] [--profile flags|ops|browser] [--acceptance]
         [--format text|json] [--timeout <minutes>] [--junit <file>] [--root <dir>]

The pipeline's integration test (after beta) and, with --acceptance, its acceptance test
(after gamma and after each prod environment's rollout gate). It only reads: no write,
no deployment. For each profile, starts a session on the AppConfig data plane
(@aws-sdk/client-appconfigdata) by name and reads the latest configuration, as a new
client of the environment gets it:
  ops            must equal the compiled bytes
  flags, browser come back as flag values only ({"<flag>": {"enabled": ..., ...}}); each
                 simple flag must equal its compiled value. Multi-variant flags are listed
                 as not comparable: SDK calls do not retrieve variant data.
  --acceptance   also: the browser profile holds exactly the model's browser flags (no
                 server-only flag), every ops document validates against its schema.json
                 (draft-04), and every flag of the model is present
  --timeout      minutes allowed for retries of throttled calls (default ${DEFAULT_CALL_TIMEOUT_MINUTES})
  --junit        also write a JUnit XML report to <file>: one test case per profile, and with
                 --acceptance one more per profile for its acceptance checks; written
                 whatever the outcome, the exit code unchanged
Exit 0 when everything matches, 1 on any difference, missing profile, failed acceptance
check or AWS error, 2 on a usage error.`,
    options: { ...SELECTION_OPTIONS, ...JUNIT_OPTION, acceptance: { type: 'boolean', default: false }, format: { type: 'string' } },
    async run(args, io) {
      // Known before anything can fail, so that every failure is in the report it asked for.
      const reporting = junitReporting(args, io, 'verify', deps.clock);
      return withJUnit(reporting, io, deps.clock, async () => {
        const format = choiceOption(args, 'format', ['text', 'json'] as const, 'text');
        const timeout = numberOption(args, 'timeout', DEFAULT_CALL_TIMEOUT_MINUTES, { min: 1, max: 1440 });
        const model = requireModel(workspaceRoot(args, io), io);
        const target = selectTarget(model, args);
        const client = deps.client(target.region);
        const plane = new DataPlane({ client, ...callOptions(deps, target, io, timeout) });
        let report: VerifyReport;
        try {
          report = await verifyTarget(plane, model, target, { acceptance: args.values.acceptance === true });
        } catch (e) {
          if (e instanceof AppConfigError) throw new CommandError(e.message);
          throw e;
        } finally {
          client.destroy();
        }
        io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
        return { code: report.failed ? EXIT_FAILURE : EXIT_OK, suite: (subject) => verifySuite(subject, report) };
      });
    },
  };
}

export const verifyCommand = makeVerifyCommand();

export function renderVerify(r: VerifyReport): string {
  const where = `${r.environment} (account ${r.account} region ${r.region}) through the AppConfig data plane`;
  const checks = r.acceptance ? ' and pass the acceptance checks' : '';
  const out = [r.failed ? `${where}: ${r.failed} of ${r.items.length} profiles fail verification` : `${where}: all ${r.items.length} profiles match this checkout${checks}`];
  for (const i of r.items) out.push(...renderItem(i));
  return `${out.join('\n')}\n`;
}

function renderItem(i: VerifyItem): string[] {
  const label = i.versionLabel ? ` (version label ${i.versionLabel})` : '';
  const lines: string[] = [];
  switch (i.status) {
    case 'match':
      lines.push(`  ${itemKey(i)}: matches the compiled document${label}`);
      break;
    case 'mismatch':
      lines.push(`  ${itemKey(i)}: MISMATCH${label} (served sha256 ${i.servedFingerprint}, compiled ${i.compiledFingerprint}); compiled -> data plane:`);
      for (const d of i.differences) lines.push(`    ${d.path}: ${d.detail}`);
      break;
    default:
      lines.push(`  ${itemKey(i)}: ${i.status.toUpperCase()}: ${i.reason}`);
  }
  if (i.notComparable.length) {
    const flags = i.notComparable.map((n) => `${n.flag} (${n.served === undefined ? 'left out' : `served ${n.served}`})`);
    lines.push(`    not comparable on the data plane (multi-variant; SDK calls do not retrieve variant data): ${flags.join(', ')}`);
  }
  for (const p of i.acceptance) lines.push(`    ACCEPTANCE: ${p}`);
  return lines;
}
