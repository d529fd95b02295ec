/** lib/pipeline: the rollout plan, and CDK Pipelines from beta to the last prod wave, gated on every rollout. */
export * from './app';
export * from './canary';
export * from './emergency-lane';
export * from './environment-stage';
export * from './gate-role';
export * from './gate-steps';
export * from './guard';
export * from './hardening';
export * from './names';
export * from './nag';
export * from './pipeline-stack';
export * from './plan';
