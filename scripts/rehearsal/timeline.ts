/**
 * The push-to-live timeline the pipeline's `timeline` job wrote (its artifact
 * timeline.html carries the timeline's JSON as `<script id="timeline-data">`),
 * as one line per step for the
 * rehearsal's log: the Argo CD steps (argocd-refresh, argocd-synced,
 * argocd-healthy) come from Argo CD's own events, recorded by `deployctl wait`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Timeline } from '../../deployctl/src/commands/timeline.js';
import { type Checkout, type JobMode, jobDir } from './gitlab-ci.js';
import { fail, ok } from './report.js';

/** The timeline inside the job's artifact, the page a user opens: what it shows is what is checked. */
export function readTimeline(checkout: Checkout, mode: JobMode): Timeline {
  // gitlab-ci-local copies artifacts back into the checkout (--artifacts-to-source,
  // its default); a cold job's own build directory has the file too.
  const copied = join(checkout.dir, 'timeline.html');
  const file = existsSync(copied) ? copied : join(jobDir(checkout, 'timeline', mode), 'timeline.html');
  const html = readFileSync(file, 'utf8');
  const data = /<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (data === undefined) fail("timeline.html, the timeline job's artifact, carries no timeline-data");
  return (JSON.parse(data) as { timeline: Timeline }).timeline;
}

/** `timeline N: STEP +Ss` lines and the lead time; fails when Argo CD's steps are missing. */
export function formatTimeline(pipeline: string, timeline: Timeline): string {
  const missing = timeline.steps.filter((s) => s.step.startsWith('argocd-') && s.at === undefined);
  if (missing.length > 0)
    fail(`the timeline of pipeline ${pipeline} lacks ${missing.map((s) => s.step).join(', ')}`);
  ok(`the timeline of pipeline ${pipeline} has Argo CD's refresh, synced and healthy times`);
  const lines = timeline.steps.map(
    (s) =>
      `timeline ${pipeline}: ${s.step.padEnd(18)} ${s.at ?? 'not recorded'}  ${s.sincePreviousS === undefined ? '' : `+${s.sincePreviousS}s`}`,
  );
  return [...lines, `timeline ${pipeline}: lead time ${timeline.leadTimeS ?? '?'}s`].join('\n');
}
