/**
 * Verify: read each profile of an environment through the AppConfig data plane
 * (StartConfigurationSession + GetLatestConfiguration, what the agent and so every service
 * reads) and check it against what this checkout compiled. The pipeline runs it after the
 * rollout gate of beta, and with acceptance checks after the gates of gamma and of every
 * prod environment. It only reads: nothing here writes to AppConfig or starts a deployment.
 *
 * What the data plane returns is not always the document that was deployed:
 * - `ops` (AWS.Freeform) comes back as deployed, so it must equal the compiled bytes.
 * - `flags` and `browser` (AWS.AppConfig.FeatureFlags) come back in AppConfig's retrieval
 *   format: the values only, `{ "<flag>": { "enabled": bool, ...attributes } }`, without
 *   definitions. That view of a simple flag is its compiled `values` entry, compared leaf by
 *   leaf. A multi-variant flag cannot be compared: AppConfig documents that SDK and CLI calls
 *   do not retrieve variant data (only the agent evaluates variants, against a caller's
 *   context), and not what they return instead. Such a flag is reported as not comparable,
 *   with what the data plane showed for it, and never counted as a match or a mismatch.
 */
import { GetLatestConfigurationCommand, StartConfigurationSessionCommand, type AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import type { ValidateFunction } from 'ajv';
import { compileDraft04, diffLeaves, type ApplicationModel, type Model } from '../model';
import { differences, type Difference } from './drift';
import { AppConfigError } from './errors';
import { awsCall, type AwsCallOptions } from './retry';
import { fingerprint, sameBytes, type RolloutItem, type RolloutTarget } from './targets';

export interface DataPlaneProps extends AwsCallOptions {
  /** A client for `region`; the caller owns it (and destroys it). */
  readonly client: AppConfigDataClient;
}

/** What GetLatestConfiguration returned for one profile. */
export interface Served {
  readonly content: Uint8Array;
  readonly contentType?: string;
  readonly versionLabel?: string;
}

/** The AppConfig data plane of one account and region; it takes names as identifiers. */
export class DataPlane {
  readonly account: string;
  readonly region: string;
  private readonly props: DataPlaneProps;

  constructor(props: DataPlaneProps) {
    this.props = props;
    this.account = props.account;
    this.region = props.region;
  }

  /**
   * The configuration a new client of `profile` gets now. A retry starts a new session: a
   * configuration token is good for one GetLatestConfiguration call only.
   */
  async latest(application: string, environment: string, profile: string): Promise<Served> {
    const subject = `profile '${profile}' of application '${application}' in environment '${environment}'`;
    let action = 'StartConfigurationSession';
    const session = async (): Promise<Served> => {
      action = 'StartConfigurationSession';
      const started = await this.props.client.send(
        new StartConfigurationSessionCommand({ ApplicationIdentifier: application, EnvironmentIdentifier: environment, ConfigurationProfileIdentifier: profile }),
        { abortSignal: this.props.signal },
      );
      action = 'GetLatestConfiguration';
      const out = await this.props.client.send(new GetLatestConfigurationCommand({ ConfigurationToken: started.InitialConfigurationToken }), { abortSignal: this.props.signal });
      return { content: out.Configuration ?? new Uint8Array(), contentType: out.ContentType, versionLabel: out.VersionLabel };
    };
    return awsCall(this.props, () => ({ action, subject }), session);
  }
}

/**
 * match: what the data plane serves equals the compiled view; mismatch: it differs;
 * missing: AppConfig has no such application, environment or profile; unreadable: what it
 * serves is empty or not the JSON the profile's type calls for.
 */
export type VerifyStatus = 'match' | 'mismatch' | 'missing' | 'unreadable';

/** A multi-variant flag, and what the data plane showed for it. */
export interface NotComparable {
  readonly flag: string;
  /** JSON of the served value, or undefined when the data plane left the flag out. */
  readonly served?: string;
}

export interface VerifyItem {
  readonly application: string;
  readonly profile: string;
  readonly status: VerifyStatus;
  readonly versionLabel?: string;
  readonly contentType?: string;
  /** Compiled view -> data plane, one entry per JSON leaf. */
  readonly differences: readonly Difference[];
  readonly notComparable: readonly NotComparable[];
  /** Acceptance failures (only with `acceptance`); none means every check passed. */
  readonly acceptance: readonly string[];
  readonly compiledFingerprint: string;
  readonly servedFingerprint?: string;
  /** Why a profile is missing or unreadable. */
  readonly reason?: string;
}

export interface VerifyReport {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly acceptance: boolean;
  readonly items: readonly VerifyItem[];
  /** Profiles whose status is not `match` or that failed an acceptance check. */
  readonly failed: number;
}

export interface VerifyOptions {
  /**
   * Also run the acceptance checks: the browser profile holds exactly the model's browser
   * flags, each ops document validates against its app's schema (draft-04), and every flag
   * of the model is present.
   * @default false
   */
  readonly acceptance?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export async function verifyTarget(plane: DataPlane, model: Model, target: RolloutTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const acceptance = options.acceptance ?? false;
  const schemas = new Map<string, ValidateFunction>();
  const items: VerifyItem[] = [];
  for (const item of target.items) {
    const app = model.applications.find((a) => a.name === item.application);
    if (!app) throw new Error(`verify: the target names application '${item.application}', which the model does not have`);
    const compiledFingerprint = fingerprint(item.content);
    let served: Served;
    try {
      served = await plane.latest(item.application, target.environment, item.profile);
    } catch (e) {
      if (!(e instanceof AppConfigError) || e.kind !== 'not-found') throw e;
      items.push({ application: item.application, profile: item.profile, status: 'missing', differences: [], notComparable: [], acceptance: [], compiledFingerprint, reason: e.message });
      continue;
    }
    const base = { application: item.application, profile: item.profile, versionLabel: served.versionLabel, contentType: served.contentType, compiledFingerprint, servedFingerprint: fingerprint(served.content) };
    const text = Buffer.from(served.content).toString('utf8');
    if (served.content.byteLength === 0) {
      items.push({ ...base, status: 'unreadable', differences: [], notComparable: [], acceptance: [], reason: `AppConfig served nothing for it in ${target.environment}; has a deployment of it completed there?` });
      continue;
    }
    if (item.profile === 'ops') {
      const same = sameBytes(served.content, item.content);
      const problems = acceptance ? opsAcceptance(text, app, schemas) : [];
      items.push({ ...base, status: same ? 'match' : 'mismatch', differences: same ? [] : differences(item.content, text), notComparable: [], acceptance: problems });
      continue;
    }
    const view = parseFlagView(text, served.contentType);
    if (typeof view === 'string') {
      items.push({ ...base, status: 'unreadable', differences: [], notComparable: [], acceptance: [], reason: view });
      continue;
    }
    const compared = compareFlags(item, view);
    const problems = acceptance ? flagAcceptance(item, view, app, compared.variantKeys) : [];
    items.push({ ...base, status: compared.differences.length ? 'mismatch' : 'match', differences: compared.differences, notComparable: compared.notComparable, acceptance: problems });
  }
  const failed = items.filter((i) => i.status !== 'match' || i.acceptance.length > 0).length;
  return { environment: target.environment, account: target.account, region: target.region, acceptance, items, failed };
}

/** The served flag map, or why it is not one. */
function parseFlagView(text: string, contentType: string | undefined): JsonObject | string {
  let view: Json;
  try {
    view = JSON.parse(text) as Json;
  } catch (e) {
    return `AppConfig served content of type ${contentType ?? 'unknown'} that is not JSON (${(e as Error).message}); verify reads the JSON retrieval format of feature flags`;
  }
  if (!isObject(view)) return `AppConfig served ${JSON.stringify(view).slice(0, 40)}, not a map of flags`;
  // A flag's value is always an object; a string "version" means the stored document came back.
  if (typeof view.version === 'string') {
    return 'AppConfig served the stored feature flags document ({version, flags, values}), not the flag values: the profile is not of type AWS.AppConfig.FeatureFlags; redeploy its stack';
  }
  return view;
}

/** Simple flags leaf by leaf against the compiled `values`; multi-variant flags set aside. */
function compareFlags(item: RolloutItem, view: JsonObject): { differences: Difference[]; notComparable: NotComparable[]; variantKeys: Set<string> } {
  const values = (JSON.parse(item.content) as { values: JsonObject }).values;
  const expected: JsonObject = {};
  const variantKeys = new Set<string>();
  for (const [key, value] of Object.entries(values)) {
    if (isObject(value) && Array.isArray(value._variants)) variantKeys.add(key);
    else expected[key] = value;
  }
  const comparable: JsonObject = {};
  for (const [key, value] of Object.entries(view)) if (!variantKeys.has(key)) comparable[key] = value;
  const notComparable = [...variantKeys].map((flag) => (flag in view ? { flag, served: JSON.stringify(view[flag]) } : { flag }));
  const diffs = diffLeaves(expected, comparable, '').map((l) => ({ path: l.subject, kind: l.kind, detail: l.detail }));
  return { differences: diffs, notComparable, variantKeys };
}

/**
 * Every flag of the model is there; in `browser`, only browser flags. A multi-variant flag
 * the data plane left out is not reported: it may be withheld (see the file comment).
 */
function flagAcceptance(item: RolloutItem, view: JsonObject, app: ApplicationModel, variantKeys: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const wanted = item.profile === 'browser' ? app.browserFlagKeys : app.flagKeys;
  for (const key of wanted) {
    if (!(key in view) && !variantKeys.has(key)) problems.push(`${item.profile === 'browser' ? 'browser ' : ''}flag '${key}' of the model is missing`);
  }
  if (item.profile === 'browser') {
    for (const key of Object.keys(view)) {
      if (app.browserFlagKeys.includes(key)) continue;
      problems.push(app.flagKeys.includes(key) ? `server-only flag '${key}' is in the browser profile` : `flag '${key}' is not a flag of ${app.name}`);
    }
  }
  return problems;
}

/** The served ops document parses and passes the app's schema as AppConfig's validator runs it. */
function opsAcceptance(text: string, app: ApplicationModel, schemas: Map<string, ValidateFunction>): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [`the ops document is not JSON (${(e as Error).message})`];
  }
  let validate = schemas.get(app.name);
  if (!validate) {
    validate = compileDraft04(JSON.parse(app.opsSchema) as object);
    schemas.set(app.name, validate);
  }
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` ('${(e.params as { additionalProperty: string }).additionalProperty}')` : '';
    return `the ops document breaks config/ops/${app.name}/schema.json at ${e.instancePath || '(root)'}: ${e.message ?? e.keyword}${extra}`;
  });
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
