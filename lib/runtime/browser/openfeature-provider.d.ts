/** Types for openfeature-provider.js (an ES module shipped as source, with no build step). */
import type { EvaluationContext, JsonValue, OpenFeatureEventEmitter, Provider, ResolutionDetails } from '@openfeature/web-sdk';

export interface DynconfSnapshot {
  readonly version: string;
  readonly flags: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface DynconfWebProviderOptions {
  /**
   * The BFF's WebSocket URL.
   * @default - <basePath>/ws on the page's origin (wss: on an https page)
   */
  readonly url?: string;
  /** @default '/config' */
  readonly basePath?: string;
  /**
   * The starting snapshot.
   * @default - the snapshot embedded in the page (renderSnapshotScript)
   */
  readonly initial?: DynconfSnapshot;
  /** @default 'dynconf-snapshot' */
  readonly snapshotElementId?: string;
  /** @default 500 */
  readonly minDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
}

export declare class DynconfWebProvider implements Provider {
  constructor(options?: DynconfWebProviderOptions);
  readonly metadata: { readonly name: 'dynconf' };
  readonly runsOn: 'client';
  readonly events: OpenFeatureEventEmitter;
  /** The WebSocket URL the provider follows. */
  readonly url: string;
  initialize(context?: EvaluationContext): Promise<void>;
  onClose(): Promise<void>;
  /** A no-op: values never depend on the page's context (the server decides variants). */
  onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): void;
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean>;
  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string>;
  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T>;
}

/** Keys of the flags that were added, removed or changed between two flag maps, sorted. */
export declare function changedFlags(previous: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): string[];
