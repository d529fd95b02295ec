/** lib/appconfig: the compiled model as AppConfig resources, one slice per environment. */
export * from './application-environment';
export * from './compliance';
export * from './configuration-profile';
export * from './configuration-reads';
export * from './deployment-strategy';
export * from './environment-monitors';
export * from './environment-stack';
export * from './hosted-configuration-version';
export * from './limits';
export * from './names';
export * from './plan';
export * from './shared-application';
export * from './shared-stack';
