/**
 * The pipeline's build image without synthesizing the app: the default digest is the
 * recorded index's sha256 (so it names a real, published image), the index is Node 24 on
 * bookworm for linux/amd64, workload.json may pin another image only by digest, and the
 * setup commands copy exactly that digest into the pipeline account's repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspaceFromDisk } from '../../lib/model';
import {
  buildImageCopyTag,
  buildImageOf,
  buildImageSetupCommands,
  buildImageUri,
  DEFAULT_BUILD_IMAGE,
  DEFAULT_BUILD_IMAGE_INDEX,
  fileDigest,
} from '../../lib/pipeline/build-image';
import { MINIMAL, REPO_ROOT, rmrf, tempDir } from '../support/workspace';
import { sampleModel, withWorkload } from './support';

interface OciIndex {
  readonly mediaType: string;
  readonly manifests: { platform: { os: string; architecture: string }; annotations?: Record<string, string> }[];
}

const model = sampleModel();
const pinned = { image: 'public.ecr.aws/docker/library/node:22-bookworm', digest: `sha256:${'a'.repeat(64)}` };

describe('the default image', () => {
  test('its digest is the sha256 of the recorded OCI index, byte for byte', () => {
    expect(fileDigest(DEFAULT_BUILD_IMAGE_INDEX)).toBe(DEFAULT_BUILD_IMAGE.digest);
  });

  test('the index is Node 24 on Debian bookworm, with a linux/amd64 image for CodeBuild', () => {
    const index = JSON.parse(fs.readFileSync(DEFAULT_BUILD_IMAGE_INDEX, 'utf8')) as OciIndex;
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const amd64 = index.manifests.find((m) => m.platform.os === 'linux' && m.platform.architecture === 'amd64');
    expect(amd64?.annotations).toMatchObject({
      'org.opencontainers.image.version': '24',
      'org.opencontainers.image.base.name': 'buildpack-deps:bookworm',
      'org.opencontainers.image.source': expect.stringMatching(/^https:\/\/github\.com\/nodejs\/docker-node\.git#[0-9a-f]{40}:24\/bookworm$/),
    });
    // The tag it is named by says the same.
    expect(DEFAULT_BUILD_IMAGE.image).toBe('public.ecr.aws/docker/library/node:24-bookworm');
  });

  test('the sample uses it, from <workload>-dynconf/build-image in the pipeline account and region', () => {
    expect(model.workload.pipeline.buildImage).toBeUndefined();
    expect(buildImageOf(model)).toEqual({ ...DEFAULT_BUILD_IMAGE, repository: 'g360-dynconf/build-image' });
    expect(buildImageUri(model)).toBe(`111111111111.dkr.ecr.us-east-1.amazonaws.com/g360-dynconf/build-image@${DEFAULT_BUILD_IMAGE.digest}`);
  });
});

describe('pipeline.buildImage', () => {
  test('pins another image and repository', () => {
    const m = withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, buildImage: { ...pinned, repository: 'ci/node' } } }));
    expect(buildImageUri(m)).toBe(`111111111111.dkr.ecr.us-east-1.amazonaws.com/ci/node@${pinned.digest}`);
  });

  test('a workload name ECR would refuse as a repository name is folded in the default', () => {
    const m = withWorkload(model, (w) => ({ ...w, workload: 'team--a-' }));
    expect(buildImageOf(m).repository).toBe('team-a-dynconf/build-image');
  });

  test('a digest or repository the schema would refuse is an error naming the field and the fix', () => {
    const badDigest = withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, buildImage: { ...pinned, digest: 'sha256:abc' } } }));
    expect(() => buildImageOf(badDigest)).toThrow(/pipeline\.buildImage\.digest: 'sha256:abc' is not a sha256 digest; pin the image with "digest": "sha256:<64 hex>"/);
    const badRepository = withWorkload(model, (w) => ({ ...w, pipeline: { ...w.pipeline, buildImage: { ...pinned, repository: 'Node' } } }));
    expect(() => buildImageOf(badRepository)).toThrow(/pipeline\.buildImage\.repository: 'Node' is not an ECR repository name/);
  });

  test('validates with a tag and a digest (the schema rejects one without a digest: see the schema-build-image-* fixtures)', () => {
    const dir = tempDir('dynconf-build-image-');
    try {
      fs.cpSync(MINIMAL, dir, { recursive: true });
      const file = path.join(dir, 'config/workload.json');
      const workload = JSON.parse(fs.readFileSync(file, 'utf8')) as { pipeline: Record<string, unknown> };
      workload.pipeline.buildImage = { ...pinned, repository: 'mini-dynconf/build-image' };
      fs.writeFileSync(file, JSON.stringify(workload, null, 2));
      const result = loadWorkspaceFromDisk(dir);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.model?.workload.pipeline.buildImage).toEqual({ ...pinned, repository: 'mini-dynconf/build-image' });
    } finally {
      rmrf(dir);
    }
  });
});

describe('the setup commands', () => {
  const commands = buildImageSetupCommands(model);
  const target = `111111111111.dkr.ecr.us-east-1.amazonaws.com/g360-dynconf/build-image:24-bookworm-3d27e5c11e57`;

  test('create an immutable, scanned repository and copy the pinned digest (not the tag) into it', () => {
    expect(buildImageCopyTag(buildImageOf(model))).toBe('24-bookworm-3d27e5c11e57');
    expect(commands).toEqual([
      'aws ecr create-repository --region us-east-1 --repository-name g360-dynconf/build-image --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true',
      'aws ecr get-login-password --region us-east-1 | crane auth login 111111111111.dkr.ecr.us-east-1.amazonaws.com -u AWS --password-stdin',
      `crane copy public.ecr.aws/docker/library/node@${DEFAULT_BUILD_IMAGE.digest} ${target}`,
      `crane digest ${target}`,
    ]);
  });

  test("are the README's, for the sample", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const command of commands) expect(readme).toContain(command);
  });
});
