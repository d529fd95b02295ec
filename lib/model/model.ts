/**
 * The compiled model: what every other part of dynconf reads. It is plain data, built
 * only from a workspace that validated without errors.
 */
import type { StackLayout } from './layout';
import type { PipelineStep } from './workload';
import type { WorkloadConfig } from './types';

export type ProfileName = 'flags' | 'ops' | 'browser';

export const PROFILE_TYPES: Readonly<Record<ProfileName, 'AWS.AppConfig.FeatureFlags' | 'AWS.Freeform'>> = {
  flags: 'AWS.AppConfig.FeatureFlags',
  ops: 'AWS.Freeform',
  browser: 'AWS.AppConfig.FeatureFlags',
};

/**
 * AppConfig's hosted configuration limit. dynconf's own limit is lower: hosted content is
 * inlined in a CloudFormation template (see ./capacity and the document/too-large-for-template rule).
 */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

export interface ConfigDocument {
  readonly environment: string;
  readonly application: string;
  readonly profile: ProfileName;
  readonly contentType: 'application/json';
  /** The exact bytes AppConfig hosts, the local agent serves and `build` writes. */
  readonly content: string;
}

export interface ApplicationModel {
  readonly name: string;
  readonly owner: string;
  readonly description: string;
  readonly flagKeys: readonly string[];
  /** Flags with exposure "browser": the only ones the `browser` profile carries. */
  readonly browserFlagKeys: readonly string[];
  /** Profiles this application has, in deployment order. */
  readonly profiles: readonly ProfileName[];
  /** The ops schema.json as the JSON_SCHEMA validator's content. */
  readonly opsSchema: string;
}

export interface Model {
  readonly workload: WorkloadConfig;
  /** Stages, then waves: the order a change travels. */
  readonly pipeline: readonly PipelineStep[];
  readonly environments: readonly string[];
  readonly applications: readonly ApplicationModel[];
  readonly documents: readonly ConfigDocument[];
  /** config/layout.json: the stack part of every application (empty when loaded with `withoutLayout`). */
  readonly layout: StackLayout;
}

export function findDocument(model: Model, environment: string, application: string, profile: ProfileName): ConfigDocument | undefined {
  return model.documents.find((d) => d.environment === environment && d.application === application && d.profile === profile);
}

export function documentsOf(model: Model, environment: string): ConfigDocument[] {
  return model.documents.filter((d) => d.environment === environment);
}

export interface AccountRegion {
  readonly account: string;
  readonly region: string;
  /** Stable id for construct and stack names, e.g. `111111111111-us-east-1`. */
  readonly key: string;
  readonly environments: readonly string[];
}

/** Environments grouped by account and region: each group shares one Application per app. */
export function accountRegions(model: Model): AccountRegion[] {
  const groups = new Map<string, { account: string; region: string; environments: string[] }>();
  for (const env of model.environments) {
    const e = model.workload.environments[env]!;
    const key = `${e.account}-${e.region}`;
    const g = groups.get(key) ?? groups.set(key, { account: e.account, region: e.region, environments: [] }).get(key)!;
    g.environments.push(env);
  }
  return [...groups.entries()].map(([key, g]) => ({ ...g, key }));
}

/** The pipeline step that first deploys an environment. */
export function stepOf(model: Model, environment: string): PipelineStep | undefined {
  return model.pipeline.find((s) => s.environments.includes(environment));
}
