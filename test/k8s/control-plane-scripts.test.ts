// The start/stop scripts' own contract: usage errors, stopping, and the
// watchdog that cleans up after a test process that died.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT as repoRoot } from '../support/paths.js';

const run = promisify(execFile);
const down = join(repoRoot, 'scripts/k8s-down.sh');
const up = join(repoRoot, 'scripts/k8s-up.sh');

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

test('k8s-up.sh stops the whole control plane once its owner process is gone', {
  timeout: 20 * 60_000,
}, async () => {
  const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
  const ownerExited = new Promise((resolve) => owner.once('exit', resolve));
  const { stdout } = await run('bash', [up], {
    env: { ...process.env, K8S_OWNER_PID: String(owner.pid) },
    timeout: 15 * 60_000,
  });
  const state = stdout.trim().split('\n').at(-1) ?? '';
  const pids = readFileSync(join(state, 'pids'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));
  assert.equal(pids.length, 6, 'etcd, API server, controller manager, scheduler, KWOK and the watchdog');
  owner.kill();
  await ownerExited;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // The watchdog polls every 2 s; the API server may take 15 s to stop.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (existsSync(state) || pids.some(alive))) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(pids.filter(alive), [], 'no component survives its owner');
  assert.equal(existsSync(state), false, 'the state directory is removed');
});
