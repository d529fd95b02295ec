/**
 * The image every CodeBuild project of the pipeline runs on: chosen, pinned by digest, and
 * pulled from the pipeline account's own ECR with the project's role.
 *
 * - **Which image.** Debian bookworm with Node 24 (Docker's official `node:24-bookworm`).
 *   Node 24 is an LTS line supported until 2028-04-30; Node 20, which this repository is
 *   developed on, reached its end of life on 2026-04-30, and Node 22 ends a year before 24.
 *   Every package the lockfile pins declares an `engines.node` that Node 22 and 24 satisfy,
 *   and the ones with install scripts (esbuild, @swc/core, @parcel/watcher, unrs-resolver)
 *   ship Node-API or standalone binaries, not builds against one Node ABI. Debian rather
 *   than CodeBuild's Ubuntu images because the browser tests need Debian's `chromium`
 *   package (Ubuntu only has it as a snap, which cannot run in a build container).
 * - **Pinned by digest.** A tag moves with every Node and Debian update; the digest is the
 *   image, byte for byte, so a build runs on what was reviewed until someone changes it.
 * - **From the pipeline account's ECR.** CodeBuild pulls anonymously from a public registry
 *   under that registry's anonymous limits: Docker Hub's pull rate limit, and ECR Public's
 *   "for unauthenticated customers, Amazon ECR Public supports up to 500GB of data per
 *   month", not adjustable (Amazon ECR Public user guide, "Amazon ECR Public service
 *   quotas"). A private repository in the pipeline's own
 *   account and region has none of those, and its pulls are authenticated with each
 *   project's service role. The image is copied into it once, by digest (see
 *   `buildImageSetupCommands`), before the pipeline is deployed.
 *
 *   Why a copy rather than an ECR pull-through cache rule on public.ecr.aws: a rule fills
 *   its cache when a *tag* is pulled, and a first pull by digest of an image it has not
 *   cached is reported to fail (aws/containers-roadmap#2837, "pull-through cache — support
 *   digest-pinned images on first pull", open since 2026-07-18). A digest-pinned build
 *   would then depend on someone pulling the tag while it still pointed at the pinned
 *   digest. A copy by digest works for any digest, old or new.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { partitionOf } from '../agent/names';
import type { BuildImageConfig, Model } from '../model';

/**
 * The image when workload.json sets no `pipeline.buildImage`.
 *
 * The digest is that of the multi-platform OCI index of `node:24-bookworm` built on
 * 2026-10-06 (nodejs/docker-node revision 93a7bafc324a85ac1ee461604cff87cffacb6d7a; linux
 * amd64, arm64 and ppc64le). Docker's official images are mirrored to ECR Public with the
 * same digests. Found in public code, where it is pinned as
 * `public.ecr.aws/docker/library/node:24-bookworm@sha256:3d27e5c1...` and recorded as
 * "checked on both registries on 2026-10-09" (GitHub jlbellonGmail/ai-native,
 * evaluation/m52/offline-image.mjs, with the index itself in offline-image.index.json). That
 * index is kept beside this file as `build-image.index.json`; its sha256 is this digest
 * (test/pipeline/build-image.test.ts checks it offline).
 *
 * To refresh (needs network): read the tag's current digest with
 * `crane digest public.ecr.aws/docker/library/node:24-bookworm` (or `docker buildx
 * imagetools inspect public.ecr.aws/docker/library/node:24-bookworm`, line "Digest:"),
 * save the index with `crane manifest public.ecr.aws/docker/library/node@<digest> >
 * lib/pipeline/build-image.index.json`, set the digest here, and run the setup commands
 * again to copy it into the pipeline account before merging.
 */
export const DEFAULT_BUILD_IMAGE: Required<Omit<BuildImageConfig, 'repository'>> = {
  image: 'public.ecr.aws/docker/library/node:24-bookworm',
  digest: 'sha256:3d27e5c11e5786e309ec3e03f93ae536eb36e6e5eb3714d5eb3300a36157add0',
};

/** The OCI index whose sha256 is DEFAULT_BUILD_IMAGE.digest, as the registry serves it. */
export const DEFAULT_BUILD_IMAGE_INDEX = path.join(__dirname, 'build-image.index.json');

/** A digest as workload.schema.json accepts it. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * An ECR repository name: 2-256 characters of `[a-z0-9]` groups joined by one of `._-`,
 * path segments separated by `/` (Amazon ECR API Reference, CreateRepository,
 * repositoryName: "Length Constraints: Minimum length of 2. Maximum length of 256.").
 */
// eslint-disable-next-line security/detect-unsafe-regex -- recheck proves this pattern linear
export const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const ECR_REPOSITORY_NAME_MAX = 256;

export type ResolvedBuildImage = Required<BuildImageConfig>;

/** workload.json's `pipeline.buildImage`, or the default, with its repository name. */
export function buildImageOf(model: Model): ResolvedBuildImage {
  const configured = model.workload.pipeline.buildImage;
  const image = configured ?? DEFAULT_BUILD_IMAGE;
  if (!DIGEST_PATTERN.test(image.digest)) {
    throw new Error(`config/workload.json pipeline.buildImage.digest: '${image.digest}' is not a sha256 digest; pin the image with "digest": "sha256:<64 hex>"`);
  }
  const repository = configured?.repository ?? defaultBuildImageRepository(model);
  if (!ECR_REPOSITORY_NAME.test(repository) || repository.length < 2 || repository.length > ECR_REPOSITORY_NAME_MAX) {
    throw new Error(
      `config/workload.json pipeline.buildImage.repository: '${repository}' is not an ECR repository name ` +
        `(2-${ECR_REPOSITORY_NAME_MAX} characters; lower-case letters and digits, separated by single '.', '_', '-' or '/'); set pipeline.buildImage.repository`,
    );
  }
  return { image: image.image, digest: image.digest, repository };
}

/**
 * `<workload>-dynconf/build-image`: one per workload, so that two workloads sharing a
 * pipeline account never pin each other's image. A workload name's runs of `-` and a
 * trailing `-`, which ECR names do not allow, are folded.
 */
export function defaultBuildImageRepository(model: Model): string {
  const workload = model.workload.workload.replace(/-+/g, '-').replace(/-$/, '');
  return `${workload}-dynconf/build-image`;
}

/** The tag the copy gets: the source's tag and the digest's first 12 hex digits (unique per digest, so tags never move). */
export function buildImageCopyTag(image: ResolvedBuildImage): string {
  const tag = image.image.slice(image.image.lastIndexOf(':') + 1);
  return `${tag}-${image.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/** The host of the pipeline account's private registry. */
export function pipelineRegistry(model: Model): string {
  const { account, region } = model.workload.pipeline;
  const suffix = partitionOf(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

/** What every CodeBuild project of the pipeline runs: the copy in the pipeline account, by digest. */
export function buildImageUri(model: Model): string {
  const image = buildImageOf(model);
  return `${pipelineRegistry(model)}/${image.repository}@${image.digest}`;
}

/**
 * The one-time commands that create the repository and copy the image into it, with
 * credentials for the pipeline account; again after each change of the digest. `crane
 * copy` copies the index and every platform's manifest and layers unchanged, so the digest
 * stays the same; the last command prints it for comparison.
 */
export function buildImageSetupCommands(model: Model): string[] {
  const image = buildImageOf(model);
  const { region } = model.workload.pipeline;
  const registry = pipelineRegistry(model);
  const source = `${image.image.slice(0, image.image.lastIndexOf(':'))}@${image.digest}`;
  const target = `${registry}/${image.repository}:${buildImageCopyTag(image)}`;
  return [
    `aws ecr create-repository --region ${region} --repository-name ${image.repository} --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true`,
    `aws ecr get-login-password --region ${region} | crane auth login ${registry} -u AWS --password-stdin`,
    `crane copy ${source} ${target}`,
    `crane digest ${target}`,
  ];
}

/**
 * The CodeBuild image for the pipeline stack: the repository, imported by name, at the
 * digest. CodeBuild pulls it with each project's service role, which aws-cdk-lib grants
 * the pulls on that repository (and `ecr:GetAuthorizationToken`, which has no resource).
 */
export function pipelineBuildImage(scope: Construct, model: Model): codebuild.IBuildImage {
  const image = buildImageOf(model);
  const repository = ecr.Repository.fromRepositoryName(scope, 'BuildImageRepository', image.repository);
  return codebuild.LinuxBuildImage.fromEcrRepository(repository, image.digest);
}

/** sha256 of a file, as a registry digest. */
export function fileDigest(file: string): string {
  return `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}
