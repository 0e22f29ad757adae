/**
 * `deployctl dora` on real git: a history of releases and a rollback written by
 * deployctl itself at pinned times (GIT_AUTHOR_DATE/GIT_COMMITTER_DATE), read
 * back through the real CLI; the metrics' edge cases as pure functions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { release } from '../src/commands/release.js';
import { rollback } from '../src/commands/rollback.js';
import {
  type DeploymentRecord,
  getOutcomes,
  getPeriodName,
  getPeriodStart,
  quantile,
  summarize,
} from '../src/dora/metrics.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  runCli,
} from './helpers/git-fixture.js';

const REPOSITORY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service';

/** Runs `fn` with git's clock pinned to `at` (author and committer time of every commit it makes). */
async function at<T>(time: string, fn: () => T | Promise<T>): Promise<T> {
  process.env.GIT_AUTHOR_DATE = time;
  process.env.GIT_COMMITTER_DATE = time;
  try {
    return await fn();
  } finally {
    delete process.env.GIT_AUTHOR_DATE;
    delete process.env.GIT_COMMITTER_DATE;
  }
}

interface Row {
  period: string;
  deployments: number;
  rollbacks: number;
  failed: number;
  leadTimeMedianS?: number;
  leadTimeP90S?: number;
  changeFailureRate?: number;
  timeToRestoreMedianS?: number;
  unrestored: number;
}

describe('deployctl dora on a real release history', () => {
  let fixture: Fixture;
  let checkout: string;
  const commits: string[] = [];

  before(async () => {
    fixture = createFixture();
    checkout = clonePipelineCheckout(fixture, 'ci');
    const ship = async (committed: string, released: string) => {
      const [sha] = await at(committed, () => addCommits(fixture, 1));
      commits.push(sha!);
      await at(released, () =>
        release({ cwd: checkout, env: 'prod', commit: sha!, imageRepository: REPOSITORY }),
      );
    };
    // ISO week 45: two releases, lead times 1 h and 30 min.
    await ship('2026-11-02T09:00:00Z', '2026-11-02T10:00:00Z');
    await ship('2026-11-03T09:00:00Z', '2026-11-03T09:30:00Z');
    // Week 46: nothing. Week 47: a release rolled back after 20 min, then a good one.
    await ship('2026-11-16T08:00:00Z', '2026-11-16T12:00:00Z');
    await at('2026-11-16T12:20:00Z', () => rollback({ cwd: checkout, env: 'prod', skipImageCheck: true }));
    await ship('2026-11-17T10:00:00Z', '2026-11-18T10:00:00Z');
  });
  after(() => fixture.cleanup());

  test('dora --json: frequency, lead time, change failure rate and time to restore per week, empty weeks included', async () => {
    const run = await runCli(
      [
        'dora',
        '--env',
        'prod',
        '--since',
        '2026-11-02',
        '--until',
        '2026-11-22',
        '--json',
        '--cwd',
        checkout,
      ],
      {},
    );
    assert.equal(run.code, 0, run.stderr);
    const { reports } = JSON.parse(run.stdout) as {
      reports: {
        env: string;
        branch: string;
        since: string;
        until: string;
        total: Row & { deploymentsPerDay: number };
        periods: Row[];
        deployments: {
          commit: string;
          failed: boolean;
          restoreS?: number;
          leadTimeS?: number;
          rollback: boolean;
        }[];
      }[];
    };
    const [prod] = reports;
    assert.ok(prod);
    assert.equal(prod.branch, 'main');
    assert.equal(prod.since, '2026-11-02T00:00:00.000Z');
    assert.equal(prod.until, '2026-11-23T00:00:00.000Z', 'a date-only --until includes that day');
    assert.deepEqual(
      prod.deployments.map((d) => [d.commit, d.rollback, d.leadTimeS, d.failed, d.restoreS]),
      [
        [commits[0], false, 3600, false, undefined],
        [commits[1], false, 1800, false, undefined],
        [commits[2], false, 4 * 3600, true, 20 * 60],
        [commits[1], true, undefined, false, undefined],
        [commits[3], false, 24 * 3600, false, undefined],
      ],
    );
    const { total } = prod;
    assert.equal(total.deployments, 4);
    assert.equal(total.rollbacks, 1);
    assert.equal(total.failed, 1);
    assert.equal(total.changeFailureRate, 0.25);
    assert.equal(total.leadTimeMedianS, 2.5 * 3600);
    assert.equal(total.leadTimeP90S, 18 * 3600);
    assert.equal(total.timeToRestoreMedianS, 20 * 60);
    assert.ok(Math.abs(total.deploymentsPerDay - 4 / 21) < 1e-9);
    assert.deepEqual(
      prod.periods.map((p) => [p.period, p.deployments, p.rollbacks, p.failed, p.changeFailureRate]),
      [
        ['2026-W45', 2, 0, 0, 0],
        ['2026-W46', 0, 0, 0, undefined],
        ['2026-W47', 2, 1, 1, 0.5],
      ],
    );
  });

  test('dora (Markdown, by month): one table per env, an env without releases reports zeros', async () => {
    const run = await runCli(
      [
        'dora',
        '--env',
        'prod',
        '--env',
        'dev',
        '--since',
        '2026-10-01',
        '--until',
        '2026-11-30',
        '--period',
        'month',
        '--cwd',
        checkout,
      ],
      {},
    );
    assert.equal(run.code, 0, run.stderr);
    console.log(run.stdout);
    assert.match(run.stdout, /## Delivery metrics \(DORA\) of prod, 2026-10-01 → 2026-12-01, by month/);
    assert.match(
      run.stdout,
      /\| \*\*all\*\* \| 4 \| 2\/month \| 2h 30m 0s \/ 18h 0m 0s \| 25% \(1 of 4\) \| 20m 0s \| 1 \|/,
    );
    assert.match(run.stdout, /\| 2026-10 \| 0 \| 0 \| — \| — \| — \| 0 \|/);
    assert.match(run.stdout, /\| 2026-11 \| 4 \|/);
    assert.match(
      run.stdout,
      /of dev, .*\n\nFrom the release commits on `develop`: 0 releases, 0 rollbacks\./,
    );
  });

  test('dora --html: a self-contained page with one section per env', async () => {
    const run = await runCli(
      ['dora', '--env', 'prod', '--since', '2026-11-01', '--html', '--cwd', checkout],
      {},
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^<!doctype html>/);
    assert.match(run.stdout, /<section class="env" data-env="prod">/);
    assert.doesNotMatch(run.stdout, /<(script|link)[\s>]/);
  });

  test('dora rejects bad input with exit 2 and a message, never a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--env', 'staging'], /unknown environment `staging`; known: dev, prod/],
      [['--env', 'prod', '--since', 'last tuesday'], /--since `last tuesday` is not a date; pass YYYY-MM-DD/],
      [['--env', 'prod', '--until', '2026-13-45'], /--until `2026-13-45` is not a date/],
      [
        ['--env', 'prod', '--since', '2026-11-10', '--until', '2026-11-01'],
        /--since .* is not before --until/,
      ],
      [['--env', 'prod', '--period', 'day'], /--period `day` must be one of: week, month/],
      [['--env', 'prod', '--json', '--html'], /--html and --json exclude each other/],
      [
        ['--env', 'prod', '--env', 'dev', '--branch', 'main'],
        /--branch overrides the branch of one environment/,
      ],
      [[], /required option '--env <env>' not specified/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['dora', ...args, '--cwd', checkout], {});
      assert.equal(run.code, EXIT_CODES.input, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('DORA metrics (pure)', () => {
  const record = (
    over: Partial<DeploymentRecord> & { deployedAt: string; commit: string },
  ): DeploymentRecord => ({
    releaseCommit: `r-${over.deployedAt}`,
    rollback: false,
    rollbackFrom: undefined,
    commitAt: undefined,
    ...over,
  });

  test('a failed release is restored by the next rollback or good release; two bad ones in a row', () => {
    const outcomes = getOutcomes([
      record({ commit: 'a', deployedAt: '2026-11-02T10:00:00Z' }),
      record({ commit: 'b', deployedAt: '2026-11-02T11:00:00Z' }),
      record({ commit: 'c', deployedAt: '2026-11-02T11:10:00Z' }),
      // Rolls back from c: c failed. b is fine (nothing rolled back from it).
      record({ commit: 'b', deployedAt: '2026-11-02T11:40:00Z', rollback: true, rollbackFrom: 'c' }),
      record({ commit: 'd', deployedAt: '2026-11-03T09:00:00Z' }),
      // Not rolled back yet: failed? No: only a rollback says so.
      record({ commit: 'e', deployedAt: '2026-11-03T10:00:00Z' }),
      record({ commit: 'd', deployedAt: '2026-11-03T10:05:00Z', rollback: true, rollbackFrom: 'e' }),
      record({ commit: 'f', deployedAt: '2026-11-04T10:00:00Z' }),
      record({ commit: 'f2', deployedAt: '2026-11-04T10:30:00Z' }),
      record({ commit: 'f', deployedAt: '2026-11-04T10:45:00Z', rollback: true, rollbackFrom: 'f2' }),
    ]);
    assert.deepEqual(
      outcomes.filter((o) => o.failed).map((o) => [o.commit, o.restoreS]),
      [
        ['c', 30 * 60],
        ['e', 5 * 60],
        ['f2', 15 * 60],
      ],
    );
  });

  test('a failed release with nothing after it is not restored yet', () => {
    const outcomes = getOutcomes([
      record({ commit: 'a', deployedAt: '2026-11-02T10:00:00Z' }),
      record({ commit: 'b', deployedAt: '2026-11-02T11:00:00Z' }),
      record({ commit: 'a', deployedAt: '2026-11-02T11:05:00Z', rollback: true, rollbackFrom: 'b' }),
    ]);
    assert.equal(outcomes[1]?.restoreS, 5 * 60);
    const stuck = getOutcomes([
      record({ commit: 'a', deployedAt: '2026-11-02T10:00:00Z', rollback: true, rollbackFrom: 'zzz' }),
    ]);
    assert.equal(stuck[0]?.failed, false, 'a rollback from a commit never released here fails nothing');
  });

  test('deployment frequency over a window shorter than a day counts the window as one day', () => {
    const two = getOutcomes([
      record({ commit: 'a', deployedAt: '2026-11-30T18:00:00Z' }),
      record({ commit: 'b', deployedAt: '2026-11-30T18:05:00Z' }),
    ]);
    // The rehearsal's history: two releases eight minutes apart are 2/day, not 360/day.
    assert.equal(summarize(two, 8 / (24 * 60)).deploymentsPerDay, 2);
    assert.equal(summarize(two, 7).deploymentsPerDay, 2 / 7);
    assert.equal(summarize(two, 0).deploymentsPerDay, undefined);
  });

  test('ISO weeks and months, quantiles', () => {
    assert.equal(
      getPeriodStart(new Date('2026-11-29T23:00:00Z'), 'week').toISOString(),
      '2026-11-23T00:00:00.000Z',
    );
    assert.equal(getPeriodName(new Date('2026-11-23T00:00:00Z'), 'week'), '2026-W48');
    assert.equal(getPeriodName(new Date('2026-12-28T00:00:00Z'), 'week'), '2026-W53');
    assert.equal(getPeriodName(getPeriodStart(new Date('2027-01-01T00:00:00Z'), 'week'), 'week'), '2026-W53');
    assert.equal(getPeriodName(new Date('2026-11-01T00:00:00Z'), 'month'), '2026-11');
    assert.equal(quantile([], 0.5), undefined);
    assert.equal(quantile([5], 0.9), 5);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 3); // 2.5 rounded
  });
});
