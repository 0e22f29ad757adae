import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { release } from '../src/commands/release.js';
import { wait } from '../src/commands/wait.js';
import { type DeployctlError, EXIT_CODES } from '../src/exit-codes.js';
import { type AppState, type ArgoDouble, startArgoCdDouble } from './helpers/argocd-double.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  runCli,
} from './helpers/git-fixture.js';

const APP = 'mlops-inference-service';
const RELEASE = '1'.repeat(40);
const OLD = '0'.repeat(40);
const TOKEN = 'argocd-test-token';
const FAST = { timeoutS: 5, intervalS: 0.05, token: TOKEN };

const synced: AppState = {
  sync: 'Synced',
  revision: RELEASE,
  health: 'Healthy',
  operation: { phase: 'Succeeded', message: 'successfully synced (all tasks run)', revision: RELEASE },
};

/*
 * `wait` against the Argo CD API TEST DOUBLE, only for what real Argo CD cannot
 * be made to show on demand here. Everything else runs against the real Argo CD
 * v3.6.1 in test/argocd/argocd.test.ts (Synced+Healthy after a sync, --commit
 * resolution, a token Argo CD rejects, the timeout, a failing sync's reason in
 * the timeout message). Double-only states:
 * - Degraded at the release, past the grace period or only for a moment: KWOK
 *   pods turn Ready at once (no container, so no crash loop, failing probe or
 *   progress deadline).
 * - a poll failing after the first (an Argo CD restart between two polls).
 * - the first poll (the one with `?refresh=normal`) timing out or answered
 *   502: real Argo CD answers it late only when the machine is loaded.
 * - operation phase Failed, retries exhausted: with the Applications' retry
 *   policy (5 retries, 10 s doubling) real Argo CD reports Failed only after
 *   ~5 minutes.
 * - a failed attempt that is not a permission error, waiting for its retry
 *   (phase Running, retryCount 1): real Argo CD holds it only ~10 s.
 * (A failed attempt refused by the AppProject, which wait fails at once, and
 * the argocd-* timeline events run against real Argo CD.)
 * - Argo CD reporting a newer revision that contains the release, at a
 *   chosen poll.
 * - the CLI's timeout exit code (6): against real Argo CD the first poll's
 *   `?refresh=normal` is answered only once the controller has refreshed the
 *   app, which took longer than deployctl's 15 s request timeout in each of
 *   3 runs on a loaded machine, so that test could not be bounded reliably.
 */
describe('wait against the Argo CD API test double', () => {
  let argo: ArgoDouble | undefined;
  afterEach(async () => {
    await argo?.close();
    argo = undefined;
  });

  test('Degraded at the revision past the grace period fails and explains it', async () => {
    argo = await startArgoCdDouble([
      {
        sync: 'Synced',
        revision: RELEASE,
        health: 'Degraded',
        deploymentHealth: {
          status: 'Degraded',
          message: 'Deployment "mlops-inference-service" exceeded its progress deadline',
        },
      },
    ]);
    await assert.rejects(
      wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url, degradedGraceS: 0.2 }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'unhealthy');
        assert.match(
          error.message,
          /is Degraded at 1{40}: Deployment\/mlops-inference-service \(default\): Degraded/,
        );
        assert.match(error.message, /exceeded its progress deadline/);
        return true;
      },
    );
    assert.ok(argo.requests.length > 1, 'it polled through the grace period before failing');
  });

  test('Degraded only for a moment after the sync (the previous rollout), then Healthy: passes', async () => {
    argo = await startArgoCdDouble([
      { sync: 'Synced', revision: RELEASE, health: 'Degraded' },
      { sync: 'Synced', revision: RELEASE, health: 'Progressing' },
      synced,
    ]);
    const result = await wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url, degradedGraceS: 30 });
    assert.equal(result.polls, 3);
  });

  test('a failed poll after the first one (Argo CD restarting) costs only that poll', async () => {
    argo = await startArgoCdDouble([{ sync: 'OutOfSync', revision: OLD, health: 'Healthy' }, synced], {
      badGateway: [2],
    });
    const result = await wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url });
    assert.equal(result.polls, 3);
  });

  test('a first poll that times out is retried without asking for the refresh again', async () => {
    argo = await startArgoCdDouble([{ sync: 'OutOfSync', revision: OLD, health: 'Healthy' }, synced], {
      slow: [1],
      slowMs: 1_500,
    });
    const result = await wait({
      ...FAST,
      app: APP,
      revision: RELEASE,
      server: argo.url,
      requestTimeoutMs: 300,
    });
    assert.equal(result.polls, 2);
    assert.match(argo.requests[0]!.url, /\?refresh=normal$/);
    assert.doesNotMatch(argo.requests[1]!.url, /refresh/, 'Argo CD got the refresh with the first request');
  });

  test('a first poll answered 502 is retried with the refresh', async () => {
    argo = await startArgoCdDouble([synced], { badGateway: [1] });
    const result = await wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url });
    assert.equal(result.polls, 2);
    assert.match(argo.requests[1]!.url, /\?refresh=normal$/);
  });

  test('no answer at all until the deadline is a timeout that names the last failure', async () => {
    argo = await startArgoCdDouble([synced], { badGateway: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    await assert.rejects(
      wait({ ...FAST, timeoutS: 0.3, app: APP, revision: RELEASE, server: argo.url }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'timeout');
        assert.match(
          error.message,
          /last seen: nothing \(no answer yet\); the last poll failed: Argo CD answered HTTP 502/,
        );
        return true;
      },
    );
  });

  test('a failed attempt waiting for its retry (not a permission error) keeps waiting', async () => {
    argo = await startArgoCdDouble([
      {
        sync: 'OutOfSync',
        revision: OLD,
        health: 'Healthy',
        operation: {
          phase: 'Running',
          message: 'one or more objects failed to apply. Retrying attempt #1 at 2026-11-26T12:00:40Z.',
          revision: RELEASE,
          retryCount: 1,
          retryLimit: 5,
        },
      },
      { sync: 'OutOfSync', revision: OLD, health: 'Healthy' },
      synced,
    ]);
    const result = await wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url });
    assert.equal(result.polls, 3);
  });

  test("retries exhausted: phase Failed after 5 retries fails with Argo CD's message", async () => {
    argo = await startArgoCdDouble([
      {
        sync: 'OutOfSync',
        revision: OLD,
        health: 'Healthy',
        operation: {
          phase: 'Failed',
          message: 'one or more objects failed to apply (retried 5 times).',
          revision: RELEASE,
          retryCount: 5,
          retryLimit: 5,
        },
      },
    ]);
    await assert.rejects(
      wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url }),
      (error: DeployctlError) =>
        error.kind === 'unhealthy' &&
        /Failed: one or more objects failed to apply \(retried 5 times\)/.test(error.message),
    );
  });

  test('timeout says what it last saw, with exit code 6 from the CLI', async () => {
    argo = await startArgoCdDouble([{ sync: 'OutOfSync', revision: OLD, health: 'Healthy' }]);
    const run = await runCli(
      [
        'wait',
        '--app',
        APP,
        '--revision',
        RELEASE,
        '--server',
        argo.url,
        '--timeout',
        '1',
        '--interval',
        '0.1',
      ],
      { env: { ARGOCD_AUTH_TOKEN: TOKEN } },
    );
    assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
    assert.match(run.stderr, /did not become Synced\+Healthy at 1{40} within 1s/);
    assert.match(
      run.stderr,
      /last seen: sync OutOfSync at 0{40}; health Healthy; out of sync: Deployment\/mlops/,
    );
    assert.ok(argo.requests.length > 1, 'it polled more than once');
  });

  test('a failed sync operation fails with its message and the failed resource', async () => {
    argo = await startArgoCdDouble([
      {
        sync: 'OutOfSync',
        revision: OLD,
        health: 'Healthy',
        operation: { phase: 'Failed', message: 'one or more objects failed to apply', revision: RELEASE },
      },
    ]);
    await assert.rejects(
      wait({ ...FAST, app: APP, revision: RELEASE, server: argo.url }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'unhealthy');
        assert.match(
          error.message,
          /sync of app `mlops-inference-service` at 1{40} Failed: one or more objects failed/,
        );
        assert.match(error.message, /SyncFailed \(Deployment\.apps "mlops-inference-service" is invalid/);
        return true;
      },
    );
  });
});

describe('wait resolves the release commit of a source commit', () => {
  let fixture: Fixture;
  let argo: ArgoDouble | undefined;
  before(() => {
    fixture = createFixture();
  });
  after(async () => {
    await argo?.close();
    fixture.cleanup();
  });

  test('a later commit on the branch that contains the release counts as reaching it', async () => {
    const [commit] = addCommits(fixture, 1);
    const checkout = clonePipelineCheckout(fixture, 'ci-later');
    const released = await release({ cwd: checkout, env: 'prod', commit: commit! });
    // A developer pushes on top of the release commit before Argo CD syncs.
    const [later] = addCommits(fixture, 1);
    await argo?.close();
    argo = await startArgoCdDouble([{ ...synced, revision: later!, operation: undefined }]);
    const result = await wait({
      ...FAST,
      app: APP,
      commit: commit!,
      env: 'prod',
      server: argo.url,
      cwd: checkout,
    });
    assert.equal(result.revision, released.releaseCommit);
    assert.equal(result.syncedRevision, later);
  });
});
