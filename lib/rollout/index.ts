/** lib/rollout: AppConfig control-plane rollouts (status, wait, stop), drift, verify, the emergency lane, and their JUnit reports. */
export * from './clock';
export * from './control-plane';
export * from './drift';
export * from './emergency';
export * from './errors';
export * from './ids';
export * from './junit';
export * from './progress';
export * from './retry';
export * from './status';
export * from './stop';
export * from './targets';
export * from './test-reports';
export * from './verify';
export * from './wait';
