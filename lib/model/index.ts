/** lib/model: load -> validate -> compile. Pure TypeScript; knows nothing of AWS. */
export * from './canonical';
export * from './capacity';
export * from './diagnostics';
export * from './load';
export { LAYOUT_FILE, layoutFileContent, readExistingLayout, type ExistingLayout, type LayoutFileConfig, type StackLayout } from './layout';
export * from './model';
export * from './rules';
export type * from './types';
export { branchMatches, DEFAULT_EMERGENCY_BRANCHES, EMERGENCY_MAX_MINUTES, emergencyBranches, pipelineSteps, type PipelineStep } from './workload';
export { DiskTree, type SourceTree, type DirEntry, type EntryKind } from './source';
export { constraintProblem, featureFlagsDocument, FeatureFlagsWriter, type FeatureFlagsDocument, type ResolvedFlag } from './flags';
export { EMERGENCY_MARKS, emergencyMarkAt, hostedValidatorContent, overlay, type EmergencyMark } from './ops';
export * from './diff';
export * from './quotas';
export { compileDraft04, compiledSchemaKey, EMERGENCY_KEYWORD, type CompiledSchemaCache } from './schema-check';
export { emergencyChanges, type ChangedDocument, type EmergencyChange, type EmergencyReport, type EmergencySources, type EmergencySubject } from './emergency';
