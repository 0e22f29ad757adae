import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EXIT_CODES } from '../src/exit-codes.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteFile,
  git,
  runCli,
} from './helpers/git-fixture.js';

const PROCESSES = 6;

let fixture: Fixture;
before(() => {
  fixture = createFixture();
});
after(() => fixture.cleanup());

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

test(`${PROCESSES} concurrent release processes of one linear history end on the newest commit, losing nothing`, async (t) => {
  const commits = addCommits(fixture, PROCESSES);
  // Each pipeline has its own checkout, as on separate runners.
  const checkouts = commits.map((_, i) => clonePipelineCheckout(fixture, `ci-${i}`));
  const order = shuffle(commits.map((_, i) => i));
  const runs = await Promise.all(
    order.map((i) =>
      runCli(['release', '--env', 'prod', '--commit', commits[i]!, '--max-attempts', '30', '--json'], {
        cwd: checkouts[i]!,
      }),
    ),
  );

  const results = runs.map((run) => {
    assert.ok(
      run.code === EXIT_CODES.ok || run.code === EXIT_CODES.skipped,
      `exit ${run.code}: ${run.stderr}${run.stdout}`,
    );
    return JSON.parse(run.stdout) as {
      status: string;
      releaseCommit?: string;
      commit: string;
      attempts: number;
    };
  });
  for (const result of results) assert.ok(['released', 'skipped'].includes(result.status), result.status);
  for (const [index, run] of runs.entries()) {
    assert.equal(run.code === EXIT_CODES.skipped, results[index]!.status === 'skipped', 'skipped ⇔ exit 10');
  }

  t.diagnostic(
    `index:status/attempts in start order: ${results.map((r, k) => `${order[k]}:${r.status}/${r.attempts}`).join(' ')}`,
  );
  const newest = commits.at(-1)!;
  assert.match(getRemoteFile(fixture, 'helm/values-prod.yaml'), new RegExp(`tag: "${newest}"`));
  assert.ok(
    results.some((r) => r.commit === newest && r.status === 'released'),
    'the newest was pushed',
  );

  // Nothing lost: every source commit and every pushed release commit is on the branch.
  const history = new Set(git(fixture.remote, 'rev-list', 'main').split('\n'));
  for (const commit of commits) assert.ok(history.has(commit), `source commit ${commit} on main`);
  for (const result of results.filter((r) => r.status === 'released')) {
    assert.ok(history.has(result.releaseCommit!), `release commit ${result.releaseCommit} on main`);
  }
  // The branch is linear: no merges, no force-push rewrote it.
  assert.equal(git(fixture.remote, 'rev-list', '--merges', 'main'), '');
});
