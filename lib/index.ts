/** The package's public API: the model for tools, and (lib/runtime) the clients for services. */
export * as model from './model';
export * from './runtime';
