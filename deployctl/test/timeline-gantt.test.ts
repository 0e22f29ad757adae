/**
 * The timeline's Gantt chart and HTML page as pure functions (gantt.ts,
 * html.ts), and `timeline --html --last N` on real git.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { release } from '../src/commands/release.js';
import { readEvents } from '../src/events.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { buildGantt, STAGE_EVENTS, STAGES } from '../src/timeline/gantt.js';
import { escapeHtml, formatDuration, getTickStep, renderTimelinePage } from '../src/timeline/html.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  runCli,
} from './helpers/git-fixture.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'timeline-events.jsonl');

describe('buildGantt', () => {
  test('the recorded fixture: bars, inferred starts, the critical path and slack', async () => {
    const gantt = buildGantt('fixture', await readEvents(FIXTURE));
    assert.equal(gantt.origin, '2026-11-26T12:00:00.000Z');
    assert.equal(gantt.totalS, 284.5);
    assert.deepEqual(gantt.criticalPath, [
      'push',
      'checks',
      'publish',
      'release',
      'argocd-refresh',
      'argocd-sync',
      'argocd-healthy',
      'verify',
    ]);
    const row = (stage: string) => gantt.rows.find((r) => r.stage === stage)!;
    assert.deepEqual(
      [row('build').durationS, row('build').slackS, row('build').critical],
      [134.3, 74.7, false],
      'the build ended 74.7 s before the checks did',
    );
    assert.deepEqual(
      [row('rollout').slackS, row('rollout').startInferred, row('rollout').startS],
      [3, true, 247],
    );
    assert.equal(row('argocd-sync').source, 'start not recorded → argocd-synced');
    assert.deepEqual(
      gantt.otherEvents.map((e) => e.event),
      ['argocd-resource-updated'],
    );
  });

  test('what a pipeline records today: unrecorded stages are skipped, the path runs through what was recorded', () => {
    const gantt = buildGantt('today', [
      { event: 'commit', at: '2026-11-26T12:00:00Z' },
      { event: 'pipeline-start', at: '2026-11-26T12:00:05Z' },
      { event: 'image-pushed', at: '2026-11-26T12:02:35Z' },
      { event: 'release-committed', at: '2026-11-26T12:02:40Z' },
      { event: 'synced', at: '2026-11-26T12:03:00Z' },
      // A retried verify job records again: the last record wins.
      { event: 'verified', at: '2026-11-26T12:09:00Z' },
      { event: 'verified', at: '2026-11-26T12:03:30Z' },
      { event: 'argocd-something-new', at: '2026-11-26T12:02:50Z' },
    ]);
    const recorded = gantt.rows.filter((r) => r.end).map((r) => [r.stage, r.startS, r.durationS]);
    assert.deepEqual(recorded, [
      ['push', 0, 5],
      ['publish', 5, 150], // from the push: checks and build were not recorded
      ['release', 155, 5],
      ['argocd-sync', 160, 20], // through the unrecorded refresh
      ['verify', 180, 30], // through the unrecorded healthy and rollout
    ]);
    assert.deepEqual(gantt.criticalPath, ['push', 'publish', 'release', 'argocd-sync', 'verify']);
    assert.equal(
      gantt.rows.find((r) => r.stage === 'checks')?.source,
      'not recorded (no checks-finished event)',
    );
    assert.deepEqual(
      gantt.otherEvents.map((e) => e.event),
      ['argocd-something-new'],
    );
  });

  test('only Git times (a release of --last): the release bar runs from the commit', () => {
    const gantt = buildGantt('git', [
      { event: 'commit', at: '2026-11-26T12:00:00+01:00' },
      { event: 'release-committed', at: '2026-11-26T11:04:00Z' },
    ]);
    const row = gantt.rows.find((r) => r.stage === 'release')!;
    assert.deepEqual([row.startS, row.durationS, row.startInferred, row.critical], [0, 240, true, true]);
    assert.equal(gantt.totalS, 240);
  });

  test('no events at all: every row not recorded, no path, no total', () => {
    const gantt = buildGantt('empty', []);
    assert.equal(gantt.origin, undefined);
    assert.equal(gantt.totalS, undefined);
    assert.deepEqual(gantt.criticalPath, []);
    assert.ok(gantt.rows.every((r) => r.end === undefined));
    assert.match(
      renderTimelinePage({ title: 't', charts: [{ gantt }], generatedAt: 'now' }),
      /no events recorded/,
    );
  });

  test('every stage reads at least one end event, and the mapping has no event twice', () => {
    const names = STAGES.flatMap((s) => [...s.start, ...s.end]);
    assert.equal(new Set(names).size, names.length);
    assert.equal(STAGE_EVENTS.size, names.length);
    assert.ok(STAGES.every((s) => s.end.length > 0));
    const ids = new Set(STAGES.map((s) => s.stage));
    assert.ok(STAGES.every((s) => s.after.every((dep) => ids.has(dep))));
  });
});

describe('the HTML page', () => {
  test('escapes every text: stage titles, event names, details, and the embedded JSON', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const gantt = buildGantt(`release ${evil}`, [
      { event: 'commit', at: '2026-11-26T12:00:00Z' },
      { event: 'pipeline-start', at: '2026-11-26T12:00:05Z' },
      { event: `</script><script>alert(1)</script>`, at: '2026-11-26T12:00:06Z' },
    ]);
    const html = renderTimelinePage({
      title: evil,
      charts: [{ gantt, details: [`pipeline ${evil}`] }],
      generatedAt: evil,
      data: { evil, gantt },
    });
    assert.doesNotMatch(html, /<img/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.doesNotMatch(html, /<\/script><script>/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;/);
    // One script element: the inert JSON block, whose text parses back to the data.
    assert.equal(html.match(/<script/g)?.length, 1);
    const json = /<script type="application\/json" id="timeline-data">(.*)<\/script>/.exec(html)?.[1];
    assert.equal((JSON.parse(json!) as { evil: string }).evil, evil);
  });

  test('no external assets: no src/href to another place, styles inline', () => {
    const html = renderTimelinePage({
      title: 't',
      charts: [{ gantt: buildGantt('a', [{ event: 'commit', at: '2026-11-26T12:00:00Z' }]) }],
      generatedAt: 'now',
    });
    assert.doesNotMatch(html, /<link|\ssrc=|href="(?!#)/);
    assert.match(html, /<style>/);
  });

  test('durations and axis steps', () => {
    assert.equal(escapeHtml(`a<b>"c"'d'&`), 'a&lt;b&gt;&quot;c&quot;&#39;d&#39;&amp;');
    assert.deepEqual([4.2, 59.96, 60, 134.3, 3725, undefined].map(formatDuration), [
      '4.2s',
      '60s',
      '1m 0s',
      '2m 14s',
      '1h 2m 5s',
      '—',
    ]);
    assert.equal(getTickStep(284.5), 60);
    assert.equal(getTickStep(20), 5);
    assert.equal(getTickStep(86_400 * 3), 43_200);
  });
});

describe('timeline --html --last N on real git', () => {
  let fixture: Fixture;
  let checkout: string;
  const commits: string[] = [];

  before(async () => {
    fixture = createFixture();
    checkout = clonePipelineCheckout(fixture, 'ci');
    for (const [committed, released] of [
      ['2026-11-24T09:00:00Z', '2026-11-24T09:03:10Z'],
      ['2026-11-25T09:00:00Z', '2026-11-25T09:04:30Z'],
      ['2026-11-26T12:00:00Z', '2026-11-26T12:03:59Z'],
    ] as const) {
      process.env.GIT_COMMITTER_DATE = committed;
      const [sha] = addCommits(fixture, 1);
      process.env.GIT_COMMITTER_DATE = released;
      await release({ cwd: checkout, env: 'prod', commit: sha!, imageRepository: 'registry.example/app' });
      commits.push(sha!);
    }
    delete process.env.GIT_COMMITTER_DATE;
  });
  after(() => fixture.cleanup());

  test('one chart per release, newest first, on one time scale; the pipeline of the newest adds its events', async () => {
    const run = await runCli(
      ['timeline', '--html', '--last', '2', '--env', 'prod', '--cwd', checkout, '--events-file', FIXTURE],
      { env: { CI_COMMIT_SHA: commits[2]! } },
    );
    assert.equal(run.code, 0, run.stderr);
    const titles = [...run.stdout.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
    assert.deepEqual(titles, [
      `prod: release of ${commits[2]!.slice(0, 12)}`,
      `prod: release of ${commits[1]!.slice(0, 12)}`,
    ]);
    assert.match(run.stdout, /<table class="summary">/);
    // The newest has the full pipeline; the older one has what Git knows: commit → release commit.
    const json = await runCli(
      ['timeline', '--json', '--last', '2', '--env', 'prod', '--cwd', checkout, '--events-file', FIXTURE],
      { env: { CI_COMMIT_SHA: commits[2]! } },
    );
    const data = JSON.parse(json.stdout) as {
      charts: { totalS: number; rows: { stage: string; end?: string }[] }[];
    };
    assert.deepEqual(
      data.charts.map((c) => [c.totalS, c.rows.filter((r) => r.end).length]),
      [
        [284.5, STAGES.length],
        [270, 1],
      ],
    );
  });

  test('--last without --env, a bad --last, --last without --html or --json: exit 2 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [['--html', '--last', '2'], /--last reads one environment's releases: pass --env <env>/],
      [['--html', '--last', '0', '--env', 'prod'], /--last `0` must be a positive number/],
      [['--html', '--last', '1.5', '--env', 'prod'], /--last `1.5` must be a whole number/],
      [['--last', '2', '--env', 'prod'], /--last draws a chart: pass --html/],
      [['--html', '--env', 'prod'], /--env goes with --last/],
      [['--html', '--json'], /--html and --json exclude each other/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['timeline', ...args, '--cwd', checkout], {});
      assert.equal(run.code, EXIT_CODES.input, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });

  test('the fixture is in the format the jobs append (events.ts reads it)', async () => {
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    assert.equal((await readEvents(FIXTURE)).length, lines.length);
  });
});
