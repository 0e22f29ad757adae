// The start/stop scripts' own contract, without starting anything.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from './control-plane.js';

const run = promisify(execFile);
const down = join(repoRoot, 'scripts/k8s-down.sh');

test('k8s-down.sh without a state directory exits non-zero with its usage', async () => {
  await assert.rejects(run('bash', [down]), (error: { code?: number; stderr?: string }) => {
    assert.notEqual(error.code, 0);
    assert.match(error.stderr ?? '', /usage: scripts\/k8s-down\.sh STATE_DIR/);
    return true;
  });
});

test('k8s-down.sh stops the recorded processes and removes the state directory', async () => {
  const state = mkdtempSync(join(tmpdir(), 'k8s-down-test-'));
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => sleeper.once('exit', resolve));
  writeFileSync(join(state, 'pids'), `sleeper ${sleeper.pid}\n`);
  await run('bash', [down, state]);
  assert.equal(await exited, null, 'the process was ended by a signal');
  assert.equal(existsSync(state), false);
  // A second run (the watchdog racing the test's own stop) is harmless.
  await run('bash', [down, state]);
});
