/**
 * IAM's size and count quotas, checked on the synthesized templates as IAM will apply them
 * at deploy time, so that `cdk synth` fails where a deployment would.
 *
 * From "IAM and AWS STS quotas" (IAM User Guide), "IAM and STS character limits" and "IAM
 * object quotas":
 * - Role policy size: the sum of a role's inline policies may not exceed 10,240 characters
 *   (not adjustable);
 * - Managed policy size: 6,144 characters (not adjustable);
 * - Managed policies per role: 10 by default (adjustable to 20);
 * - "IAM doesn't count white space when calculating the size of a policy".
 *
 * A role's inline policies may come from several stacks (a policy that names an imported
 * role), so roles are matched across the whole assembly by account and role name. Values
 * CloudFormation resolves at deploy time are counted at realistic lengths: AppConfig IDs
 * 7 characters, account IDs 12, regions 14 (the longest region names), partitions 10
 * (`aws-us-gov`), and any other reference at a generous length for what it names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as cxapi from 'aws-cdk-lib/cx-api';

export const IAM_LIMITS = {
  /** "Role policy size": inline policies of one role, summed. */
  roleInlineCharacters: 10_240,
  /** "Managed policy size". */
  managedPolicyCharacters: 6_144,
  /** "Managed policies per role" (default quota). */
  managedPoliciesPerRole: 10,
} as const;

/** Lengths of values that CloudFormation fills in at deploy time. */
export const RESOLVED_LENGTHS = {
  appConfigId: 7,
  account: 12,
  region: 14,
  partition: 10,
  urlSuffix: 16,
  /** An ARN or a name this check cannot know: longer than almost any real one. */
  unknown: 128,
} as const;

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}
interface Template {
  readonly Resources?: Record<string, Resource>;
  readonly Parameters?: Record<string, { Type?: string }>;
}

export interface IamUsage {
  /** `<account>:role/<name>`, or `<stack>/<logical id>` for a role whose name CloudFormation generates. */
  readonly role: string;
  readonly inlineCharacters: number;
  readonly managedPolicies: number;
  /** Where the role's inline policies come from: `<stack>/<logical id>`. */
  readonly sources: readonly string[];
}

export interface ManagedPolicySize {
  readonly policy: string;
  readonly characters: number;
}

export interface IamLimitViolation {
  readonly subject: string;
  readonly message: string;
}

interface LoadedTemplate {
  readonly stackName: string;
  readonly account: string;
  readonly template: Template;
}

/** Every template of the assembly, its stage assemblies and their nested stacks. */
export function loadTemplates(assembly: cxapi.CloudAssembly): LoadedTemplate[] {
  const out: LoadedTemplate[] = [];
  for (const stack of assembly.stacksRecursively) {
    const account = stack.environment.account;
    const visit = (stackName: string, file: string) => {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as Template;
      out.push({ stackName, account, template });
      for (const [id, r] of Object.entries(template.Resources ?? {})) {
        const nested = r.Type === 'AWS::CloudFormation::Stack' ? r.Metadata?.['aws:asset:path'] : undefined;
        if (typeof nested === 'string') visit(`${stackName}/${id}`, path.join(path.dirname(stack.templateFullPath), nested));
      }
    };
    visit(stack.stackName, stack.templateFullPath);
  }
  return out;
}

/** What each role and each managed policy of the assembly uses of IAM's quotas. */
export function measureIam(templates: readonly LoadedTemplate[]): { roles: IamUsage[]; managedPolicies: ManagedPolicySize[] } {
  const roles = new Map<string, { inline: number; managed: number; sources: string[] }>();
  const role = (key: string) => roles.get(key) ?? roles.set(key, { inline: 0, managed: 0, sources: [] }).get(key)!;
  const managedPolicies: ManagedPolicySize[] = [];

  for (const { stackName, account, template } of templates) {
    const resources = template.Resources ?? {};
    const roleKey = (ref: Json): string => {
      // A role of this template, by Ref; or an existing role, by name.
      if (isObject(ref) && typeof ref.Ref === 'string') {
        const target = resources[ref.Ref];
        const name = target?.Properties?.RoleName;
        return typeof name === 'string' ? `${account}:role/${name}` : `${stackName}/${ref.Ref}`;
      }
      return typeof ref === 'string' ? `${account}:role/${ref}` : `${stackName}/${JSON.stringify(ref)}`;
    };
    const size = (doc: Json) => policyCharacters(doc, template);
    for (const [id, r] of Object.entries(resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::IAM::Role') {
        const entry = role(roleKey({ Ref: id }));
        for (const inline of asArray(p.Policies)) {
          entry.inline += size(isObject(inline) ? inline.PolicyDocument : inline);
          entry.sources.push(`${stackName}/${id}`);
        }
        entry.managed += asArray(p.ManagedPolicyArns).length;
      } else if (r.Type === 'AWS::IAM::Policy') {
        for (const target of asArray(p.Roles)) {
          const entry = role(roleKey(target));
          entry.inline += size(p.PolicyDocument);
          entry.sources.push(`${stackName}/${id}`);
        }
      } else if (r.Type === 'AWS::IAM::RolePolicy') {
        const entry = role(roleKey(p.RoleName));
        entry.inline += size(p.PolicyDocument);
        entry.sources.push(`${stackName}/${id}`);
      } else if (r.Type === 'AWS::IAM::ManagedPolicy') {
        managedPolicies.push({ policy: `${stackName}/${id}`, characters: size(p.PolicyDocument) });
        for (const target of asArray(p.Roles)) role(roleKey(target)).managed += 1;
      }
    }
  }
  return {
    roles: [...roles.entries()].map(([key, v]) => ({ role: key, inlineCharacters: v.inline, managedPolicies: v.managed, sources: v.sources })),
    managedPolicies,
  };
}

/** The quotas a deployment of the assembly would break; empty when IAM accepts every role and policy. */
export function iamLimitViolations(assembly: cxapi.CloudAssembly): IamLimitViolation[] {
  const { roles, managedPolicies } = measureIam(loadTemplates(assembly));
  const out: IamLimitViolation[] = [];
  for (const r of roles) {
    if (r.inlineCharacters > IAM_LIMITS.roleInlineCharacters) {
      out.push({
        subject: r.role,
        message: `its inline policies add up to ${r.inlineCharacters} characters (from ${r.sources.join(', ')}); IAM allows ${IAM_LIMITS.roleInlineCharacters} per role ("Role policy size", IAM and AWS STS quotas): grant by a pattern, or move statements into managed policies`,
      });
    }
    if (r.managedPolicies > IAM_LIMITS.managedPoliciesPerRole) {
      out.push({
        subject: r.role,
        message: `${r.managedPolicies} managed policies are attached; IAM allows ${IAM_LIMITS.managedPoliciesPerRole} per role by default ("Managed policies per role", IAM and AWS STS quotas): merge them, or raise the quota (up to 20)`,
      });
    }
  }
  for (const m of managedPolicies) {
    if (m.characters > IAM_LIMITS.managedPolicyCharacters) {
      out.push({ subject: m.policy, message: `managed policy of ${m.characters} characters; IAM allows ${IAM_LIMITS.managedPolicyCharacters} ("Managed policy size", IAM and AWS STS quotas): split it` });
    }
  }
  return out;
}

/** Characters IAM counts for a policy document: JSON without white space, with values CloudFormation resolves at realistic lengths. */
export function policyCharacters(doc: Json, template: Template = {}): number {
  return JSON.stringify(resolveForSize(doc, template)).replace(/\s/g, '').length;
}

function resolveForSize(value: Json, template: Template): Json {
  if (Array.isArray(value)) return value.map((v) => resolveForSize(v, template));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [fn] = keys as [string];
    const arg = value[fn];
    switch (fn) {
      case 'Ref':
        return 'x'.repeat(refLength(String(arg), template));
      case 'Fn::GetAtt':
        return 'x'.repeat(RESOLVED_LENGTHS.unknown);
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return asArray(parts)
          .map((p) => String(resolveForSize(p, template)))
          .join(sep);
      }
      case 'Fn::Select':
        return 'x'.repeat(RESOLVED_LENGTHS.appConfigId);
      case 'Fn::Sub': {
        const body = Array.isArray(arg) ? String(arg[0]) : String(arg);
        return body.replace(/\$\{([^}]+)\}/g, (_, name: string) => 'x'.repeat(refLength(name, template)));
      }
      case 'Fn::If': {
        const [, a, b] = arg as [string, Json, Json];
        const [ra, rb] = [JSON.stringify(resolveForSize(a, template)), JSON.stringify(resolveForSize(b, template))];
        return JSON.parse(ra.length >= rb.length ? ra : rb) as Json;
      }
      case 'Fn::ImportValue':
      case 'Fn::GetStackOutput':
      case 'Fn::FindInMap':
      case 'Fn::Base64':
        return 'x'.repeat(RESOLVED_LENGTHS.unknown);
      default:
        break;
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveForSize(v, template)]));
}

function refLength(name: string, template: Template): number {
  switch (name) {
    case 'AWS::AccountId':
      return RESOLVED_LENGTHS.account;
    case 'AWS::Region':
      return RESOLVED_LENGTHS.region;
    case 'AWS::Partition':
      return RESOLVED_LENGTHS.partition;
    case 'AWS::URLSuffix':
      return RESOLVED_LENGTHS.urlSuffix;
    default:
      break;
  }
  const type = template.Resources?.[name]?.Type ?? '';
  if (type.startsWith('AWS::AppConfig::')) return RESOLVED_LENGTHS.appConfigId;
  return RESOLVED_LENGTHS.unknown;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: Json): Json[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
