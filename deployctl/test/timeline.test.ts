import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getTimeline, recordEvent } from '../src/commands/timeline.js';
import { type DeployctlError, EXIT_CODES } from '../src/exit-codes.js';
import { formatTimelineMarkdown } from '../src/format.js';
import { runCli } from './helpers/git-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'deployctl-timeline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CI = {
  CI_COMMIT_SHA: 'c'.repeat(40),
  CI_COMMIT_TIMESTAMP: '2026-11-26T12:00:00+00:00',
  CI_PIPELINE_CREATED_AT: '2026-11-26T12:00:05Z',
  CI_JOB_STARTED_AT: '2026-11-26T12:04:00Z',
};

test('timeline: steps from CI variables and recorded events, each with its duration and the lead time', async () => {
  const eventsFile = join(dir, 'events.jsonl');
  await recordEvent({ eventsFile, event: 'image-pushed', at: '2026-11-26T12:01:35Z' });
  await recordEvent({ eventsFile, event: 'release-committed', at: '2026-11-26T12:01:40Z' });
  // What `wait` records: Argo CD's own moments of the sync, then when it saw Synced+Healthy.
  await recordEvent({ eventsFile, event: 'argocd-refresh', at: '2026-11-26T12:01:42Z' });
  await recordEvent({ eventsFile, event: 'argocd-synced', at: '2026-11-26T12:01:44Z' });
  await recordEvent({ eventsFile, event: 'argocd-healthy', at: '2026-11-26T12:01:58Z' });
  await recordEvent({ eventsFile, event: 'synced', at: '2026-11-26T12:02:00Z' });
  // A retried verify job records again: the last record wins.
  await recordEvent({ eventsFile, event: 'verified', at: '2026-11-26T12:09:00Z' });
  await recordEvent({ eventsFile, event: 'verified', at: '2026-11-26T12:02:30Z' });
  await recordEvent({ eventsFile, event: 'build-started', at: '2026-11-26T12:00:10Z' });

  const timeline = await getTimeline({ eventsFile, env: CI });
  assert.deepEqual(
    timeline.steps.map((s) => [s.step, s.sincePreviousS]),
    [
      ['commit', undefined],
      ['pipeline-start', 5],
      ['image-pushed', 90],
      ['release-committed', 5],
      ['argocd-refresh', 2],
      ['argocd-synced', 2],
      ['argocd-healthy', 14],
      ['synced', 2],
      ['verified', 30],
    ],
  );
  assert.equal(timeline.leadTimeS, 150);
  assert.deepEqual(
    timeline.otherEvents.map((e) => e.event),
    ['build-started', 'timeline-job-started'],
  );
  const markdown = formatTimelineMarkdown(timeline);
  assert.match(markdown, /\| image pushed \| 2026-11-26T12:01:35\.000Z \| 1m 30s \| event image-pushed \|/);
  assert.match(markdown, /Lead time \(commit → all replicas on the new version\): 2m 30s/);
});

test('timeline: a step nobody recorded shows as not recorded and there is no lead time', async () => {
  const timeline = await getTimeline({ eventsFile: join(dir, 'missing.jsonl'), env: CI });
  assert.equal(timeline.steps[2]?.source, 'not recorded');
  assert.equal(timeline.leadTimeS, undefined);
  assert.match(formatTimelineMarkdown(timeline), /\| image pushed \| not recorded \| — \|/);
});

test('timeline --record through the CLI, --dry-run writes nothing, and --json prints the timeline', async () => {
  const eventsFile = join(dir, 'cli.jsonl');
  const dry = await runCli([
    'timeline',
    '--record',
    'image-pushed',
    '--events-file',
    eventsFile,
    '--dry-run',
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.throws(() => readFileSync(eventsFile));
  const rec = await runCli(
    ['timeline', '--record', 'image-pushed', '--at', '2026-11-26T12:01:00Z', '--data', 'digest=sha256:x'],
    { env: { DEPLOYCTL_EVENTS_FILE: eventsFile } },
  );
  assert.equal(rec.code, 0, rec.stderr);
  assert.deepEqual(JSON.parse(readFileSync(eventsFile, 'utf8')), {
    event: 'image-pushed',
    at: '2026-11-26T12:01:00.000Z',
    data: { digest: 'sha256:x' },
  });
  const json = await runCli(['timeline', '--events-file', eventsFile, '--json'], { env: CI });
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout) as { steps: { step: string; at?: string }[]; commit: string };
  assert.equal(body.commit, CI.CI_COMMIT_SHA);
  assert.equal(body.steps.find((s) => s.step === 'image-pushed')?.at, '2026-11-26T12:01:00.000Z');
});

test('timeline rejects a bad time and a broken events file', async () => {
  const eventsFile = join(dir, 'bad.jsonl');
  const bad = await runCli([
    'timeline',
    '--record',
    'synced',
    '--at',
    'yesterday',
    '--events-file',
    eventsFile,
  ]);
  assert.equal(bad.code, EXIT_CODES.input);
  assert.match(bad.stderr, /--at `yesterday` is not an ISO 8601 time/);
  writeFileSync(eventsFile, '{"event": "synced", "at": "2026-11-26T12:00:00Z"}\nnot json\n');
  const broken = await runCli(['timeline', '--events-file', eventsFile]);
  assert.equal(broken.code, EXIT_CODES.input);
  assert.match(broken.stderr, /line 2 is not \{"event"/);
});

test('timeline --record refuses a name that is not kebab-case', async () => {
  const eventsFile = join(dir, 'names.jsonl');
  await recordEvent({ eventsFile, event: 'argocd-synced', at: '2026-11-26T12:00:00Z' });
  for (const event of ['Synced', 'argocd.synced', '-synced', 'argo cd-synced', '']) {
    await assert.rejects(
      recordEvent({ eventsFile, event, at: '2026-11-26T12:00:00Z' }),
      (error: DeployctlError) => error.kind === 'input' && /must be kebab-case/.test(error.message),
      event,
    );
  }
});
