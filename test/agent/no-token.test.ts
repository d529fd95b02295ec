/**
 * The token must exist only in Secrets Manager and, at run time, in the cluster's Secrets:
 * never in a synthesized template, a manifest the stage applies, or dist/k8s. These tests
 * synthesize everything the agent produces and look for a token two ways: by structure (no
 * SecretString, no dynamic reference, no Secret data, token env only from a secretKeyRef)
 * and by shape (no string that looks like a generated token).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { parseAllDocuments } from 'yaml';
import { renderAllManifests } from '../../lib/agent/manifests';
import { ClusterAgentStack } from '../../lib/agent/stack';
import { rmrf, tempDir } from '../support/workspace';
import { LOWER, PROD, sampleModel, type Any } from './support';

/**
 * Runs of 32+ letters and digits shaped like a Secrets Manager password of letters and
 * digits: lower case, upper case and digits mixed, and few lower-case runs of 4+ letters
 * (words). Names made of words (logical IDs, policy names) fail the second test, and so
 * would a random 64-character token fewer than once in 10,000 draws (measured over 200,000
 * draws). Asset hashes are lower-case hex and never match.
 */
export function tokenLike(text: string): string[] {
  const wordiness = (s: string) => [...s.matchAll(/[a-z]{4,}/g)].reduce((n, [m]) => n + m.length, 0) / s.length;
  return [...text.matchAll(/[A-Za-z0-9]{32,}/g)]
    .map(([candidate]) => candidate)
    .filter((c) => /[a-z]/.test(c) && /[A-Z]/.test(c) && /[0-9]/.test(c) && wordiness(c) < 0.4);
}

/** A token as Secrets Manager generates it: 64 of [A-Za-z0-9] (fixed here, so the test is repeatable). */
const SAMPLE_TOKEN = 'q7Rv2LmZ8xKc4TnB0wYd6HsJ1pFg9EaU3oVi5NtQ2rXk7MzC8bWy4GhD6jLs0PfA';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

let outdir: string;
let texts: Map<string, string>;
/** What aws-cdk-lib printed on console.error during synth. */
let validationReports: string[];

beforeAll(() => {
  outdir = tempDir('dynconf-agent-synth-');
  const app = new App({ outdir });
  const model = sampleModel();
  new ClusterAgentStack(app, 'AgentLower', { model, cluster: LOWER });
  new ClusterAgentStack(app, 'AgentProd', { model, cluster: PROD });
  new Stack(app, 'Empty', { env: { account: '333333333333', region: 'us-east-1' } });
  // aws-cdk-lib reports template validation findings on console.error; the empty stack is the
  // only one expected. Kept here, so the output of the test run stays clean and a finding in
  // the agent's own stacks fails the test below.
  const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    app.synth();
    validationReports = report.mock.calls.map((args) => args.map(String).join(' '));
  } finally {
    report.mockRestore();
  }
  texts = new Map();
  for (const file of filesUnder(outdir).filter((f) => f.endsWith('.json'))) texts.set(path.relative(outdir, file), fs.readFileSync(file, 'utf8'));
  for (const [name, yaml] of renderAllManifests(model)) texts.set(`dist/k8s/${name}`, yaml);
});

afterAll(() => rmrf(outdir));

/** Every Kubernetes object: those in dist/k8s and those inside the stages' manifest resources. */
function k8sObjects(): Any[] {
  const objects: Any[] = [];
  for (const [name, text] of texts) {
    if (name.startsWith('dist/k8s/')) {
      objects.push(...parseAllDocuments(text).map((d) => d.toJSON()));
    } else if (name.endsWith('.template.json')) {
      for (const r of Object.values(JSON.parse(text).Resources ?? {}) as Any[]) {
        if (r.Type === 'Custom::AWSCDK-EKS-KubernetesResource') objects.push(...JSON.parse(r.Properties.Manifest));
      }
    }
  }
  return objects;
}

test('the synthesized output covers both clusters in templates and in dist/k8s', () => {
  expect([...texts.keys()]).toEqual(expect.arrayContaining(['AgentLower.template.json', 'AgentProd.template.json', `dist/k8s/${LOWER}.k8s.yaml`, `dist/k8s/${PROD}.k8s.yaml`]));
  expect(k8sObjects().filter((o) => o.kind === 'DaemonSet')).toHaveLength(4);
});

test('template validation finds only the empty stack, not the agent stacks', () => {
  expect(validationReports).toHaveLength(1);
  const findings = validationReports[0]!.split('\n').filter((l) => /^\s*(WARNING|ERROR)\b/.test(l));
  expect(findings).toEqual([expect.stringContaining('Resources section must exist and be non-empty (CloudFormation Validate)')]);
  expect(validationReports[0]).toMatch(/^\s+Empty aws-cdk-lib\.Stack$/m);
  expect(validationReports[0]).not.toMatch(/AgentLower|AgentProd/);
});

test('no template gives a secret a value or resolves one at deploy time', () => {
  for (const [name, text] of texts) {
    expect({ name, hasSecretString: text.includes('"SecretString"') }).toEqual({ name, hasSecretString: false });
    expect({ name, resolves: /\{\{resolve:(secretsmanager|ssm-secure)/.test(text) }).toEqual({ name, resolves: false });
  }
});

test('no Kubernetes object is a Secret or carries secret data', () => {
  for (const o of k8sObjects()) {
    expect(o.kind).not.toBe('Secret');
    expect(o.data).toBeUndefined();
    expect(o.stringData).toBeUndefined();
  }
});

test('the token reaches containers only through a secretKeyRef', () => {
  const tokenVars = k8sObjects()
    .flatMap((o) => o.spec?.template?.spec?.containers ?? [])
    .flatMap((c: Any) => c.env ?? [])
    .filter((e: Any) => /TOKEN/.test(e.name));
  expect(tokenVars.length).toBeGreaterThan(0);
  for (const e of tokenVars) {
    expect(e.value).toBeUndefined();
    expect(e.valueFrom.secretKeyRef).toEqual({ name: 'appconfig-agent-token', key: 'token' });
  }
});

test('nothing in the output looks like a generated token', () => {
  for (const [name, text] of texts) expect({ name, found: tokenLike(text) }).toEqual({ name, found: [] });
});

test('the shape check finds a token in a manifest and in a template, and is not fooled by logical IDs', () => {
  const manifest = texts.get(`dist/k8s/${LOWER}.k8s.yaml`)!;
  expect(tokenLike(manifest.replace('value: 0.0.0.0', `value: ${SAMPLE_TOKEN}`))).toEqual([SAMPLE_TOKEN]);
  const template = texts.get('AgentLower.template.json')!;
  expect(tokenLike(template.replace('"GenerateSecretString"', `"SecretString": "${SAMPLE_TOKEN}", "GenerateSecretString"`))).toEqual([SAMPLE_TOKEN]);
  for (const name of ['AgentLowerAgentLowerClusterF7E530D8KubectlProviderC242633E', 'AmazonEC2ContainerRegistryPullOnly', 'ExportsOutputRefgroupsyncv3EA0C1D8A92FDB49B']) {
    expect(tokenLike(name)).toEqual([]);
  }
});
