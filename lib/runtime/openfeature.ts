/**
 * An OpenFeature provider over DynamicConfig, so code written against
 * `@openfeature/server-sdk` reads dynconf flags:
 *
 *   await OpenFeature.setProviderAndWait(new DynconfProvider(config));
 *   const client = OpenFeature.getClient();
 *   await client.getBooleanValue('new-checkout', false, { targetingKey: user.id, tier: 'pro' });
 *   await client.getNumberValue('new-checkout.rolloutPercent', 0);
 *
 * A flag key is the flag (boolean: its `enabled`; object: the whole evaluated flag), or
 * `<flag>.<attribute>` for an attribute (flag keys cannot contain dots, so this is
 * unambiguous). The evaluation context becomes the agent's Context headers; targetingKey is
 * sent under the name `targetingKeyName` (default `userId`).
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type EvaluationContext as OpenFeatureContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { DynamicConfig } from './dynamic-config';
import type { EvaluatedFlags } from './feature-flags';
import type { EvaluationContext } from './rule-evaluator';

export interface DynconfProviderOptions {
  /**
   * The context key OpenFeature's targetingKey is sent as (the key your split rules use).
   * @default 'userId'
   */
  readonly targetingKeyName?: string;
}

export class DynconfProvider implements Provider {
  readonly metadata = { name: 'dynconf' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly targetingKeyName: string;

  constructor(
    private readonly config: DynamicConfig<EvaluatedFlags>,
    options: DynconfProviderOptions = {},
  ) {
    this.targetingKeyName = options.targetingKeyName ?? 'userId';
    config.on('change', ({ value, previous }) => {
      const keys = new Set([...Object.keys(value ?? {}), ...Object.keys(previous ?? {})]);
      const flagsChanged = [...keys].filter((k) => JSON.stringify(value?.[k]) !== JSON.stringify(previous?.[k]));
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
    });
  }

  async initialize(): Promise<void> {
    await this.config.start();
  }

  async onClose(): Promise<void> {
    await this.config.close();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OpenFeatureContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (v): v is boolean => typeof v === 'boolean');
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: OpenFeatureContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context, (v): v is string => typeof v === 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: OpenFeatureContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context, (v): v is number => typeof v === 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: OpenFeatureContext): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context, (v): v is T => typeof v === 'object' && v !== null);
  }

  private async resolve<T>(key: string, defaultValue: T, context: OpenFeatureContext, isType: (v: unknown) => v is T): Promise<ResolutionDetails<T>> {
    const dot = key.indexOf('.');
    const flagKey = dot < 0 ? key : key.slice(0, dot);
    const attribute = dot < 0 ? undefined : key.slice(dot + 1);
    if (this.config.status().source === 'none') {
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: 'no configuration has been read yet' };
    }
    const flags = await this.config.flagsFor(this.toContext(context));
    const flag = Object.prototype.hasOwnProperty.call(flags, flagKey) ? flags[flagKey] : undefined;
    if (!flag) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `flag '${flagKey}' is not in the profile` };
    let value: unknown;
    if (attribute === undefined) value = isType(flag.enabled) ? flag.enabled : flag;
    else if (Object.prototype.hasOwnProperty.call(flag, attribute)) value = flag[attribute];
    else return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `flag '${flagKey}' has no attribute '${attribute}'` };
    if (!isType(value)) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: `'${key}' is ${Array.isArray(value) ? 'an array' : typeof value}` };
    const status = this.config.status();
    const reason = status.lastError ? StandardResolutionReasons.STALE : flag._variant !== undefined ? StandardResolutionReasons.TARGETING_MATCH : StandardResolutionReasons.STATIC;
    return { value, reason, ...(flag._variant !== undefined ? { variant: flag._variant } : {}), flagMetadata: status.version !== undefined ? { version: status.version } : {} };
  }

  private toContext(context: OpenFeatureContext): EvaluationContext {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(context)) {
      if (k === 'targetingKey') {
        if (typeof v === 'string' && v !== '') out[this.targetingKeyName] = v;
      } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
      else if (v instanceof Date) out[k] = v.toISOString();
    }
    return out;
  }
}
