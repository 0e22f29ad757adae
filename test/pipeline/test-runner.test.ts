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

test('--shard I/N: a clear error and exit 2 for a malformed share, a suite that is not sharded or no single suite', () => {
  const runner = (...args: string[]) =>
    spawnSync(NODE, ['--import', 'tsx', 'scripts/test/run.ts', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  const cases: Array<[string[], RegExp]> = [
    [['deployctl', '--shard', '3/2'], /--shard 3\/2: want I\/N with 1 <= I <= N/],
    [['deployctl', '--shard', '0/2'], /--shard 0\/2: want I\/N/],
    [['deployctl', '--shard', 'half'], /--shard half: want I\/N/],
    [['training', '--shard', '1/2'], /suite `training` is not sharded .*run it whole, without --shard/],
    [['--shard', '1/2'], /--shard takes exactly one suite/],
    [['deployctl', 'training', '--shard', '1/2'], /--shard takes exactly one suite/],
    [['deployctl', '--shards', '1/2'], /Unknown option '--shards'/],
  ];
  for (const [args, message] of cases) {
    const result = runner(...args);
    assert.equal(result.status, 2, `${args.join(' ')}: exit 2 before any suite runs`);
    assert.match(result.stderr, message, args.join(' '));
    assert.doesNotMatch(result.stdout, /=== suite/, `${args.join(' ')}: no suite started`);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
  }
});
