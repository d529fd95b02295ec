/**
 * The emergency lane as bin/app.ts builds it for a workload that declares `emergency`
 * (synthesized once, with cdk-nag and CFN Guard): its pipeline and trigger, its one build
 * and its commands, its CodeBuild role, each environment's emergency deploy role, the tag
 * those roles are scoped by, and the guard the main pipeline runs before each
 * environment's AppConfig stacks. Without `emergency`, none of it exists.
 */
import { emergencyLaneCommands, emergencyLaneOf, emergencyRoleGrants, TAGGED_APPCONFIG_TYPES } from '../../lib/pipeline/emergency-lane';
import { reasonFor, wildcardFindings, type Statement as NagStatement } from '../../lib/pipeline/nag';
import { dynconfCommand, reportingDynconfCommand } from '../../lib/pipeline/gate-steps';
import { emergencyBuildRoleArn, emergencyBuildRoleName, emergencyPipelineName, emergencyRoleArn, emergencyRoleName, gateStepRoleName, readersStackName } from '../../lib/pipeline/names';
import type { Model } from '../../lib/model';
import { rmrf } from '../support/workspace';
import { actions, resourcesOf, sampleModel, stageTemplate, synthesize, validationReport, withWorkload, type Resource, type SynthesizedApp, type Template } from './support';

/** The sample with a lane declared the way the shared design describes it, whatever config/workload.json says. */
function withLane(model: Model, branches?: string): Model {
  return withWorkload(model, (w) => ({
    ...w,
    strategies: { ...w.strategies, 'Emergency.AllAtOnce': { growthType: 'LINEAR', growthFactor: 100, deploymentDurationMinutes: 0, finalBakeTimeMinutes: 5 } },
    emergency: { strategy: 'Emergency.AllAtOnce', ...(branches ? { branches } : {}) },
  }));
}

function withoutLane(model: Model): Model {
  return withWorkload(model, (w) => {
    const { emergency: _emergency, ...rest } = w;
    return rest;
  });
}

let s: SynthesizedApp;
let bare: SynthesizedApp;
beforeAll(() => {
  s = synthesize(withLane(sampleModel()));
  bare = synthesize(withoutLane(sampleModel()));
}, 600_000);
afterAll(() => {
  if (s) rmrf(s.outdir);
  if (bare) rmrf(bare.outdir);
});

const model = () => s.model;
const pipelineTemplate = (x: SynthesizedApp) => x.assembly.getStackByName('g360-dynconf-pipeline').template as Template;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };
/** Every statement of the policies attached to a role (by logical id), resolved as written. */
const policyStatements = (t: Template, roleId: string): Statement[] =>
  Object.values(t.Resources)
    .filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const roleNamed = (t: Template, name: string): [string, Resource] => {
  const found = resourcesOf(t, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === name);
  if (!found) throw new Error(`no role ${name}`);
  return found;
};
const pipelineNamed = (t: Template, name: string) => resourcesOf(t, 'AWS::CodePipeline::Pipeline').find(([, r]) => r.Properties.Name === name)?.[1];

describe('the lane pipeline', () => {
  test('emergency lane: a CodePipeline V2 beside the main one, started only by a push to emergency/*, from a full clone of the same connection', () => {
    const lane = pipelineNamed(pipelineTemplate(s), emergencyPipelineName(model()))!;
    expect(lane.Properties.PipelineType).toBe('V2');
    expect(lane.Properties.ExecutionMode).toBe('QUEUED');
    expect(lane.Properties.Triggers).toEqual([
      { ProviderType: 'CodeStarSourceConnection', GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['emergency/*'] } }] } },
    ]);
    const stages = lane.Properties.Stages as { Name: string; Actions: { Name: string; ActionTypeId: { Provider: string }; Configuration: Record<string, unknown> }[] }[];
    expect(stages.map((st) => [st.Name, st.Actions.map((a) => a.ActionTypeId.Provider)])).toEqual([
      ['Source', ['CodeStarSourceConnection']],
      ['Emergency', ['CodeBuild']],
    ]);
    const p = model().workload.pipeline;
    expect(stages[0]!.Actions[0]!.Configuration).toEqual({
      ConnectionArn: p.source.connectionArn,
      FullRepositoryId: p.source.repository,
      BranchName: p.source.branch,
      OutputArtifactFormat: 'CODEBUILD_CLONE_REF',
    });
    // The main pipeline keeps its own trigger: its branch, no filter.
    expect(pipelineNamed(pipelineTemplate(s), 'g360-dynconf')!.Properties.Triggers).toBeUndefined();
  });

  test('emergency lane: emergency.branches replaces the default emergency/* pattern', () => {
    const m = withLane(sampleModel(), 'hotfix/**');
    expect(emergencyLaneOf(m)!.branches).toBe('hotfix/**');
    expect(emergencyLaneOf(withLane(sampleModel()))!.branches).toBe('emergency/*');
  });

  test('emergency lane: its one build validates, checks against the merge base with main, then deploys that commit', () => {
    const t = pipelineTemplate(s);
    const [, project] = resourcesOf(t, 'AWS::CodeBuild::Project').find(([id]) => id.startsWith('EmergencyLaneProject'))!;
    const spec = JSON.parse((project.Properties.Source as { BuildSpec: string }).BuildSpec) as {
      env: { variables: Record<string, string> };
      phases: { install: { commands: string[] }; build: { commands: string[] } };
    };
    const build = spec.phases.build.commands;
    const at = (c: string) => build.indexOf(c);
    expect(build).toContain("git fetch --no-tags origin '+refs/heads/main:refs/remotes/origin/main'");
    expect(build).toContain(`BASE="$(git merge-base 'origin/main' HEAD)"`);
    const validate = at(dynconfCommand('validate'));
    const check = at(dynconfCommand('emergency check --base "$BASE"'));
    const deploy = at(dynconfCommand('emergency deploy --base "$BASE" --commit "$CODEBUILD_RESOLVED_SOURCE_VERSION" --aws-profile-prefix dynconf-emergency-'));
    expect([validate >= 0, check > validate, deploy > check, deploy]).toEqual([true, true, true, build.length - 1]);
    expect(at(`BASE="$(git merge-base 'origin/main' HEAD)"`)).toBeLessThan(check);
    // One profile per environment, each assuming that environment's emergency role.
    for (const env of model().environments) {
      expect(build[0]).toContain(`'[profile dynconf-emergency-${env}]' 'role_arn = ${emergencyRoleArn(model(), env)}' 'credential_source = EcsContainer'`);
    }
    expect(spec.env.variables).toEqual({ CI: 'true', AWS_CONFIG_FILE: '/tmp/dynconf-emergency-aws-config', DYNCONF_EMERGENCY_PROFILE_PREFIX: 'dynconf-emergency-' });
    // The main pipeline's image, one digest for every project.
    const images = new Set(resourcesOf(t, 'AWS::CodeBuild::Project').map(([, r]) => JSON.stringify((r.Properties.Environment as { Image: unknown }).Image)));
    expect(images.size).toBe(1);
    expect(emergencyLaneCommands(model()).build).toEqual(build);
  });

  test('emergency lane: its CodeBuild role may assume exactly the emergency deploy roles, and nothing else of IAM or AppConfig', () => {
    const t = pipelineTemplate(s);
    const [roleId, role] = roleNamed(t, emergencyBuildRoleName(model()));
    expect(emergencyBuildRoleArn(model())).toBe(`arn:aws:iam::${model().workload.pipeline.account}:role/${role.Properties.RoleName as string}`);
    const statements = policyStatements(t, roleId);
    const assume = statements.filter((st) => actions(st).some((a) => a.startsWith('sts:')));
    expect(assume).toHaveLength(1);
    expect(actions(assume[0]!)).toEqual(['sts:AssumeRole']);
    expect(([] as unknown[]).concat(assume[0]!.Resource).sort()).toEqual(model().environments.map((env) => emergencyRoleArn(model(), env)).sort());
    // Besides that: what a CodeBuild project needs to run (logs, image, artifacts, report groups, the clone).
    const allowed = /^(logs|ecr|s3|kms|codebuild):|^codeconnections:UseConnection$/;
    expect(statements.flatMap(actions).filter((a) => !a.startsWith('sts:') && !allowed.test(a))).toEqual([]);
    expect(statements.filter((st) => actions(st).some((a) => a.startsWith('iam:') || a.startsWith('appconfig:')))).toEqual([]);
    // The only `*` is ECR's authorization token, which has no resource-level permission.
    expect(statements.filter((st) => st.Resource === '*').flatMap(actions)).toEqual(['ecr:GetAuthorizationToken']);
  });
});

describe("each environment's emergency deploy role", () => {
  const readers = (env: string): Template => stageTemplate(s, env, readersStackName(model(), env));

  test('emergency lane: trusts only the lane CodeBuild role, by its ARN, from the pipeline account', () => {
    for (const env of model().environments) {
      const [, role] = roleNamed(readers(env), emergencyRoleName(model(), env));
      const config = model().workload.environments[env]!;
      expect(emergencyRoleArn(model(), env)).toBe(`arn:aws:iam::${config.account}:role/${role.Properties.RoleName as string}`);
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${model().workload.pipeline.account}:root` },
            Condition: { ArnEquals: { 'aws:PrincipalArn': emergencyBuildRoleArn(model()) } },
          },
        ],
      });
    }
  });

  test('emergency lane: its actions are exactly the list, writes only on resources tagged with the workload, nothing on *', () => {
    for (const env of model().environments) {
      const t = readers(env);
      const [roleId] = roleNamed(t, emergencyRoleName(model(), env));
      const statements = policyStatements(t, roleId);
      const config = model().workload.environments[env]!;
      const arn = `arn:aws:appconfig:${config.region}:${config.account}`;
      expect([...new Set(statements.flatMap(actions))].sort()).toEqual(
        [
          'appconfig:CreateHostedConfigurationVersion',
          'appconfig:GetDeployment',
          'appconfig:GetHostedConfigurationVersion',
          'appconfig:ListConfigurationProfiles',
          'appconfig:ListDeployments',
          'appconfig:ListEnvironments',
          'appconfig:StartDeployment',
          'ssm:GetParameter',
          'ssm:GetParameters',
        ].sort(),
      );
      expect(statements.every((st) => st.Effect === 'Allow')).toBe(true);
      for (const st of statements) expect([env, ([] as unknown[]).concat(st.Resource).filter((r) => r === '*' || typeof r !== 'string')]).toEqual([env, []]);
      const tagged = statements.find((st) => st.Sid === 'WorkloadAppConfigResources')!;
      expect(tagged.Resource).toEqual([`${arn}:application/*`, `${arn}:deploymentstrategy/*`]);
      expect(tagged.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/dynconf:workload': 'g360' } });
      // Writes appear without the tag condition only on the children that cannot carry it.
      for (const st of statements.filter((x) => x !== tagged && actions(x).some((a) => /^appconfig:(Create|Start)/.test(a)))) {
        expect(([] as unknown[]).concat(st.Resource).sort()).toEqual([`${arn}:application/*/configurationprofile/*/hostedconfigurationversion/*`, `${arn}:application/*/environment/*/deployment/*`]);
      }
      const ids = statements.find((st) => actions(st).includes('ssm:GetParameter'))!;
      expect(ids.Resource).toEqual(`arn:aws:ssm:${config.region}:${config.account}:parameter/dynconf/g360/appconfig/*`);
    }
  });

  test("emergency lane: every AppConfig application, environment, profile and strategy a stage deploys carries the workload's tag; deployments do not", () => {
    for (const env of model().environments) {
      const assembly = s.assembly.getNestedAssembly(`assembly-${env}`);
      for (const stack of assembly.stacks) {
        for (const [id, r] of Object.entries((stack.template as Template).Resources)) {
          if (!r.Type.startsWith('AWS::AppConfig::')) continue;
          const tags = r.Properties.Tags as { Key: string; Value: string }[] | undefined;
          const expected = (TAGGED_APPCONFIG_TYPES as readonly string[]).includes(r.Type) ? [{ Key: 'dynconf:workload', Value: 'g360' }] : undefined;
          expect([stack.stackName, id, tags]).toEqual([stack.stackName, id, expected]);
        }
      }
    }
  });
});

describe('the emergency guard in the main pipeline', () => {
  interface Action {
    Name: string;
    RunOrder: number;
  }
  const stagesOf = (x: SynthesizedApp) =>
    (pipelineNamed(pipelineTemplate(x), 'g360-dynconf')!.Properties.Stages as { Name: string; Actions: Action[] }[]).map((st) => ({ name: st.Name, actions: st.Actions }));

  test('emergency lane: before each environment, after its readers stack and before any of its AppConfig stacks, the guard runs on the commit being deployed', () => {
    const t = pipelineTemplate(s);
    for (const env of model().environments) {
      const stage = stagesOf(s).find((st) => st.actions.some((a) => a.Name.endsWith(`EmergencyGuard-${env}`)))!;
      const order = (pattern: RegExp) => stage.actions.filter((a) => pattern.test(a.Name)).map((a) => a.RunOrder);
      const [guard] = order(new RegExp(`EmergencyGuard-${env}$`));
      expect(Math.min(...order(new RegExp(`g360-appconfig-${env}(-\\d+)?\\.Prepare$`)))).toBeGreaterThan(guard!);
      expect(Math.max(...order(new RegExp(`g360-${env}-config-readers\\.Deploy$`)))).toBeLessThan(guard!);
      const [, project] = resourcesOf(t, 'AWS::CodeBuild::Project').find(([id]) => id.includes(`EmergencyGuard${env.replace(/-/g, '')}`))!;
      const spec = (project.Properties.Source as { BuildSpec: string }).BuildSpec;
      const commands = (JSON.parse(spec) as { phases: { build: { commands: string[] } } }).phases.build.commands;
      // With its JUnit report, published as every test step's (reports.test.ts).
      expect(commands).toContain(reportingDynconfCommand(`rollout guard --env ${env} --commit "$COMMIT_ID"`));
      // As the gate: the gate step role, reading through the gate role.
      const role = JSON.stringify(project.Properties.ServiceRole);
      const [gateStepRoleId] = roleNamed(t, gateStepRoleName(model(), env));
      expect(role).toContain(gateStepRoleId);
    }
  });

  test('emergency lane: without `emergency`, no lane, no guard, no emergency role and no tags', () => {
    expect(pipelineNamed(pipelineTemplate(bare), emergencyPipelineName(bare.model))).toBeUndefined();
    expect(stagesOf(bare).flatMap((st) => st.actions.map((a) => a.Name)).filter((n) => n.includes('EmergencyGuard'))).toEqual([]);
    expect(resourcesOf(pipelineTemplate(bare), 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === emergencyBuildRoleName(bare.model))).toEqual([]);
    for (const env of bare.model.environments) {
      const assembly = bare.assembly.getNestedAssembly(`assembly-${env}`);
      const all = assembly.stacks.flatMap((st) => Object.values((st.template as Template).Resources));
      expect(all.filter((r) => r.Type === 'AWS::IAM::Role' && String(r.Properties.RoleName).endsWith('-emergency-deploy'))).toEqual([]);
      expect(all.filter((r) => JSON.stringify(r.Properties?.Tags ?? []).includes('dynconf:workload'))).toEqual([]);
    }
  });

  test('emergency lane: cdk-nag (AwsSolutions) and CFN Guard pass with the lane; every IAM5 wildcard of the emergency role has a reason, and an untagged write would have none', () => {
    // An unacknowledged AwsSolutions finding makes app.synth() throw (nag.test.ts), so s exists only if nag passed.
    const report = validationReport(s);
    for (const plugin of report.pluginReports) expect([plugin.pluginName, plugin.violations]).toEqual([plugin.pluginName, []]);
    const grants = emergencyRoleGrants();
    for (const env of model().environments) {
      const t = stageTemplate(s, env, readersStackName(model(), env));
      const [roleId] = roleNamed(t, emergencyRoleName(model(), env));
      const findings = policyStatements(t, roleId).flatMap((st) => wildcardFindings(st as NagStatement).map((f) => [f, reasonFor(grants, f, st as NagStatement, undefined) !== undefined]));
      expect(findings.length).toBeGreaterThan(0);
      for (const f of findings) expect(f[1]).toBe(true);
    }
    const config = model().workload.environments.beta!;
    const anyApp = `arn:aws:appconfig:${config.region}:${config.account}:application/*`;
    const untagged: NagStatement = { Effect: 'Allow', Action: ['appconfig:StartDeployment'], Resource: anyApp };
    expect(reasonFor(grants, `Resource::${anyApp}`, untagged, undefined)).toBeUndefined();
  });
});
