/** lib/agent: the AppConfig Agent on EKS, as a cdk8s chart and the CDK stack that applies it. */
export * from './chart';
export * from './consumer';
export * from './data-plane-cost';
export * from './kubectl';
export * from './manifests';
export * from './names';
export * from './stack';
export * from './topology';
