// The rehearsal's own command line and its critical-path arithmetic
// (`npm run pipeline:local -- --with-checks --cold`, issue 11 item 1); the
// rehearsal itself runs in rehearsal.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRehearsalArgs } from '../../scripts/rehearsal/options.js';
import { criticalPath, criticalPathSeconds, formatRuns, median } from '../../scripts/rehearsal/report.js';
import { REPO_ROOT } from '../support/paths.js';

test('the rehearsal takes --with-checks, --cold and --change, and refuses anything else with its usage', () => {
  assert.deepEqual(parseRehearsalArgs([]), { withChecks: false, cold: false, changes: ['code'] });
  assert.deepEqual(parseRehearsalArgs(['--with-checks', '--cold']), {
    withChecks: true,
    cold: true,
    changes: ['code'],
  });
  assert.deepEqual(
    parseRehearsalArgs([
      '--change',
      'code',
      '--change',
      'lockfile',
      '--change',
      'dockerfile',
      '--change',
      'code',
    ]).changes,
    ['code', 'lockfile', 'dockerfile', 'code'],
    'the pushes in the order given, repeats kept',
  );
  assert.throws(() => parseRehearsalArgs(['--cold=yes']), /usage: npm run pipeline:local/);
  assert.throws(
    () => parseRehearsalArgs(['--change', 'readme']),
    /--change readme: not one of code, lockfile, dockerfile\nusage: npm run pipeline:local/,
  );
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules/.bin/node'),
    ['--import', 'tsx', 'scripts/rehearsal/main.ts', '--colder'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  assert.equal(result.status, 2, 'a bad flag exits 2 before anything starts');
  assert.match(
    result.stderr,
    /Unknown option '--colder'\nusage: npm run pipeline:local -- \[--with-checks\] \[--cold\] \[--change code\|lockfile\|dockerfile \.\.\.\]/,
  );
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('critical path: the slowest of the checks and the build, then publish, release and verify', () => {
  const t = (job: string, seconds: number) => ({ pipeline: '2', job, seconds });
  const report = criticalPath([
    t('lint', 10),
    t('test: [service]', 90),
    t('doctor', 5),
    t('build-image', 60),
    t('publish-image', 20),
    t('release-prod', 15),
    t('verify-prod', 40),
    t('timeline', 8),
  ]);
  assert.match(
    report,
    /checks and build side by side: 90\.0s \(slowest: test: \[service\] 90\.0s; build 60\.0s\)/,
  );
  assert.match(report, /push to live \(critical path, enough runners\): 165\.0s = 2\.8 min/);
  assert.match(report, /one job at a time\): 240\.0s/);
  // An image test of the built archive comes after the build, so it extends the build's branch.
  const withImageTest = criticalPath([
    t('lint', 10),
    t('build-image', 60),
    t('image-test', 50),
    t('publish-image', 20),
  ]);
  assert.match(withImageTest, /side by side: 110\.0s .*build \+ image test 110\.0s/);
});

test('a sharded suite: its slowest shard, not the sum, sets the pace', () => {
  const t = (job: string, seconds: number) => ({ pipeline: '3', job, seconds });
  const times = [
    t('test: [service]', 90),
    t('deployctl-tests: [1/2]', 120),
    t('deployctl-tests: [2/2]', 100),
    t('build-image', 30),
    t('image-test', 20),
    t('publish-image', 5),
    t('release-prod', 5),
    t('verify-prod', 20),
  ];
  assert.equal(criticalPathSeconds(times), 150);
  assert.match(criticalPath(times), /slowest: deployctl-tests: \[1\/2\] 120\.0s/);
});

test('the runs report: one line per measured pipeline, then the p50 of each kind of change', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const report = formatRuns([
    { pipeline: '2', change: 'code', seconds: 200 },
    { pipeline: '3', change: 'code', seconds: 260 },
    { pipeline: '4', change: 'code', seconds: 210 },
    { pipeline: '5', change: 'lockfile', seconds: 300 },
  ]);
  assert.match(report, /^5 +lockfile +300\.0$/m);
  assert.match(report, /p50 code: 210\.0s = 3\.5 min over 3 run\(s\)/);
  assert.match(report, /p50 lockfile: 300\.0s = 5\.0 min over 1 run\(s\)/);
});
