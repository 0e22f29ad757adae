/**
 * Push-to-live as a Gantt chart: which stage ran when, for how long, and which
 * stages made up the critical path. Pure functions over point events (the
 * events file, GitLab's predefined times, release commits in Git); html.ts
 * draws the result.
 *
 * The one place that maps events to stages is STAGES below
 * (docs/contracts.md, "Timeline events").
 */

/** A point in time something happened: `{event, at}` as the events file holds it. */
export interface PointEvent {
  event: string;
  at: string;
}

export interface StageDef {
  stage: string;
  label: string;
  /** Events that mark the start; the first one recorded wins. None: it starts when its dependencies end. */
  start: readonly string[];
  /** Events that mark the end; the first one recorded wins. None recorded: the stage is "not recorded". */
  end: readonly string[];
  /** Stages that must end before this one can start (the pipeline's `needs`, then Git → Argo CD → pods). */
  after: readonly string[];
}

/**
 * The stages, in display order. `argocd-*` events are Argo CD's own times
 * (refresh, sync finished, healthy) that `deployctl wait` reads from the
 * Application's events (argocd-events.ts); `synced` is when wait saw Synced +
 * Healthy, `canary-*` what it saw of a canary Rollout (rollout.ts), `verified`
 * what `verify` records when every replica runs the commit.
 */
export const STAGES: readonly StageDef[] = [
  { stage: 'push', label: 'push', start: ['commit'], end: ['pipeline-start'], after: [] },
  { stage: 'checks', label: 'checks', start: ['checks-started'], end: ['checks-finished'], after: ['push'] },
  {
    stage: 'build',
    label: 'build',
    start: ['build-started'],
    // build-reused: the registry already held this commit's image (issue 11, item 5).
    end: ['build-finished', 'image-built', 'build-reused'],
    after: ['push'],
  },
  {
    stage: 'publish',
    label: 'publish',
    start: ['publish-started'],
    end: ['image-pushed', 'push-reused'],
    after: ['checks', 'build'],
  },
  {
    stage: 'release',
    label: 'release commit',
    start: ['release-started'],
    end: ['release-committed'],
    after: ['publish'],
  },
  {
    stage: 'argocd-refresh',
    label: 'Argo CD refresh',
    start: [],
    end: ['argocd-refresh'],
    after: ['release'],
  },
  {
    stage: 'argocd-sync',
    label: 'Argo CD sync',
    start: [],
    end: ['argocd-synced', 'synced'],
    after: ['argocd-refresh'],
  },
  {
    stage: 'argocd-healthy',
    label: 'Argo CD healthy',
    start: [],
    end: ['argocd-healthy'],
    after: ['argocd-sync'],
  },
  {
    stage: 'rollout',
    label: 'rollout',
    start: ['rollout-started'],
    end: ['rollout-finished', 'canary-promoted', 'canary-aborted'],
    after: ['argocd-sync'],
  },
  {
    stage: 'verify',
    label: 'verify',
    start: ['verify-started'],
    end: ['verified'],
    after: ['argocd-healthy', 'rollout'],
  },
];

/** Every event name STAGES reads; anything else is shown as an "other event". */
export const STAGE_EVENTS: ReadonlySet<string> = new Set(STAGES.flatMap((s) => [...s.start, ...s.end]));

export interface GanttRow {
  stage: string;
  label: string;
  /** ISO times; undefined when the stage's end was not recorded. */
  start: string | undefined;
  end: string | undefined;
  /** Seconds from the chart's origin (its earliest event). */
  startS: number | undefined;
  endS: number | undefined;
  durationS: number | undefined;
  /** The start was not recorded: it is when the stage's dependencies had ended. */
  startInferred: boolean;
  /** On the critical path: shortening this stage shortens push-to-live. */
  critical: boolean;
  /** How much later this stage could have ended without delaying what came after it. */
  slackS: number | undefined;
  /** The events the bar comes from, e.g. `commit → pipeline-start`. */
  source: string;
}

export interface Gantt {
  title: string;
  /** The earliest event (usually the commit): 0 s on the chart. */
  origin: string | undefined;
  /** The latest stage end. */
  finish: string | undefined;
  totalS: number | undefined;
  rows: GanttRow[];
  /** The critical path, first stage first. */
  criticalPath: string[];
  /** Events no stage reads (a new or misspelt name): listed, never dropped. */
  otherEvents: PointEvent[];
}

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;

/** The latest record of each event (a retried job records again; the last one wins). */
function latestByName(events: readonly PointEvent[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of events) if (!Number.isNaN(Date.parse(e.at))) map.set(e.event, e.at);
  return map;
}

/**
 * Builds the chart. A stage's bar ends at its end event and starts at its
 * start event, or, when no start was recorded, when the last of its
 * dependencies ended (the earliest it could have started). A stage without an
 * end event is "not recorded"; its dependents look through it to its own
 * dependencies.
 *
 * The critical path, as in the critical path method with actual times: start
 * at the stage that ended last, step to the dependency that ended last (the
 * one that held it up), and repeat until a stage without recorded
 * dependencies. Every other stage had slack: it could have taken longer
 * without delaying push-to-live.
 */
export function buildGantt(
  title: string,
  events: readonly PointEvent[],
  stages: readonly StageDef[] = STAGES,
): Gantt {
  const times = latestByName(events);
  const firstOf = (names: readonly string[]) => names.map((n) => times.get(n)).find((t) => t !== undefined);
  const byStage = new Map(stages.map((s) => [s.stage, s]));
  const ends = new Map<string, string>();
  for (const s of stages) {
    const end = firstOf(s.end);
    if (end !== undefined) ends.set(s.stage, end);
  }
  // The recorded stages a stage waits for, looking through unrecorded ones.
  const recordedDeps = (stage: string, seen = new Set<string>()): string[] => {
    const deps: string[] = [];
    for (const dep of byStage.get(stage)?.after ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      if (ends.has(dep)) deps.push(dep);
      else deps.push(...recordedDeps(dep, seen));
    }
    return deps;
  };
  const latest = (stageIds: string[]) =>
    stageIds.reduce<string | undefined>((best, id) => {
      const at = ends.get(id);
      return at !== undefined && (best === undefined || Date.parse(at) > Date.parse(ends.get(best)!))
        ? id
        : best;
    }, undefined);

  // Where everything begins (the commit): the start of a stage none of whose dependencies was recorded.
  const rootStart = stages
    .filter((s) => s.after.length === 0)
    .map((s) => firstOf(s.start))
    .filter((t): t is string => t !== undefined)
    .reduce<string | undefined>(
      (min, t) => (min === undefined || Date.parse(t) < Date.parse(min) ? t : min),
      undefined,
    );
  const starts = new Map<string, { at: string; inferred: boolean }>();
  for (const s of stages) {
    const end = ends.get(s.stage);
    if (end === undefined) continue;
    const recorded = firstOf(s.start);
    if (recorded !== undefined) {
      starts.set(s.stage, { at: recorded, inferred: false });
      continue;
    }
    const binding = latest(recordedDeps(s.stage));
    const from =
      binding !== undefined
        ? ends.get(binding)!
        : s.after.length > 0 && rootStart !== undefined && Date.parse(rootStart) <= Date.parse(end)
          ? rootStart
          : end;
    starts.set(s.stage, { at: from, inferred: true });
  }

  const allTimes = [...starts.values()].map((s) => s.at).concat([...ends.values()]);
  const origin = allTimes.reduce<string | undefined>(
    (min, t) => (min === undefined || Date.parse(t) < Date.parse(min) ? t : min),
    undefined,
  );
  const lastStage = latest([...ends.keys()]);
  const finish = lastStage ? ends.get(lastStage) : undefined;

  const critical: string[] = [];
  for (let at = lastStage; at !== undefined; at = latest(recordedDeps(at))) {
    if (critical.includes(at)) break;
    critical.unshift(at);
  }

  const rows: GanttRow[] = stages.map((s) => {
    const end = ends.get(s.stage);
    const start = starts.get(s.stage);
    if (end === undefined || start === undefined || origin === undefined) {
      return {
        stage: s.stage,
        label: s.label,
        start: undefined,
        end: undefined,
        startS: undefined,
        endS: undefined,
        durationS: undefined,
        startInferred: false,
        critical: false,
        slackS: undefined,
        source: `not recorded (no ${s.end.join(' or ')} event)`,
      };
    }
    // Slack: how much later it could have ended before it, not another stage, held up what waits for it.
    const heldUntil = stages
      .filter((d) => d.stage !== s.stage && recordedDeps(d.stage).includes(s.stage))
      .map((d) => {
        const binding = latest(recordedDeps(d.stage));
        return binding === undefined ? undefined : ends.get(binding);
      })
      .concat(
        finish !== undefined && !stages.some((d) => recordedDeps(d.stage).includes(s.stage)) ? [finish] : [],
      )
      .filter((t): t is string => t !== undefined)
      .reduce<string | undefined>(
        (min, t) => (min === undefined || Date.parse(t) < Date.parse(min) ? t : min),
        undefined,
      );
    const startName = start.inferred ? undefined : s.start.find((n) => times.get(n) === start.at);
    const endName = s.end.find((n) => times.has(n));
    return {
      stage: s.stage,
      label: s.label,
      start: start.at,
      end,
      startS: seconds(origin, start.at),
      endS: seconds(origin, end),
      durationS: seconds(start.at, end),
      startInferred: start.inferred,
      critical: critical.includes(s.stage),
      slackS: heldUntil ? Math.max(0, seconds(end, heldUntil)) : undefined,
      source: `${startName ?? 'start not recorded'} → ${endName ?? '?'}`,
    };
  });

  return {
    title,
    origin,
    finish,
    totalS: origin && finish ? seconds(origin, finish) : undefined,
    rows,
    criticalPath: critical,
    otherEvents: events.filter((e) => !STAGE_EVENTS.has(e.event)),
  };
}
