import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { release } from '../src/commands/release.js';
import { readEvents } from '../src/events.js';
import { type DeployctlError, EXIT_CODES } from '../src/exit-codes.js';
import { parseReleaseMessage } from '../src/release-message.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getPushOptions,
  getRemoteFile,
  getRemoteRefs,
  getRemoteTip,
  git,
  runCli,
  VALUES_FIXTURE,
} from './helpers/git-fixture.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function expectedValues(tag: string, digest = ''): string {
  return VALUES_FIXTURE.replace('tag: ""', `tag: "${tag}"`).replace('digest: ""', `digest: "${digest}"`);
}

describe('release against real git', () => {
  let fixture: Fixture;
  let commits: string[];
  before(() => {
    fixture = createFixture();
    commits = addCommits(fixture, 4);
  });
  after(() => fixture.cleanup());

  test('writes image.tag and digest, keeps comments and formatting, pushes one commit with trailers and the ci.skip push option', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-normal');
    const before = getRemoteTip(fixture);
    const eventsFile = join(fixture.root, 'events.jsonl');
    const result = await release({
      cwd: checkout,
      env: 'prod',
      commit: commits[0]!,
      digest: DIGEST,
      pipeline: 'https://gitlab.example.com/p/-/pipelines/42',
      eventsFile,
    });
    assert.equal(result.status, 'released');
    assert.equal(result.previousCommit, '');
    assert.match(result.reason, /^first release: prod had the first-release marker/);
    assert.deepEqual(result.warnings, []);
    const tip = getRemoteTip(fixture);
    assert.equal(tip, result.releaseCommit);
    assert.equal(git(fixture.remote, 'rev-parse', `${tip}^`), before, 'a fast-forward on top of the old tip');
    // Byte-exact apart from the two values: comments, spacing and the flow map survive.
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), expectedValues(commits[0]!, DIGEST));
    assert.equal(getRemoteFile(fixture, 'helm/values-dev.yaml'), VALUES_FIXTURE, 'other env untouched');
    const message = git(fixture.remote, 'log', '-1', '--format=%B', tip);
    assert.match(message.split('\n')[0]!, /^release\(prod\): deploy [0-9a-f]{12}$/);
    assert.doesNotMatch(message, /\[skip ci\]/, 'no marker: it would travel with the commit into a merge');
    assert.deepEqual(
      getPushOptions(fixture).at(-1),
      ['ci.skip'],
      'the push told GitLab to start no pipeline',
    );
    assert.deepEqual(parseReleaseMessage(message), {
      env: 'prod',
      commit: commits[0],
      image: `123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service:${commits[0]}@${DIGEST}`,
      pipeline: 'https://gitlab.example.com/p/-/pipelines/42',
      rollback: false,
      rollbackFrom: undefined,
    });
    assert.equal(git(checkout, 'status', '--porcelain'), '', 'the checkout is left as it was');
    const [event] = await readEvents(eventsFile);
    assert.equal(event?.event, 'release-committed');
    assert.equal(Date.parse(event!.at), Date.parse(git(fixture.remote, 'show', '-s', '--format=%cI', tip)));
  });

  test('releasing the same commit twice is a no-op', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-twice');
    const before = getRemoteTip(fixture);
    const result = await release({ cwd: checkout, env: 'prod', commit: commits[0]!, digest: DIGEST });
    assert.equal(result.status, 'unchanged');
    assert.equal(getRemoteTip(fixture), before);
  });

  test('a release without a digest clears the stale one', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-nodigest');
    const result = await release({ cwd: checkout, env: 'prod', commit: commits[1]! });
    assert.equal(result.status, 'released');
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), expectedValues(commits[1]!));
  });

  test('a rejected push (the branch moved) is fetched, re-applied on top and retried', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-retry');
    let moved = '';
    const result = await release({
      cwd: checkout,
      env: 'prod',
      commit: commits[2]!,
      beforePush: async (attempt) => {
        // Someone else pushes between our fetch and our push, once.
        if (attempt === 1) moved = addCommits(fixture, 1)[0]!;
      },
    });
    assert.equal(result.status, 'released');
    assert.equal(result.attempts, 2);
    assert.equal(
      git(fixture.remote, 'rev-parse', `${result.releaseCommit}^`),
      moved,
      'the other push is kept',
    );
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), expectedValues(commits[2]!));
  });

  test('dry run shows the change and writes nothing', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-dry');
    const refs = getRemoteRefs(fixture);
    const result = await release({ cwd: checkout, env: 'prod', commit: commits[3]!, dryRun: true });
    assert.equal(result.status, 'dry-run');
    assert.match(result.plannedMessage ?? '', /^release\(prod\): deploy [0-9a-f]{12}\n/);
    assert.equal(result.plannedValues, expectedValues(commits[3]!));
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('an older commit than the deployed one is skipped, not a failure', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-old');
    const refs = getRemoteRefs(fixture);
    const result = await release({ cwd: checkout, env: 'prod', commit: commits[0]! });
    assert.equal(result.status, 'skipped');
    assert.match(result.reason, /^skipped: a newer commit is already deployed/);
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('the CLI reports skipped with exit 10 and a dotenv report for the later jobs', async () => {
    const checkout = clonePipelineCheckout(fixture, 'ci-cli-old');
    const dotenv = join(fixture.root, 'release.env');
    const run = await runCli(['release', '--env', 'prod', '--commit', commits[1]!, '--dotenv', dotenv], {
      cwd: checkout,
    });
    assert.equal(run.code, EXIT_CODES.skipped, run.stderr);
    assert.match(run.stdout, /^skipped: a newer commit is already deployed: prod runs [0-9a-f]{40}/);
    assert.equal(
      readFileSync(dotenv, 'utf8'),
      `DEPLOYCTL_RELEASE_STATUS=skipped\nDEPLOYCTL_RELEASE_COMMIT=\nDEPLOYCTL_DEPLOYED_COMMIT=${commits[2]}\n`,
    );
  });

  test('a commit on a diverged branch is refused and nothing is written', async () => {
    // A branch forked before the deployed commit, with its own commit.
    git(fixture.dev, 'checkout', '--quiet', '-B', 'feature', commits[0]!);
    git(fixture.dev, 'commit', '--quiet', '--allow-empty', '-m', 'diverged work');
    const diverged = git(fixture.dev, 'rev-parse', 'HEAD');
    git(fixture.dev, 'push', '--quiet', 'origin', 'feature');
    const checkout = clonePipelineCheckout(fixture, 'ci-diverged', 'feature');
    const refs = getRemoteRefs(fixture);
    await assert.rejects(
      release({ cwd: checkout, env: 'prod', commit: diverged }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'refused');
        assert.match(error.message, new RegExp(`${diverged} does not descend from ${commits[2]}`));
        return true;
      },
    );
    assert.equal(getRemoteRefs(fixture), refs);
  });
});

// Issue 13, point 9: a tag that is not a commit SHA gives the out-of-order guard nothing to compare.
describe('release to a plain git server that refuses push options', () => {
  test('pushes without ci.skip and says so (GitLab always accepts it; the workflow rule is the second lock)', async () => {
    const plain = createFixture({}, { pushOptions: false });
    try {
      const [commit] = addCommits(plain, 1);
      const result = await release({ cwd: clonePipelineCheckout(plain, 'ci'), env: 'prod', commit: commit! });
      assert.equal(result.status, 'released');
      assert.equal(getRemoteTip(plain), result.releaseCommit);
      assert.deepEqual(result.warnings, [
        'remote `origin` does not accept push options; pushed without ci.skip',
      ]);
    } finally {
      plain.cleanup();
    }
  });
});

describe('release refuses to replace an image.tag that is not a commit SHA, unless --force', () => {
  let fixture: Fixture;
  let commit: string;
  let checkout: string;
  const UNCHECKED_TAGS = {
    latest: 'latest',
    hotfix: 'v2-hotfix',
    upper: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01',
    chart: '0.1.0',
  };

  /** A branch off main whose values-prod.yaml has `tag`, pushed; optionally after a release on it. */
  function pushBranchWithTag(branch: string, tag: string) {
    git(fixture.dev, 'fetch', '--quiet', 'origin');
    git(fixture.dev, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
    writeFileSync(
      join(fixture.dev, 'helm/values-prod.yaml'),
      VALUES_FIXTURE.replace('tag: ""', `tag: "${tag}"`),
    );
    git(fixture.dev, 'commit', '--quiet', '-am', `set image.tag to "${tag}" by hand`);
    git(fixture.dev, 'push', '--quiet', 'origin', branch);
  }

  before(async () => {
    fixture = createFixture();
    commit = addCommits(fixture, 1)[0]!;
    for (const [branch, tag] of Object.entries(UNCHECKED_TAGS)) {
      git(fixture.dev, 'push', '--quiet', 'origin', `main:${branch}`);
      pushBranchWithTag(branch, tag);
    }
    // `emptied`: released once, then someone cleared the tag back to the first-release marker.
    git(fixture.dev, 'push', '--quiet', 'origin', 'main:emptied');
    const first = clonePipelineCheckout(fixture, 'ci-emptied');
    await release({ cwd: first, env: 'prod', branch: 'emptied', commit });
    pushBranchWithTag('emptied', '');
    checkout = clonePipelineCheckout(fixture, 'ci');
  });
  after(() => fixture.cleanup());

  for (const [branch, tag] of Object.entries(UNCHECKED_TAGS)) {
    test(`image.tag "${tag}" is refused with exit 4, the value and --force in the message, nothing written`, async () => {
      const refs = getRemoteRefs(fixture);
      const run = await runCli(['release', '--env', 'prod', '--branch', branch, '--commit', commit], {
        cwd: checkout,
      });
      assert.equal(run.code, EXIT_CODES.refused, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `image\\.tag in helm/values-prod\\.yaml on \`${branch}\` is \`${tag.replace(/\./g, '\\.')}\`, which is not a full 40-character lowercase commit SHA.*rerun with --force`,
        ),
      );
      assert.equal(getRemoteRefs(fixture), refs);
    });
  }

  test('an image.tag emptied after an earlier release is refused: "" marks only the first release', async () => {
    const refs = getRemoteRefs(fixture);
    const run = await runCli(['release', '--env', 'prod', '--branch', 'emptied', '--commit', commit], {
      cwd: checkout,
    });
    assert.equal(run.code, EXIT_CODES.refused, run.stderr);
    assert.match(run.stderr, /is ``, empty although [0-9a-f]{40} released prod before.*--force/);
    assert.equal(getRemoteRefs(fixture), refs);
  });

  for (const branch of ['hotfix', 'emptied']) {
    test(`--force replaces it (${branch}) and says so on stderr and in the JSON`, async () => {
      const run = await runCli(
        ['release', '--env', 'prod', '--branch', branch, '--commit', commit, '--force', '--json'],
        { cwd: checkout },
      );
      assert.equal(run.code, EXIT_CODES.ok, run.stderr);
      const result = JSON.parse(run.stdout) as { status: string; reason: string; warnings: string[] };
      assert.equal(result.status, 'released');
      assert.match(result.reason, /^forced: /);
      assert.equal(result.warnings.length, 1);
      assert.match(
        result.warnings[0]!,
        /^--force: replaced image\.tag `(v2-hotfix)?` in helm\/values-prod\.yaml/,
      );
      assert.match(run.stderr, /deployctl: warning: --force: replaced image\.tag/);
      assert.match(getRemoteFile(fixture, 'helm/values-prod.yaml', branch), new RegExp(`tag: "${commit}"`));
    });
  }
});
