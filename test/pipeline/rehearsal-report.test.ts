// The rehearsal's own command line and its critical-path arithmetic
// (`npm run pipeline:local -- --with-checks --cold`, issue 11 item 1); the
// rehearsal itself runs in rehearsal.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRehearsalArgs } from '../../scripts/rehearsal/options.js';
import { criticalPath } from '../../scripts/rehearsal/report.js';
import { REPO_ROOT } from '../support/paths.js';

test('the rehearsal takes --with-checks and --cold, and refuses anything else with its usage', () => {
  assert.deepEqual(parseRehearsalArgs([]), { withChecks: false, cold: false });
  assert.deepEqual(parseRehearsalArgs(['--with-checks', '--cold']), { withChecks: true, cold: true });
  assert.throws(() => parseRehearsalArgs(['--cold=yes']), /usage: npm run pipeline:local/);
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules/.bin/node'),
    ['--import', 'tsx', 'scripts/rehearsal/main.ts', '--colder'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  assert.equal(result.status, 2, 'a bad flag exits 2 before anything starts');
  assert.match(
    result.stderr,
    /Unknown option '--colder'\nusage: npm run pipeline:local -- \[--with-checks\] \[--cold\]/,
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
