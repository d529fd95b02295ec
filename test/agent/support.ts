/**
 * Shared by the agent tests: the sample model (and variants of it), and the schema check
 * every synthesized Kubernetes object goes through.
 */
import Ajv from 'ajv';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { loadWorkspaceFromDisk, type ClusterConfig, type Model } from '../../lib/model';
import { REPO_ROOT } from '../support/workspace';

export const LOWER = 'lower-eks-cluster-02';
export const PROD = 'g360-prod-core-01';

let sample: Model | undefined;

/** The repository's own workload, compiled once per test file. */
export function sampleModel(): Model {
  if (!sample) {
    const result = loadWorkspaceFromDisk(REPO_ROOT);
    if (!result.model) throw new Error(`the sample workload does not validate: ${JSON.stringify(result.diagnostics)}`);
    sample = result.model;
  }
  return sample;
}

/** The sample with one cluster's configuration changed. */
export function withCluster(model: Model, cluster: string, change: (c: ClusterConfig) => ClusterConfig): Model {
  const clusters = { ...model.workload.clusters, [cluster]: change(model.workload.clusters[cluster]!) };
  return { ...model, workload: { ...model.workload, clusters } };
}

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** A kubernetes-models class: constructed from plain data, validate() throws on schema errors. */
type SchemaModel = new (data: never) => { validate(): void };
const CORE_MODELS: Record<string, SchemaModel> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/**
 * The subset of External Secrets Operator's v1 CRDs (ClusterSecretStore, ExternalSecret)
 * that the chart writes, transcribed from ESO's CRD schemas. kubernetes-models knows only
 * built-in kinds, so these two are checked here; additionalProperties is false wherever
 * the chart writes, so a misspelt field fails.
 */
const ESO_SCHEMAS: Record<string, object> = {
  'external-secrets.io/v1/ClusterSecretStore': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      metadata: { type: 'object', required: ['name'], not: { required: ['namespace'] } },
      spec: {
        type: 'object',
        additionalProperties: false,
        required: ['provider'],
        properties: {
          conditions: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                namespaces: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } },
                namespaceSelector: { type: 'object' },
                namespaceRegexes: { type: 'array', items: { type: 'string' } },
              },
            },
          },
          provider: {
            type: 'object',
            additionalProperties: false,
            required: ['aws'],
            properties: {
              aws: {
                type: 'object',
                additionalProperties: false,
                required: ['service', 'region'],
                properties: {
                  service: { enum: ['SecretsManager', 'ParameterStore'] },
                  region: { type: 'string', minLength: 1 },
                  role: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@-]{1,64}$' },
                  auth: { type: 'object' },
                },
              },
            },
          },
        },
      },
    },
  },
  'external-secrets.io/v1/ExternalSecret': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      metadata: { type: 'object', required: ['name', 'namespace'] },
      spec: {
        type: 'object',
        additionalProperties: false,
        required: ['secretStoreRef', 'target', 'data'],
        properties: {
          refreshInterval: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' },
          secretStoreRef: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'kind'],
            properties: { name: { type: 'string', minLength: 1 }, kind: { enum: ['SecretStore', 'ClusterSecretStore'] } },
          },
          target: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1 },
              creationPolicy: { enum: ['Owner', 'Orphan', 'Merge', 'None'] },
              deletionPolicy: { enum: ['Delete', 'Merge', 'Retain'] },
            },
          },
          data: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['secretKey', 'remoteRef'],
              properties: {
                secretKey: { type: 'string', minLength: 1 },
                remoteRef: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['key'],
                  properties: { key: { type: 'string', minLength: 1 }, property: { type: 'string' }, version: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const esoValidators = new Map(Object.entries(ESO_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

/** Throw unless the object passes its kind's schema; an unknown kind is a failure, not a skip. */
export function validateK8sObject(obj: K8sObject): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const Core = CORE_MODELS[key];
  if (Core) {
    new Core(obj as never).validate();
    return;
  }
  const eso = esoValidators.get(key);
  if (!eso) throw new Error(`no schema for ${key}: add it to test/agent/support.ts`);
  const name = obj.metadata.name;
  if (!eso(obj)) throw new Error(`${key} ${name}: ${ajv.errorsText(eso.errors)}`);
}

export function ofKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into parsed manifests of known shape; typing each path would add nothing
export type Any = any;
