/**
 * Before the first release (issue 17): an env whose values file carries the
 * first-release marker (`tag: ""`, no digest) runs no pods (the chart's
 * `image.waitForRelease`), `status` says it waits for its first release, and a
 * first release that fails verification is rolled back to exactly that state,
 * since there is no earlier release to return to. Real git remotes; the
 * "service" is a port nobody listens on, so verify fails the way a release
 * whose pods never come up does.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../test/support/net.js';
import { BUNDLED_MODEL_DIR } from '../../test/support/paths.js';
import { release } from '../src/commands/release.js';
import { rollback } from '../src/commands/rollback.js';
import { getStatus } from '../src/commands/status.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { formatStatus } from '../src/format.js';
import { NO_RELEASE, parseReleaseMessage } from '../src/release-message.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteFile,
  getRemoteTip,
  git,
  runCli,
  VALUES_FIXTURE,
} from './helpers/git-fixture.js';

const MODEL_CARD = join(BUNDLED_MODEL_DIR, 'model.json');

/** The env files as shipped (helm/values-prod.yaml): the marker plus the chart's opt-in. */
const WAITING_VALUES = VALUES_FIXTURE.replace(
  '  pullPolicy: IfNotPresent\n',
  '  pullPolicy: IfNotPresent\n  waitForRelease: true\n',
);

describe('before the first release, and a failed first release', () => {
  let fixture: Fixture;
  let commits: string[];
  let checkout: string;
  let deadUrl: string;

  before(async () => {
    fixture = createFixture({ 'helm/values-prod.yaml': WAITING_VALUES });
    commits = addCommits(fixture, 3);
    checkout = clonePipelineCheckout(fixture, 'ci');
    deadUrl = `http://127.0.0.1:${await freePort()}`;
  });
  after(() => fixture.cleanup());

  const verifyFailing = (commit: string) =>
    runCli([
      'verify',
      '--env',
      'prod',
      '--commit',
      commit,
      '--url',
      deadUrl,
      '--timeout',
      '1',
      '--interval',
      '0.5',
      '--rollback-on-failure',
      '--model-card',
      MODEL_CARD,
      '--cwd',
      checkout,
      '--json',
    ]);

  test('status: waiting for the first release, 0 replicas, no releases', async () => {
    const { environments } = await getStatus({ env: 'prod', cwd: checkout });
    const [prod] = environments;
    assert.equal(prod?.waitingForFirstRelease, true);
    assert.equal(prod?.expectedReplicas, 0);
    assert.deepEqual(prod?.releases, []);
    assert.match(
      formatStatus({ environments, missing: [] }),
      /^prod: runs nothing: waiting for the first release \(no image\.tag, 0 replicas\)/,
    );
    const get = await runCli([
      'status',
      '--env',
      'prod',
      '--get',
      'waitingForFirstRelease',
      '--cwd',
      checkout,
    ]);
    assert.equal(get.stdout, 'true\n');
  });

  test('a first release that fails verify --rollback-on-failure goes back to the state before it, with a clear message', async () => {
    const first = await release({ cwd: checkout, env: 'prod', commit: commits[0]! });
    assert.equal(first.status, 'released');
    const released = await getStatus({ env: 'prod', cwd: checkout });
    assert.equal(released.environments[0]?.waitingForFirstRelease, false);
    assert.equal(released.environments[0]?.expectedReplicas, 2);

    const run = await verifyFailing(commits[0]!);
    // The job fails either way (verify's own code), but the env is left in a defined state.
    assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
    const body = JSON.parse(run.stdout) as {
      status: string;
      reason: string;
      rollback: { status: string; commit: string; releaseCommit: string };
    };
    assert.equal(body.status, 'rolled-back');
    assert.equal(body.rollback.commit, NO_RELEASE);
    assert.match(
      body.reason,
      new RegExp(`rolls prod back from ${commits[0]} to the state before its first release`),
    );
    assert.match(body.reason, /is the first release of prod/);
    assert.equal(body.rollback.releaseCommit, getRemoteTip(fixture));
    // Exactly the marker again: the file as it was before the first release.
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), WAITING_VALUES);
    const message = git(fixture.remote, 'log', '-1', '--format=%B', 'main');
    assert.match(
      message,
      new RegExp(`^release\\(prod\\): roll back to no release from ${commits[0]!.slice(0, 12)}`),
    );
    const parsed = parseReleaseMessage(message);
    assert.deepEqual(
      [parsed?.commit, parsed?.rollback, parsed?.rollbackFrom],
      [NO_RELEASE, true, commits[0]],
    );

    const { environments } = await getStatus({ env: 'prod', cwd: checkout });
    assert.equal(environments[0]?.waitingForFirstRelease, true);
    assert.equal(environments[0]?.expectedReplicas, 0);
    assert.match(formatStatus({ environments, missing: [] }), /rollback to no release from/);
  });

  test('after it: the rolled-back commit is not redeployed by a retry; a newer commit releases without --force', async () => {
    await assert.rejects(release({ cwd: checkout, env: 'prod', commit: commits[0]! }), (error: Error) => {
      assert.match(error.message, new RegExp(`refused: ${commits[0]} was rolled back from prod`));
      return true;
    });
    const next = await release({ cwd: checkout, env: 'prod', commit: commits[1]! });
    assert.equal(next.status, 'released');
    assert.match(next.reason, /^first release: prod had the first-release marker/);
    assert.deepEqual(next.warnings, []);
  });

  test('rollback without --to after that goes back to no release, never to the failed first one', async () => {
    const dry = await rollback({ cwd: checkout, env: 'prod', dryRun: true });
    assert.equal(dry.status, 'dry-run');
    assert.equal(dry.commit, NO_RELEASE);
    assert.match(dry.reason, /had been returned to the state before its first release/);
    assert.match(dry.plannedValues ?? '', /tag: ""/);
    const done = await rollback({ cwd: checkout, env: 'prod' });
    assert.equal(done.status, 'released');
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), WAITING_VALUES);
    // Already there: nothing more to roll back to is an error that says what to do.
    await assert.rejects(
      rollback({ cwd: checkout, env: 'prod' }),
      /runs image\.tag ``, not a commit; pass --to/,
    );
  });

  test('an env that ran a hand-set commit before its first release commit keeps the old rule: pass --to', async () => {
    const other = createFixture({ 'helm/values-prod.yaml': WAITING_VALUES });
    try {
      const [handSet, commit] = addCommits(other, 2);
      // Someone set the tag by hand (a migration from an older pipeline), no release commit.
      git(other.dev, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      const file = join(other.dev, 'helm/values-prod.yaml');
      writeFileSync(file, WAITING_VALUES.replace('tag: ""', `tag: "${handSet}"`));
      git(other.dev, 'commit', '--quiet', '-am', 'chore: pin prod by hand');
      git(other.dev, 'push', '--quiet', 'origin', 'main');
      const ci = clonePipelineCheckout(other, 'ci');
      await release({ cwd: ci, env: 'prod', commit: commit! });
      await assert.rejects(rollback({ cwd: ci, env: 'prod' }), /no earlier release of prod .*pass --to/);
    } finally {
      other.cleanup();
    }
  });
});
