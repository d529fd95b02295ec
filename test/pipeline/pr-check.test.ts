/**
 * The CodeBuild PR check (lib/pipeline/pr-check.ts) as bin/app.ts builds it for a workload
 * that declares `pipeline.pullRequestCheck` (synthesized with cdk-nag and CFN Guard): its
 * webhook on the connection, its commands, its role that reaches nothing of the pipeline,
 * its report bucket. Without the declaration, none of it exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspaceFromDisk, type Model } from '../../lib/model';
import { bundledDynconfCommand } from '../../lib/pipeline/build-actions';
import { CHECKOUT_DYNCONF_ENTRY, dynconfCommand } from '../../lib/pipeline/gate-steps';
import type { PullRequestCheckConfig } from '../../lib/model';
import { prCheckCommands, prCheckLocation, PR_CHECK_STATUS_CONTEXT } from '../../lib/pipeline/pr-check';
import { MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { actions, buildSpecCommands, resourcesOf, sampleModel, synthesize, validationReport, withWorkload, type Resource, type SynthesizedApp, type Template } from './support';

function withCheck(model: Model, check: PullRequestCheckConfig): Model {
  return withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, pullRequestCheck: check } as typeof w.pipeline }));
}

let gitlab: SynthesizedApp;
let bare: SynthesizedApp;
beforeAll(() => {
  gitlab = synthesize(withCheck(sampleModel(), { provider: 'gitlab' }));
  bare = synthesize(sampleModel());
}, 600_000);
afterAll(() => {
  if (gitlab) rmrf(gitlab.outdir);
  if (bare) rmrf(bare.outdir);
});

const template = (x: SynthesizedApp) => x.assembly.getStackByName('g360-dynconf-pipeline').template as Template;
const prProjects = (t: Template): [string, Resource][] => resourcesOf(t, 'AWS::CodeBuild::Project').filter(([, r]) => r.Properties.Triggers !== undefined);
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (t: Template, roleId: string): Statement[] =>
  Object.values(t.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

describe('how every build runs dynconf (the pipeline, the emergency lane and the PR check, all in this synthesis)', () => {
  test('no buildspec runs it through a TypeScript loader: `node bin/dynconf.js` (package.json\'s entry) after `npm ci` in the builds with a checkout, the CLI bundle in the check steps', () => {
    const projects = buildSpecCommands(gitlab);
    const all = projects.flatMap((p) => p.commands.map((c) => [p.project, c.command] as const));
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter(([, c]) => /--(import|loader|require)[\s=]+(tsx|ts-node)|bin\/dynconf\.ts\b/.test(c))).toEqual([]);
    // The npm scripts' entry, so a build runs what a developer runs.
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.dynconf).toBe(dynconfCommand('').trim());
    expect(fs.existsSync(path.join(REPO_ROOT, CHECKOUT_DYNCONF_ENTRY))).toBe(true);

    const callers = projects.filter((p) => p.commands.some((c) => c.command.includes(CHECKOUT_DYNCONF_ENTRY)));
    // The emergency lane (validate, emergency check, emergency deploy) and the PR check (validate, diff), nothing else.
    expect(callers.map((p) => p.project.replace(/^.*\/|[0-9A-F]{8}$/g, '')).sort()).toEqual(['EmergencyLaneProject', 'PullRequestCheckProject']);
    for (const p of callers) {
      const calls = p.commands.filter((c) => c.command.includes(CHECKOUT_DYNCONF_ENTRY));
      for (const c of calls) expect([p.project, c.command.startsWith(dynconfCommand(''))]).toEqual([p.project, true]);
      // npm ci builds dist/cli (its `prepare`) in the install phase, before the first call.
      const npmCi = p.commands.findIndex((c) => /^npm ci(\s|$)/.test(c.command));
      expect([p.project, p.commands[npmCi]?.phase, npmCi < p.commands.indexOf(calls[0]!)]).toEqual([p.project, 'install', true]);
    }
    expect(callers.flatMap((p) => p.commands.filter((c) => c.command.includes(CHECKOUT_DYNCONF_ENTRY))).length).toBe(5);
    // Every other dynconf call is the check steps' bundle, in builds that install nothing.
    const bundled = projects.filter((p) => p.commands.some((c) => c.command.startsWith(bundledDynconfCommand(''))));
    expect(bundled.length).toBe(3 * sampleModel().environments.length);
    for (const p of bundled) expect([p.project, p.commands.filter((c) => /\bnpm\s+(ci|install|i)\b/.test(c.command))]).toEqual([p.project, []]);
  });
});

describe('the PR check project', () => {
  test('pull request check: a GitLab source through the pipeline connection, status reported, built on PR created/updated/reopened against the pipeline branch', () => {
    const [[, project]] = prProjects(template(gitlab)) as [[string, Resource]];
    const p = sampleModel().workload.pipeline;
    expect(project.Properties.Source).toMatchObject({
      Type: 'GITLAB',
      Location: `https://gitlab.com/${p.source.repository}`,
      Auth: { Type: 'CODECONNECTIONS', Resource: p.source.connectionArn },
      GitCloneDepth: 0,
      ReportBuildStatus: true,
      BuildStatusConfig: { Context: PR_CHECK_STATUS_CONTEXT },
    });
    expect(project.Properties.Triggers).toEqual({
      Webhook: true,
      FilterGroups: [
        [
          { Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' },
          { Type: 'BASE_REF', Pattern: `^refs/heads/${p.source.branch}$` },
        ],
      ],
      PullRequestBuildPolicy: { RequiresCommentApproval: 'FORK_PULL_REQUESTS', ApproverRoles: ['GITLAB_DEVELOPER', 'GITLAB_MAINTAINER', 'GITLAB_OWNER'] },
    });
  });

  test('pull request check: validates, diffs against the merge base with the target branch, prints the markdown and keeps it as the artifact', () => {
    const [[, project]] = prProjects(template(gitlab)) as [[string, Resource]];
    const spec = JSON.parse((project.Properties.Source as { BuildSpec: string }).BuildSpec) as {
      env: Record<string, unknown>;
      phases: { build: { commands: string[] } };
      artifacts: Record<string, unknown>;
    };
    const build = spec.phases.build.commands;
    expect(build).toEqual(prCheckCommands(sampleModel()).build);
    expect(build.indexOf(dynconfCommand('validate'))).toBeLessThan(build.findIndex((c) => c.includes('diff --base "$BASE" --format markdown')));
    expect(build[0]).toBe('TARGET="${CODEBUILD_WEBHOOK_BASE_REF:-refs/heads/main}"');
    expect(build).toContain('BASE="$(git merge-base "origin/$TARGET" HEAD)"');
    expect(spec.env['git-credential-helper']).toBe('yes');
    expect(spec.artifacts).toEqual({ 'base-directory': 'pr-check', files: ['dynconf-diff.md'] });
    expect(project.Properties.Artifacts).toMatchObject({ Type: 'S3', Packaging: 'NONE', NamespaceType: 'BUILD_ID', Path: 'pull-requests' });
  });

  test("pull request check: its role (it runs pull requests' code) reaches the connection, its logs, its bucket and key, and nothing of the pipeline", () => {
    const t = template(gitlab);
    const [[, project]] = prProjects(t) as [[string, Resource]];
    const roleId = (project.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = statementsOf(t, roleId);
    const connection = sampleModel().workload.pipeline.source.connectionArn;
    expect(statements.find((s) => JSON.stringify(s.Resource) === JSON.stringify(connection))).toMatchObject({ Action: ['codeconnections:GetConnection', 'codeconnections:GetConnectionToken'] });
    const all = JSON.stringify(statements);
    expect(all).not.toMatch(/PipelineArtifactsBucket|sts:AssumeRole|appconfig:|ssm:|codestar-connections:UseConnection|codeconnections:UseConnection/);
    expect(statements.flatMap(actions).filter((a) => !/^(codeconnections:GetConnection(Token)?|logs:|s3:|kms:|codebuild:(CreateReport|UpdateReport|BatchPut)|ecr:)/.test(a))).toEqual([]);
    // Its own bucket: encrypted with its own key, private, TLS only, expiring.
    const bucketId = Object.keys(t.Resources).find((id) => id.startsWith('PullRequestCheckReports') && t.Resources[id]!.Type === 'AWS::S3::Bucket')!;
    expect(t.Resources[bucketId]!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Id: 'ExpireReports', Status: 'Enabled' }] },
    });
    expect(JSON.stringify(t.Resources[bucketId]!.Properties.BucketEncryption)).toContain('aws:kms');
  });

  test('pull request check: cdk-nag (AwsSolutions) and CFN Guard pass with it', () => {
    // An unacknowledged AwsSolutions finding makes app.synth() throw (nag.test.ts), so gitlab exists only if nag passed.
    for (const plugin of validationReport(gitlab).pluginReports) expect([plugin.pluginName, plugin.violations]).toEqual([plugin.pluginName, []]);
  });

  test('pull request check: without pipeline.pullRequestCheck there is no webhook project, no report bucket', () => {
    const t = template(bare);
    expect(prProjects(t)).toEqual([]);
    expect(Object.keys(t.Resources).filter((id) => id.startsWith('PullRequestCheck'))).toEqual([]);
  });
});

describe('providers', () => {
  const model = sampleModel();
  test('pull request check: Bitbucket has no reopen event; GitHub Enterprise and self-managed GitLab need the URL', () => {
    expect(prCheckLocation(model, { provider: 'bitbucket' })).toBe(`https://bitbucket.org/${model.workload.pipeline.source.repository}.git`);
    expect(prCheckLocation(model, { provider: 'github-enterprise', url: 'https://ghe.example.com/team/config.git' })).toBe('https://ghe.example.com/team/config.git');
    expect(() => prCheckLocation(model, { provider: 'gitlab-self-managed' })).toThrow(
      "config/workload.json pipeline.pullRequestCheck.url: required for provider 'gitlab-self-managed' (the host is yours)",
    );
  });

  test('pull request check: a Bitbucket project triggers on created and updated only, with Bitbucket approver roles', () => {
    const s = synthesize(withCheck(sampleModel(), { provider: 'bitbucket' }));
    try {
      const [[, project]] = prProjects(template(s)) as [[string, Resource]];
      expect(project.Properties.Source).toMatchObject({ Type: 'BITBUCKET' });
      const triggers = project.Properties.Triggers as { FilterGroups: { Type: string; Pattern: string }[][]; PullRequestBuildPolicy: unknown };
      expect(triggers.FilterGroups[0]![0]).toEqual({ Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED' });
      expect(triggers.PullRequestBuildPolicy).toEqual({ RequiresCommentApproval: 'FORK_PULL_REQUESTS', ApproverRoles: ['BITBUCKET_WRITE', 'BITBUCKET_ADMIN'] });
    } finally {
      rmrf(s.outdir);
    }
  }, 600_000);

  test('pull request check: workload.json accepts it with a provider, and a self-managed host with its URL', () => {
    const dir = tempDir();
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      const file = path.join(dir, 'config/workload.json');
      const w = JSON.parse(fs.readFileSync(file, 'utf8')) as { pipeline: Record<string, unknown> };
      for (const check of [{ provider: 'gitlab' }, { provider: 'gitlab-self-managed', url: 'https://git.example.com/team/config.git' }]) {
        w.pipeline.pullRequestCheck = check;
        fs.writeFileSync(file, JSON.stringify(w));
        const loaded = loadWorkspaceFromDisk(dir);
        expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect((loaded.model!.workload.pipeline as unknown as { pullRequestCheck: unknown }).pullRequestCheck).toEqual(check);
      }
    } finally {
      rmrf(dir);
    }
  });
});
