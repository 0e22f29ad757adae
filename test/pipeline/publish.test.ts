/**
 * scripts/ci/publish-image.sh against a real OCI registry (Debian's
 * docker-registry, the ECR stand-in): what it pushes, and what it refuses.
 * The images are tiny single-file images made with buildah (the job does not
 * care what is inside, only which commit the archive and the tag say they are
 * from), so the suite needs no full image build.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';
import { type Registry, startRegistry } from '../support/registry.js';

const BUILDAH_ENV = join(REPO_ROOT, 'scripts', 'lib', 'buildah-env.sh');

/** Runs a bash snippet with the project's buildah settings. */
function sh(script: string, env: Record<string, string> = {}) {
  return spawnSync('bash', ['-c', `set -euo pipefail; . "${BUILDAH_ENV}"; ${script}`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

function ok(result: ReturnType<typeof sh>): string {
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  return result.stdout.trim();
}

describe('publish-image (scripts/ci/publish-image.sh) on a real registry', () => {
  let registry: Registry;
  let work: string;
  /** A copy of scripts/: the job writes its reports (publish.env, .image-digest) beside them. */
  let jobRoot: string;

  before(async () => {
    execFileSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-image-tools.sh')], { stdio: 'inherit' });
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'publish-test-'));
    jobRoot = join(work, 'checkout');
    cpSync(join(REPO_ROOT, 'scripts'), join(jobRoot, 'scripts'), { recursive: true });
    // deployctl (image-status, timeline --record) as `npm ci` installs it in a job.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(jobRoot, 'node_modules'));
  });
  after(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** An OCI archive of a one-file image whose revision label is `revision`. */
  function archiveFor(revision: string, content = revision): string {
    const archive = join(work, `${revision}-${randomBytes(3).toString('hex')}.oci.tar`);
    const file = join(work, `content-${randomBytes(3).toString('hex')}`);
    writeFileSync(file, content);
    ok(
      sh(
        `c=$(buildah from scratch); trap 'buildah rm "$c" >/dev/null' EXIT
         buildah copy --quiet "$c" "${file}" /content >/dev/null
         buildah config --label org.opencontainers.image.revision=${revision} "$c"
         id=$(buildah commit --quiet "$c")
         buildah push --quiet "$id" oci-archive:${archive}
         buildah rmi "$id" >/dev/null`,
      ),
    );
    return archive;
  }

  /** publish-image.sh as the job runs it, in the rehearsal's mode (no ECR login). */
  function publish(repository: string, commit: string, archive: string, host = registry.host) {
    return spawnSync('bash', [join(jobRoot, 'scripts', 'ci', 'publish-image.sh')], {
      cwd: jobRoot,
      encoding: 'utf8',
      timeout: 180_000,
      env: {
        ...process.env,
        CI_COMMIT_SHA: commit,
        IMAGE_REPOSITORY: `${host}/${repository}`,
        IMAGE_ARCHIVE: archive,
        LOCAL_REHEARSAL: 'true',
        GITLAB_CI: '',
        REGISTRY_TLS_VERIFY: 'false',
        DEPLOYCTL_EVENTS_FILE: join(work, `events-${commit}.jsonl`),
      },
    });
  }

  const events = (commit: string) =>
    readFileSync(join(work, `events-${commit}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event);

  function inspect(ref: string): { digest: string; revision: string } | undefined {
    const result = sh(
      `skopeo inspect --tls-verify=false --format '{{.Digest}} {{index .Labels "org.opencontainers.image.revision"}}' docker://${registry.host}/${ref}`,
    );
    if (result.status !== 0) return undefined;
    const [digest = '', revision = ''] = result.stdout.trim().split(' ');
    return { digest, revision };
  }

  const sha = () => randomBytes(20).toString('hex');

  test('pushes :<sha> and moves :latest to it', () => {
    const commit = sha();
    const result = publish('svc', commit, archiveFor(commit));
    assert.equal(result.status, 0, result.stderr);
    const pushed = inspect(`svc:${commit}`);
    assert.equal(pushed?.revision, commit);
    assert.equal(inspect('svc:latest')?.digest, pushed?.digest);
  });

  test('an existing :<sha> built from the same commit is reused: nothing pushed, :latest stays, the timeline says push-reused', () => {
    const commit = sha();
    assert.equal(publish('svc', commit, archiveFor(commit)).status, 0);
    const first = inspect(`svc:${commit}`);
    // Another commit moves :latest meanwhile; a re-run of the first must not move it back.
    const next = sha();
    assert.equal(publish('svc', next, archiveFor(next)).status, 0);
    const latest = inspect('svc:latest')?.digest;
    // A rebuild of the same commit (different bytes, same revision), or no archive at all.
    for (const archive of [archiveFor(commit, `${commit} rebuilt`), join(work, 'no-archive.tar')]) {
      const result = publish('svc', commit, archive);
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        result.stderr,
        /reused: .*svc:[0-9a-f]{40} \(sha256:[0-9a-f]{64}\) was built from this commit; pushing nothing/,
      );
      assert.equal(inspect(`svc:${commit}`)?.digest, first?.digest);
      assert.equal(inspect('svc:latest')?.digest, latest, ':latest did not move');
      assert.equal(
        readFileSync(join(jobRoot, 'publish.env'), 'utf8'),
        `IMAGE_TAG=${commit}\nIMAGE_DIGEST=${first?.digest}\n`,
      );
    }
    assert.deepEqual(events(commit), [
      'publish-started',
      'publish-started',
      'push-reused',
      'publish-started',
      'push-reused',
    ]);
  });

  test('an existing :<sha> with another revision stops the job and pushes nothing', () => {
    const commit = sha();
    const intruder = sha();
    // Someone pushed an image of another commit under this commit's tag first.
    ok(
      sh(
        `skopeo copy --quiet --dest-tls-verify=false oci-archive:${archiveFor(intruder)} docker://${registry.host}/svc:${commit}`,
      ),
    );
    const latestBefore = inspect('svc:latest')?.digest;
    const result = publish('svc', commit, archiveFor(commit));
    assert.equal(result.status, 8, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`built from revision ${intruder}, not ${commit}\\. Nothing was built or pushed`),
    );
    assert.match(result.stdout, /delete the tag/);
    assert.match(result.stderr, /nothing pushed: deployctl image-status says why and what to do \(exit 8\)/);
    assert.equal(inspect(`svc:${commit}`)?.revision, intruder, 'the tag was not overwritten');
    assert.equal(inspect('svc:latest')?.digest, latestBefore, ':latest did not move');
  });

  test('an archive built from another commit is refused before anything is pushed', () => {
    const commit = sha();
    const result = publish('svc', commit, archiveFor(sha()));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /was built from revision '[0-9a-f]{40}', not [0-9a-f]{40}; nothing pushed/);
    assert.equal(inspect(`svc:${commit}`), undefined);
  });

  test('an unreachable registry stops the job with a message naming the fix, nothing pushed', () => {
    const commit = sha();
    const result = publish('svc', commit, archiveFor(commit), '127.0.0.1:1');
    assert.equal(result.status, 3, result.stderr);
    assert.match(
      result.stderr,
      /cannot tell whether 127\.0\.0\.1:1\/svc:[0-9a-f]{40} exists: .*check that the registry 127\.0\.0\.1:1 is up and reachable/,
    );
  });

  test('what a develop pipeline publishes never changes what prod pulls', () => {
    // Per-environment repositories (.gitlab-ci.yml: IMAGE_REPOSITORY of dev is …-dev).
    const commit = sha();
    // dev publishes first: a commit that will land on main later.
    assert.equal(publish('svc-dev', commit, archiveFor(commit, 'dev build')).status, 0);
    const devDigest = inspect(`svc-dev:${commit}`)?.digest;
    // prod's own pipeline builds and publishes into prod's repository.
    assert.equal(publish('svc', commit, archiveFor(commit, 'prod build')).status, 0);
    const prodDigest = inspect(`svc:${commit}`)?.digest;
    assert.ok(prodDigest && devDigest && prodDigest !== devDigest, 'prod runs its own build');
    // Later dev publishes leave prod's tags alone, :latest included.
    const prodLatest = inspect('svc:latest')?.digest;
    const next = sha();
    assert.equal(publish('svc-dev', next, archiveFor(next)).status, 0);
    assert.equal(inspect(`svc:${commit}`)?.digest, prodDigest);
    assert.equal(inspect('svc:latest')?.digest, prodLatest);
    assert.equal(inspect(`svc:${next}`), undefined);
  });
});
