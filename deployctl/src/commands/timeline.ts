/**
 * `timeline`: the push-to-live timeline of one commit, from GitLab's predefined
 * CI variables and the events the jobs recorded on the way; with `--html`, the
 * same as a Gantt chart page, and with `--last N` for the env's last N
 * releases side by side (read from the release commits on its branch).
 */

import { Command } from 'commander';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { appendEvent, getEventsFile, readEvents, type TimelineEvent } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatRecord, formatTimelineMarkdown } from '../format.js';
import { ensureCommit, fetchBranch, getCommitTime } from '../git.js';
import { buildGantt, type Gantt, type PointEvent } from '../timeline/gantt.js';
import { type ChartInput, renderTimelinePage } from '../timeline/html.js';
import { verifyPositiveNumber, verifyRemote } from '../validate.js';
import { collect, type Emit, toNumber } from './output.js';
import { getReleases } from './release-history.js';

/** The steps, in order, and where each time comes from. */
export const TIMELINE_STEPS = [
  { step: 'commit', label: 'commit', ciVar: 'CI_COMMIT_TIMESTAMP' },
  { step: 'pipeline-start', label: 'pipeline start', ciVar: 'CI_PIPELINE_CREATED_AT' },
  { step: 'image-pushed', label: 'image pushed', ciVar: undefined },
  { step: 'release-committed', label: 'release committed', ciVar: undefined },
  // Argo CD's own times, from its events of the app (recorded by `wait`).
  { step: 'argocd-refresh', label: 'Argo CD noticed it (OutOfSync)', ciVar: undefined },
  { step: 'argocd-synced', label: 'Argo CD synced', ciVar: undefined },
  { step: 'argocd-healthy', label: 'Argo CD Healthy', ciVar: undefined },
  { step: 'synced', label: 'deployctl wait saw it', ciVar: undefined },
  { step: 'verified', label: 'all replicas on the new version', ciVar: undefined },
] as const;

export interface TimelineOptions {
  eventsFile?: string;
  /** Where the CI variables come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface TimelineStep {
  step: string;
  label: string;
  at: string | undefined;
  source: string;
  sincePreviousS: number | undefined;
}

export interface Timeline {
  commit: string | undefined;
  pipeline: string | undefined;
  steps: TimelineStep[];
  leadTimeS: number | undefined;
  otherEvents: TimelineEvent[];
}

function secondsBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;
}

export async function getTimeline(options: TimelineOptions = {}): Promise<Timeline> {
  const env = options.env ?? process.env;
  const file = getEventsFile(options.eventsFile);
  const events = file ? await readEvents(file) : [];
  const known = new Set<string>(TIMELINE_STEPS.map((s) => s.step));
  let previous: string | undefined;
  const steps: TimelineStep[] = TIMELINE_STEPS.map(({ step, label, ciVar }) => {
    const fromEnv = ciVar ? env[ciVar] : undefined;
    // The last record wins: a retried job records again.
    const fromEvents = events.filter((e) => e.event === step).at(-1)?.at;
    const at = fromEnv || fromEvents;
    const source = fromEnv ? ciVar! : fromEvents ? `event ${step}` : 'not recorded';
    const sincePreviousS = at && previous ? secondsBetween(previous, at) : undefined;
    if (at) previous = at;
    return { step, label, at, source, sincePreviousS };
  });
  const first = steps[0]?.at;
  const last = steps.at(-1)?.at;
  if (env.CI_JOB_STARTED_AT) {
    events.push({
      event: 'timeline-job-started',
      at: env.CI_JOB_STARTED_AT,
      data: { source: 'CI_JOB_STARTED_AT' },
    });
  }
  return {
    commit: env.CI_COMMIT_SHA,
    pipeline: env.CI_PIPELINE_URL ?? env.CI_PIPELINE_ID,
    steps,
    leadTimeS: first && last ? secondsBetween(first, last) : undefined,
    otherEvents: events.filter((e) => !known.has(e.event)),
  };
}

export interface RecordOptions {
  event: string;
  at?: string;
  eventsFile?: string;
  data?: Record<string, string>;
  dryRun?: boolean;
}

export interface RecordResult {
  status: 'recorded' | 'dry-run';
  file: string;
  event: TimelineEvent;
}

export async function recordEvent(options: RecordOptions): Promise<RecordResult> {
  const file = getEventsFile(options.eventsFile);
  if (!file) {
    throw new DeployctlError(
      'input',
      'no events file: pass --events-file <path> or set DEPLOYCTL_EVENTS_FILE',
    );
  }
  if (!/^[a-z][a-z0-9-]*$/.test(options.event)) {
    throw new DeployctlError(
      'input',
      `event name \`${options.event}\` must be kebab-case, e.g. ${TIMELINE_STEPS.map((s) => s.step).join(', ')}`,
    );
  }
  const at = options.at ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(at))) {
    throw new DeployctlError(
      'input',
      `--at \`${at}\` is not an ISO 8601 time; pass e.g. 2026-01-31T12:00:00Z`,
    );
  }
  const event: TimelineEvent = { event: options.event, at: new Date(at).toISOString(), data: options.data };
  if (!options.data) delete event.data;
  if (!options.dryRun) await appendEvent(file, event);
  return { status: options.dryRun ? 'dry-run' : 'recorded', file, event };
}

/** The timeline's points as Gantt events: each step under its own name, then every other event. */
export function getTimelineEvents(timeline: Timeline): PointEvent[] {
  const steps = timeline.steps.flatMap((s) => (s.at ? [{ event: s.step, at: s.at }] : []));
  return [...steps, ...timeline.otherEvents.map(({ event, at }) => ({ event, at }))];
}

export interface TimelinePageOptions extends TimelineOptions {
  /** The env whose last releases to chart (with `last`). */
  envName?: string;
  /** Chart the env's last N releases instead of this pipeline. */
  last?: number;
  branch?: string;
  remote?: string;
  cwd?: string;
}

export interface TimelinePage {
  title: string;
  charts: ChartInput[];
  /** The pipeline's own timeline (the events file and CI variables). */
  timeline: Timeline;
}

/**
 * The charts of the page: this pipeline's, or with `last` one per release of
 * the env, newest first. Git knows two times of a release (its source commit
 * and the release commit); the release this pipeline made also gets every
 * event of the events file.
 */
export async function getTimelinePage(options: TimelinePageOptions = {}): Promise<TimelinePage> {
  const timeline = await getTimeline(options);
  const short = (sha: string | undefined) => (sha ? sha.slice(0, 12) : 'this pipeline');
  if (options.last === undefined) {
    const gantt = buildGantt(`Push-to-live of ${short(timeline.commit)}`, getTimelineEvents(timeline));
    return {
      title: `Push-to-live timeline of ${short(timeline.commit)}`,
      charts: [{ gantt, details: getDetails(timeline.commit, timeline.pipeline) }],
      timeline,
    };
  }
  if (!options.envName)
    throw new DeployctlError('input', "--last reads one environment's releases: pass --env <env>");
  const last = verifyPositiveNumber(options.last, '--last');
  if (!Number.isInteger(last)) throw new DeployctlError('input', `--last \`${last}\` must be a whole number`);
  const env = options.envName;
  const cwd = options.cwd ?? process.cwd();
  const remote = verifyRemote(options.remote ?? 'origin');
  const branch = getBranchForEnv(env, getEnvironmentBranches(options.env ?? process.env), options.branch);
  const tip = await fetchBranch(cwd, remote, branch);
  const releases = await getReleases({ env, cwd, remote, branch, valuesPath: getValuesPath(env) }, tip, last);
  const charts: ChartInput[] = [];
  for (const release of releases) {
    const events: PointEvent[] = [];
    // A rollback redeploys an old commit: its push-to-live starts at the rollback commit, not at that commit.
    if (!release.rollback && (await ensureCommit(cwd, remote, release.commit))) {
      events.push({ event: 'commit', at: await getCommitTime(cwd, release.commit) });
    }
    events.push({ event: 'release-committed', at: release.committedAt });
    if (release.commit === timeline.commit && !release.rollback) events.push(...getTimelineEvents(timeline));
    const what = release.rollback
      ? `rollback to ${short(release.commit)}`
      : `release of ${short(release.commit)}`;
    charts.push({
      gantt: buildGantt(`${env}: ${what}`, events),
      details: [
        `release commit ${release.releaseCommit} at ${release.committedAt}`,
        ...getDetails(release.commit, release.pipeline),
      ],
    });
  }
  return {
    title: `Push-to-live of the last ${charts.length} releases of ${env} (${branch})`,
    charts,
    timeline,
  };
}

function getDetails(commit: string | undefined, pipeline: string | undefined): string[] {
  return [commit ? `commit ${commit}` : '', pipeline ? `pipeline ${pipeline}` : ''].filter(Boolean);
}

export function formatTimelineHtml(page: TimelinePage, generatedAt = new Date().toISOString()): string {
  return renderTimelinePage({
    title: page.title,
    charts: page.charts,
    generatedAt,
    data: { timeline: page.timeline, charts: page.charts.map((c): Gantt => c.gantt) },
  });
}

export function timelineCommand(emit: Emit): Command {
  return new Command('timeline')
    .description(
      'print the push-to-live timeline (Markdown, JSON, or an HTML page with a Gantt chart), or --record an event for it',
    )
    .option('--record <event>', 'append an event (e.g. image-pushed) instead of printing')
    .option('--at <time>', 'ISO time of the recorded event (default: now)')
    .option('--data <key=value>', 'extra data for the recorded event (repeatable)', collect)
    .option('--events-file <path>', 'events file (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--dry-run', 'with --record: show the event, write nothing')
    .option('--json', 'print JSON instead of Markdown')
    .option('--html', 'print a self-contained HTML page with a Gantt chart (critical path marked)')
    .option('--last <n>', "with --env: chart the env's last N releases side by side (from Git)", toNumber)
    .option('--env <env>', 'with --last: the environment whose releases to read')
    .option('--branch <branch>', "with --last: override the env's branch")
    .option('--remote <remote>', 'with --last: git remote to read the env branch from', 'origin')
    .option('--cwd <dir>', 'with --last: the git checkout')
    .action(async (opts) => {
      if (opts.record) {
        const data = opts.data
          ? Object.fromEntries(
              (opts.data as string[]).map((pair) => [pair.split('=')[0], pair.split('=').slice(1).join('=')]),
            )
          : undefined;
        const result = await recordEvent({
          event: opts.record,
          at: opts.at,
          eventsFile: opts.eventsFile,
          data,
          dryRun: opts.dryRun,
        });
        emit({ text: formatRecord(result), data: result, exitCode: EXIT_CODES.ok });
        return;
      }
      if (opts.html && opts.json)
        throw new DeployctlError('input', '--html and --json exclude each other; pick one');
      if (opts.last === undefined && opts.env) {
        throw new DeployctlError('input', '--env goes with --last <n>: pass --last to chart its releases');
      }
      if (opts.last !== undefined && !opts.html && !opts.json) {
        throw new DeployctlError('input', '--last draws a chart: pass --html (or --json for its data)');
      }
      if (opts.html || opts.last !== undefined) {
        const page = await getTimelinePage({
          eventsFile: opts.eventsFile,
          envName: opts.env,
          last: opts.last,
          branch: opts.branch,
          remote: opts.remote,
          cwd: opts.cwd,
        });
        const data = {
          title: page.title,
          charts: page.charts.map((c) => ({ ...c.gantt, details: c.details })),
        };
        emit({ text: formatTimelineHtml(page), data, exitCode: EXIT_CODES.ok });
        return;
      }
      const timeline = await getTimeline({ eventsFile: opts.eventsFile });
      emit({ text: formatTimelineMarkdown(timeline), data: timeline, exitCode: EXIT_CODES.ok });
    });
}
