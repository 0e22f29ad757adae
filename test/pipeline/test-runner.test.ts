// The README's test command's own runner (scripts/test/run.ts): a suite
// started from inside a test run, as a CI job that gitlab-ci-local runs for
// test/pipeline is, still runs its tests; and a test suite that ran none
// fails instead of printing green.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

test('a suite run inside `node --test` (NODE_TEST_CONTEXT set) still runs its tests', {
  timeout: 10 * 60_000,
}, () => {
  // This very process is a `node --test` child, so NODE_TEST_CONTEXT is set and
  // inherited, exactly as it is for the jobs test/pipeline runs.
  assert.ok(process.env.NODE_TEST_CONTEXT, 'the test runs under node --test');
  const result = spawnSync(NODE, ['--import', 'tsx', 'scripts/test/run.ts', 'training'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(result.status, 0, result.stderr.slice(-3000));
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.stdout);
  assert.ok(summary, result.stdout.slice(-2000));
  assert.ok(Number(summary[1]) > 50, `the training suite ran its tests: ${summary[0]}`);
});
