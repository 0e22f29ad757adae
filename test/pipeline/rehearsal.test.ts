/**
 * The local rehearsal (`npm run pipeline:local`, scripts/rehearsal/main.ts):
 * the real .gitlab-ci.yml run by gitlab-ci-local against the git server with
 * GitLab webhooks, a real registry, buildah, the real control plane and the
 * real Argo CD, for two pushes. Slow (it builds the image twice and starts
 * Kubernetes and Argo CD), so it runs once and the assertions read its log.
 * This suite already holds the image store's lock (package.json's test:pipeline).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

interface Run {
  code: number | null;
  log: string;
}

function runRehearsal(): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'rehearsal', 'main.ts')],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    const keep = (chunk: Buffer) => {
      log += chunk.toString();
      // Progress for whoever watches `npm test`; the stage table ends up there too.
      process.stderr.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log }));
  });
}

describe('local rehearsal of .gitlab-ci.yml (scripts/rehearsal/main.ts)', { timeout: 45 * 60_000 }, () => {
  let run: Run;
  before(async () => {
    run = await runRehearsal();
  });

  test('exits 0 with every check passed', () => {
    const failure = /FAILED: .*/.exec(run.log)?.[0];
    assert.equal(run.code, 0, failure ?? `exit ${run.code}; see the log above`);
    assert.match(run.log, /all checks passed/);
  });

  test('pipeline 1: registry tag, release commit in the remote, /version of the image', () => {
    assert.match(run.log, /ok: registry holds mlops-inference-service:[0-9a-f]{40}/);
    assert.match(run.log, /ok: remote main: `release\(prod\): deploy [0-9a-f]{12}` sets image\.tag/);
    assert.match(run.log, /ok: the image serves \/version with commit [0-9a-f]{40}/);
    assert.match(run.log, /ok: no pipeline for the release commit/);
  });

  test('Argo CD syncs each release: webhook → refresh → sync → the Deployment names the new image', () => {
    const webhooks =
      run.log.match(/ok: the git server's GitLab webhook told Argo CD about [0-9a-f]{12}/g) ?? [];
    assert.equal(webhooks.length, 2, 'one webhook delivery per release commit');
    const rolled = [
      ...run.log.matchAll(
        /ok: Argo CD rolled Deployment default\/mlops-inference-service to \S+:([0-9a-f]{40})/g,
      ),
    ];
    assert.equal(rolled.length, 2);
  });

  test("the timeline records Argo CD's own refresh, synced and healthy times, in order", () => {
    for (const pipeline of ['1', '2']) {
      assert.match(run.log, new RegExp(`ok: the timeline of pipeline ${pipeline} has Argo CD's refresh`));
      for (const step of ['argocd-refresh', 'argocd-synced', 'argocd-healthy', 'synced', 'verified']) {
        assert.match(
          run.log,
          new RegExp(`^timeline ${pipeline}: ${step}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'),
          `${pipeline} ${step}`,
        );
      }
    }
  });

  test('scenario 1: a code-only change moves the environment to the new commit', () => {
    const moved = /ok: the environment moved from ([0-9a-f]{40}) to ([0-9a-f]{40})/.exec(run.log);
    assert.ok(moved, 'the second pipeline released the code-only change');
    assert.notEqual(moved[1], moved[2]);
    const served = [...run.log.matchAll(/ok: the image serves \/version with commit ([0-9a-f]{40})/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(
      served,
      [moved[1], moved[2]],
      'the environment served the first, then the second commit',
    );
  });

  test('prints the duration of each stage of both pipelines', () => {
    for (const pipeline of ['1', '2']) {
      for (const job of ['build-image', 'publish-image', 'release-prod', 'verify-prod', 'timeline']) {
        assert.match(run.log, new RegExp(`^${pipeline}\\s+${job}\\s+\\d+\\.\\d$`, 'm'), `${pipeline} ${job}`);
      }
    }
  });
});
