/** lib/rollout: AppConfig control-plane rollouts (status, wait, stop), drift, and the emergency lane. */
export * from './clock';
export * from './control-plane';
export * from './drift';
export * from './emergency';
export * from './errors';
export * from './ids';
export * from './progress';
export * from './retry';
export * from './status';
export * from './stop';
export * from './targets';
export * from './verify';
export * from './wait';
