/**
 * `timeline`: the push-to-live timeline of one commit, from GitLab's predefined
 * CI variables and the events the jobs recorded on the way.
 */

import { Command } from 'commander';
import { appendEvent, getEventsFile, readEvents, type TimelineEvent } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatRecord, formatTimelineMarkdown } from '../format.js';
import { collect, type Emit } from './output.js';

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

export function timelineCommand(emit: Emit): Command {
  return new Command('timeline')
    .description('print the push-to-live timeline (Markdown or JSON), or --record an event for it')
    .option('--record <event>', 'append an event (e.g. image-pushed) instead of printing')
    .option('--at <time>', 'ISO time of the recorded event (default: now)')
    .option('--data <key=value>', 'extra data for the recorded event (repeatable)', collect)
    .option('--events-file <path>', 'events file (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--dry-run', 'with --record: show the event, write nothing')
    .option('--json', 'print JSON instead of Markdown')
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
      const timeline = await getTimeline({ eventsFile: opts.eventsFile });
      emit({ text: formatTimelineMarkdown(timeline), data: timeline, exitCode: EXIT_CODES.ok });
    });
}
