/** lib/runtime: what services, gateways and developers run against the compiled configuration. */
export { AgentClient, AgentRequestError, agentBaseUrlFromEnv, type AgentClientOptions, type AgentRequest, type AgentResponse, type FailureKind } from './agent-client';
export { BffGateway, BffStartError, BROWSER_PROFILE, type BffGatewayOptions, type BrowserSnapshot } from './bff';
export { contextKey, DynamicConfig, type ChangeEvent, type ConfigStatus, type DefaultsOption, type DynamicConfigOptions, type RefreshFailure } from './dynamic-config';
export { CompiledFeatureFlags, ContextHeaderError, contextHeaderValues, FeatureFlagsDocumentError, parseContextHeaders, type EvaluatedFlag, type EvaluatedFlags } from './feature-flags';
export { DEFAULT_AGENT_PORT, LocalAgent, LocalAgentError, type LocalAgentOptions } from './local-agent';
export { DynconfProvider, type DynconfProviderOptions } from './openfeature';
export { compileRule, splitBucket, type CompiledRule, type EvaluationContext } from './rule-evaluator';
export { AgentSource, DirectSource, SourceError, type ConfigSource, type DirectSourceOptions, type FetchOutcome } from './sources';
export { escapeJsonForHtml, renderSnapshotScript, SNAPSHOT_ELEMENT_ID, type SnapshotScriptOptions } from './ssr';
