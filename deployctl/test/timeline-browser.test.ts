/**
 * The timeline page in a real browser: Debian's chromium, headless, driven by
 * playwright-core. The page comes from the real CLI and a recorded events file
 * (test/fixtures/timeline-events.jsonl, in the format the jobs append);
 * the test reads the rows, durations and critical path from the DOM and saves
 * a screenshot to test-results/timeline.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from '../../test/support/paths.js';
import { STAGES } from '../src/timeline/gantt.js';
import { runCli } from './helpers/git-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURE = join(import.meta.dirname, 'fixtures', 'timeline-events.jsonl');
const SCREENSHOT = join(REPO_ROOT, 'test-results', 'timeline.png');
const COMMIT = '5f0c8d9e2b7a41c3a8e6d2f4b1c9e7a3d5f8b2c4';

const dir = mkdtempSync(join(tmpdir(), 'deployctl-timeline-browser-'));
let browser: Browser | undefined;

before(async () => {
  // Installs chromium when missing (as root), or fails with the command to run.
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-chromium.sh')], { stdio: 'inherit' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('timeline --html in headless chromium: one row per stage, durations, the critical path marked', async () => {
  const run = await runCli(['timeline', '--html', '--events-file', FIXTURE], {
    env: { CI_COMMIT_SHA: COMMIT, CI_PIPELINE_URL: 'https://gitlab.example.com/group/app/-/pipelines/42' },
  });
  assert.equal(run.code, 0, run.stderr);
  const file = join(dir, 'timeline.html');
  writeFileSync(file, run.stdout);

  const page = await browser!.newPage({ viewport: { width: 1040, height: 900 } });
  // Self-contained: nothing but the page itself may be requested.
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);

  const rows = await page.$$eval('svg.gantt g.stage', (groups) =>
    groups.map((g) => {
      // Runs in the page; deployctl's tsconfig has no DOM library, so the two DOM calls are typed here.
      const bar = g.querySelector('rect.bar') as unknown as { getBBox(): { width: number } } | null;
      const view = globalThis as unknown as { getComputedStyle(element: unknown): { fill: string } };
      return {
        stage: g.getAttribute('data-stage'),
        label: g.querySelector('.label')?.textContent,
        duration: g.querySelector('.duration')?.textContent,
        critical: g.classList.contains('critical'),
        barWidth: bar?.getBBox().width ?? 0,
        fill: bar ? view.getComputedStyle(bar).fill : undefined,
      };
    }),
  );
  assert.deepEqual(
    rows.map((r) => r.stage),
    STAGES.map((s) => s.stage),
  );
  assert.deepEqual(
    rows.map((r) => [r.label, r.duration]),
    [
      ['push', '4s'],
      ['checks', '3m 30s'],
      ['build', '2m 14s'],
      ['publish', '4.2s'],
      ['release commit', '4s'],
      ['Argo CD refresh', '2s'],
      ['Argo CD sync', '6s'],
      ['Argo CD healthy', '34s'],
      ['rollout', '31s'],
      ['verify', '41.5s'],
    ],
  );
  // The checks, not the build, held up publish; Argo CD's health, not the rollout, held up verify.
  assert.deepEqual(
    rows.filter((r) => r.critical).map((r) => r.stage),
    ['push', 'checks', 'publish', 'release', 'argocd-refresh', 'argocd-sync', 'argocd-healthy', 'verify'],
  );
  const byStage = new Map(rows.map((r) => [r.stage, r]));
  assert.equal(byStage.get('checks')?.fill, 'rgb(209, 73, 91)', 'critical bars are red');
  assert.equal(byStage.get('build')?.fill, 'rgb(79, 124, 172)', 'other bars are blue');
  // Bars are drawn to scale: build (134.3 s) against checks (210 s).
  const ratio = byStage.get('build')!.barWidth / byStage.get('checks')!.barWidth;
  assert.ok(Math.abs(ratio - 134.3 / 210) < 0.01, `build/checks bar ratio ${ratio}`);

  const table = await page.$$eval('table.stages tbody tr', (trs) =>
    trs.map((tr) => [
      tr.getAttribute('data-stage'),
      tr.querySelector('td.duration')?.textContent,
      tr.className,
    ]),
  );
  assert.equal(table.length, STAGES.length);
  assert.deepEqual(
    table.find(([stage]) => stage === 'verify'),
    ['verify', '41.5s', 'critical'],
  );
  const total = await page.textContent('p.total');
  assert.match(total ?? '', /push to live: 4m 45s; critical path: push → checks → publish → release commit/);
  assert.match(
    (await page.textContent('ul.other-events')) ?? '',
    /argocd-resource-updated at 2026-11-26T12:04:08\.000Z/,
  );
  assert.match((await page.textContent('.legend')) ?? '', /critical path/);
  assert.deepEqual(requests, [pathToFileURL(file).href]);

  mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`timeline page screenshot: ${SCREENSHOT}`);
  await page.close();
});
