import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type AppEvent, getSyncMilestones, toAppEvents } from '../src/argocd-events.js';
import { wait } from '../src/commands/wait.js';
import { startArgoCdDouble } from './helpers/argocd-double.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

/** An Application's events around two releases, with the controller's messages (argo-cd v3.6.1). */
const EVENTS = [
  {
    reason: 'ResourceUpdated',
    message: 'Updated sync status: Synced -> OutOfSync',
    lastTimestamp: '2026-11-26T12:00:01Z',
  },
  {
    reason: 'OperationStarted',
    message: `Initiated automated sync to '${OLD}'`,
    lastTimestamp: '2026-11-26T12:00:02Z',
  },
  {
    reason: 'OperationCompleted',
    message: `Sync operation to ${OLD} succeeded`,
    lastTimestamp: '2026-11-26T12:00:03Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated health status: Healthy -> Progressing',
    lastTimestamp: '2026-11-26T12:00:03Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated health status: Progressing -> Healthy',
    lastTimestamp: '2026-11-26T12:00:15Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated sync status: Synced -> OutOfSync',
    lastTimestamp: '2026-11-26T12:05:01Z',
  },
  {
    reason: 'OperationStarted',
    message: `Initiated automated sync to '${NEW}'`,
    lastTimestamp: '2026-11-26T12:05:02Z',
  },
  {
    reason: 'OperationCompleted',
    message: `Sync operation to ${NEW} succeeded`,
    lastTimestamp: '2026-11-26T12:05:03Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated sync status: OutOfSync -> Synced',
    lastTimestamp: '2026-11-26T12:05:03Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated health status: Healthy -> Progressing',
    lastTimestamp: '2026-11-26T12:05:04Z',
  },
  {
    reason: 'ResourceUpdated',
    message: 'Updated health status: Progressing -> Healthy',
    lastTimestamp: '2026-11-26T12:05:19Z',
  },
];

const dir = mkdtempSync(join(tmpdir(), 'deployctl-argocd-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the sync of a revision: noticed, synced and Healthy from Argo CD's events of that sync only", () => {
  // Served newest first: toAppEvents sorts.
  const events: AppEvent[] = toAppEvents([...EVENTS].reverse());
  assert.deepEqual(getSyncMilestones(events, NEW), {
    refresh: '2026-11-26T12:05:01Z',
    synced: '2026-11-26T12:05:03Z',
    healthy: '2026-11-26T12:05:19Z',
  });
  assert.deepEqual(getSyncMilestones(events, OLD), {
    refresh: '2026-11-26T12:00:01Z',
    synced: '2026-11-26T12:00:03Z',
    healthy: '2026-11-26T12:00:15Z',
  });
});

test('OutOfSync written in the same second as the sync, after it, still counts; without one, the initiated sync', () => {
  const sameSecond = toAppEvents([
    ...EVENTS.slice(0, 5),
    {
      reason: 'OperationStarted',
      message: `Initiated automated sync to '${NEW}'`,
      lastTimestamp: '2026-11-26T12:05:02Z',
    },
    {
      reason: 'OperationCompleted',
      message: `Sync operation to ${NEW} succeeded`,
      lastTimestamp: '2026-11-26T12:05:03Z',
    },
    {
      reason: 'ResourceUpdated',
      message: 'Updated sync status: Synced -> OutOfSync',
      lastTimestamp: '2026-11-26T12:05:03Z',
    },
  ]);
  assert.equal(getSyncMilestones(sameSecond, NEW).refresh, '2026-11-26T12:05:03Z');
  const neverOutOfSync = toAppEvents([...EVENTS.slice(0, 5), EVENTS[6]!, EVENTS[7]!]);
  assert.equal(getSyncMilestones(neverOutOfSync, NEW).refresh, '2026-11-26T12:05:02Z');
});

test('a later selfHeal sync to the same revision does not move the milestones', () => {
  const resynced = toAppEvents([
    ...EVENTS,
    {
      reason: 'ResourceUpdated',
      message: 'Updated sync status: Synced -> OutOfSync',
      lastTimestamp: '2026-11-26T12:06:00Z',
    },
    {
      reason: 'OperationCompleted',
      message: `Sync operation to ${NEW} succeeded`,
      lastTimestamp: '2026-11-26T12:06:01Z',
    },
  ]);
  assert.deepEqual(getSyncMilestones(resynced, NEW), {
    refresh: '2026-11-26T12:05:01Z',
    synced: '2026-11-26T12:05:03Z',
    healthy: '2026-11-26T12:05:19Z',
  });
});

test('no successful sync of the revision: nothing; health that never left Healthy: the sync time', () => {
  const events = toAppEvents(EVENTS.slice(0, 3));
  assert.deepEqual(getSyncMilestones(events, NEW), {
    refresh: undefined,
    synced: undefined,
    healthy: undefined,
  });
  assert.equal(getSyncMilestones(events, OLD).healthy, '2026-11-26T12:00:03Z');
});

test('wait records argocd-refresh, argocd-synced, argocd-healthy, then synced', async () => {
  const argo = await startArgoCdDouble(
    [
      {
        sync: 'Synced',
        revision: NEW,
        health: 'Healthy',
        operation: { phase: 'Succeeded', message: 'ok', revision: NEW },
      },
    ],
    { events: EVENTS },
  );
  try {
    const eventsFile = join(dir, 'events.jsonl');
    await wait({
      app: 'mlops-inference-service',
      revision: NEW,
      server: argo.url,
      token: 't',
      timeoutS: 5,
      eventsFile,
    });
    const recorded = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      recorded.map((e) => [e.event, e.event === 'synced' ? 'now' : e.at]),
      [
        ['argocd-refresh', '2026-11-26T12:05:01.000Z'],
        ['argocd-synced', '2026-11-26T12:05:03.000Z'],
        ['argocd-healthy', '2026-11-26T12:05:19.000Z'],
        ['synced', 'now'],
      ],
    );
    assert.equal(recorded[0].data.revision, NEW);
  } finally {
    await argo.close();
  }
});
