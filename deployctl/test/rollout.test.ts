// `wait` follows an Argo Rollouts canary (issue 16) through Argo CD's API: the Application
// and, for each Rollout among its resources, the live manifest from the resource API.
// TEST DOUBLE: the Application comes from helpers/argocd-double.ts; the Rollout manifests
// are shaped like what the real controller (v1.10.2) writes, as test/rollouts observes it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { wait } from '../src/commands/wait.js';
import type { DeployctlError } from '../src/exit-codes.js';
import { formatRollout, type Rollout, summarizeRollout } from '../src/rollout.js';
import { type AppState, application } from './helpers/argocd-double.js';

const APP = 'mlops-inference-service';
const RELEASE = '1'.repeat(40);
const TOKEN = 'argocd-test-token';
const STEPS = [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }];

function rollout(stepIndex: number, extra: Rollout['status'] = {}): Rollout {
  return {
    metadata: { name: APP, namespace: 'default', generation: 2 },
    spec: { strategy: { canary: { steps: STEPS } } },
    status: {
      phase: stepIndex >= STEPS.length ? 'Healthy' : 'Progressing',
      observedGeneration: '2',
      currentStepIndex: stepIndex,
      currentPodHash: '6d4f9c7b8',
      stableRS: stepIndex >= STEPS.length ? '6d4f9c7b8' : '58c7d6f5b4',
      ...extra,
    },
  };
}

const ABORTED = rollout(1, {
  phase: 'Degraded',
  abort: true,
  message:
    'RolloutAborted: Rollout aborted update to revision 2: Metric "label-share-difference" assessed Failed due to failed (1) > failureLimit (0)',
  canary: { currentStepAnalysisRunStatus: { name: `${APP}-6d4f9c7b8-2-1`, status: 'Failed' } },
});

/** Application + Rollout, one pair per poll, then the last pair again. */
async function startDouble(states: [AppState, Rollout][]) {
  const requests: string[] = [];
  let polls = 0;
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    if ((req.url ?? '').startsWith(`/api/v1/applications/${APP}/resource?`)) {
      // The Rollout of the poll whose Application was just served.
      const [, live] = states[Math.min(Math.max(polls - 1, 0), states.length - 1)]!;
      res.end(JSON.stringify({ manifest: JSON.stringify(live) }));
      return;
    }
    polls++;
    const [appState] = states[Math.min(polls - 1, states.length - 1)]!;
    const app = application(appState);
    // The chart's canary: a Rollout where the Deployment was.
    app.status.resources[0] = {
      group: 'argoproj.io',
      version: 'v1alpha1',
      kind: 'Rollout',
      namespace: 'default',
      name: APP,
      status: 'Synced',
      health: { status: appState.health },
    };
    res.end(JSON.stringify(app));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const progressing = (): AppState => ({ sync: 'Synced', revision: RELEASE, health: 'Progressing' });
const healthy: AppState = { sync: 'Synced', revision: RELEASE, health: 'Healthy' };
const degraded: AppState = { sync: 'Synced', revision: RELEASE, health: 'Degraded' };

describe('wait with a canary Rollout', () => {
  let close: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await close?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('waits through every step and records each in the timeline', async () => {
    const argo = await startDouble([
      [progressing(), rollout(0)],
      [progressing(), rollout(1)],
      [progressing(), rollout(1)],
      [progressing(), rollout(2)],
      [progressing(), rollout(3)],
      [healthy, rollout(4)],
    ]);
    close = argo.close;
    dir = mkdtempSync(join(tmpdir(), 'deployctl-rollout-'));
    const eventsFile = join(dir, 'events.jsonl');
    const result = await wait({
      app: APP,
      revision: RELEASE,
      server: argo.url,
      token: TOKEN,
      timeoutS: 5,
      intervalS: 0.05,
      eventsFile,
    });
    assert.equal(result.status, 'synced');
    const resource = argo.requests.find((url) => url.includes('/resource?'))!;
    assert.match(resource, /resourceName=mlops-inference-service/);
    assert.match(resource, /kind=Rollout/);
    assert.match(resource, /group=argoproj\.io/);
    assert.match(resource, /version=v1alpha1/);
    const events = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      events.map((e) => [e.event, e.data.step ?? '', e.data.action ?? '', e.data.weight ?? '']),
      [
        ['canary-step', '1/4', 'setWeight 10', '10'],
        ['canary-step', '2/4', 'analysis', '10'],
        ['canary-step', '3/4', 'setWeight 50', '50'],
        ['canary-step', '4/4', 'analysis', '50'],
        ['canary-promoted', '', '', ''],
        ['synced', '', '', ''],
      ],
    );
  });

  test('an aborted canary fails at once with exit kind unhealthy, naming the failed metric', async () => {
    const argo = await startDouble([
      [progressing(), rollout(0)],
      [degraded, ABORTED],
    ]);
    close = argo.close;
    dir = mkdtempSync(join(tmpdir(), 'deployctl-rollout-'));
    const eventsFile = join(dir, 'events.jsonl');
    const started = Date.now();
    await assert.rejects(
      wait({
        app: APP,
        revision: RELEASE,
        server: argo.url,
        token: TOKEN,
        timeoutS: 5,
        intervalS: 0.05,
        // Longer than the test: the abort is reported without waiting out the grace.
        degradedGraceS: 60,
        eventsFile,
      }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'unhealthy');
        assert.match(error.message, /canary of app `mlops-inference-service` at 1{40} was aborted/);
        assert.match(error.message, /Metric "label-share-difference" assessed Failed/);
        assert.match(error.message, /the stable pods serve the previous release again/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 3000);
    const events = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      events.map((e) => e.event),
      ['canary-step', 'canary-aborted'],
    );
    assert.equal(events[1].data.weight, '0');
  });
});

describe('summarizeRollout', () => {
  test('reads the step, the weight reached and the analysis run', () => {
    const summary = summarizeRollout(
      rollout(3, { canary: { currentStepAnalysisRunStatus: { name: 'run-1', status: 'Running' } } }),
    );
    assert.equal(summary.step, 'analysis');
    assert.equal(summary.weight, 50);
    assert.equal(summary.aborted, false);
    assert.equal(summary.observed, true);
    assert.equal(
      formatRollout(summary),
      'Rollout mlops-inference-service Progressing, step 4/4 (analysis), canary weight 50%, analysis run-1 Running',
    );
  });

  test('a status of an older generation is not taken for the new release', () => {
    const stale = rollout(0, { observedGeneration: '1', abort: true });
    assert.equal(summarizeRollout(stale).observed, false);
  });

  test('done: 100%, all steps', () => {
    assert.equal(
      formatRollout(summarizeRollout(rollout(4))),
      'Rollout mlops-inference-service Healthy, all 4 steps done, canary weight 100%',
    );
  });
});
