/**
 * The four DORA delivery metrics from Git alone: the release commits on an
 * environment's branch and their trailers (release-message.ts) are a complete
 * deployment log. Pure functions over that log; commands/dora.ts reads it.
 *
 * - deployment frequency: releases (not rollbacks) per period;
 * - lead time for changes: source commit's commit time → release commit time;
 * - change failure rate: releases later rolled back / releases;
 * - time to restore: a failed release → the next release commit that is a
 *   rollback or a release not itself rolled back.
 */

/** One release commit of the env, as release-history.ts reads it, plus its source commit's time. */
export interface DeploymentRecord {
  releaseCommit: string;
  /** The release commit's time: when Git said to deploy it (what Argo CD syncs). */
  deployedAt: string;
  /** The deployed source commit (Release-Commit trailer). */
  commit: string;
  rollback: boolean;
  /** A rollback's Release-Rollback-From: the commit it moved away from. */
  rollbackFrom: string | undefined;
  /** The source commit's commit time; undefined when it cannot be read (not fetched, a rollback). */
  commitAt: string | undefined;
}

export interface DeploymentOutcome extends DeploymentRecord {
  leadTimeS: number | undefined;
  /** For a release: a later rollback moved away from it. */
  failed: boolean;
  /** The release commit that restored service after this failed release (undefined: not yet). */
  restoredBy: string | undefined;
  restoreS: number | undefined;
}

export type Period = 'week' | 'month';

export interface Summary {
  deployments: number;
  rollbacks: number;
  failed: number;
  /** Releases per day over the range (at least one day). */
  deploymentsPerDay: number | undefined;
  leadTimeMedianS: number | undefined;
  leadTimeP90S: number | undefined;
  /** failed / deployments; undefined without deployments. */
  changeFailureRate: number | undefined;
  timeToRestoreMedianS: number | undefined;
  /** Failed releases with no restoring release commit yet. */
  unrestored: number;
}

export interface PeriodReport extends Summary {
  /** `2026-11` or `2026-W48` (ISO week). */
  period: string;
  start: string;
  end: string;
}

export interface DoraReport {
  env: string;
  branch: string;
  since: string;
  until: string;
  period: Period;
  total: Summary;
  periods: PeriodReport[];
  deployments: DeploymentOutcome[];
}

const DAY_MS = 86_400_000;
const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 1000);

/**
 * Failure and restore for each record (oldest first). A rollback fails the
 * latest earlier release of the commit it rolls back from. A failed release is
 * restored by the first later release commit that is a rollback or a release
 * that is not itself failed.
 */
export function getOutcomes(records: readonly DeploymentRecord[]): DeploymentOutcome[] {
  const sorted = [...records].sort((a, b) => Date.parse(a.deployedAt) - Date.parse(b.deployedAt));
  const failed = new Set<number>();
  sorted.forEach((record, index) => {
    if (!record.rollback || !record.rollbackFrom) return;
    for (let i = index - 1; i >= 0; i--) {
      const earlier = sorted[i]!;
      if (!earlier.rollback && earlier.commit === record.rollbackFrom) {
        failed.add(i);
        break;
      }
    }
  });
  return sorted.map((record, index) => {
    const isFailed = failed.has(index);
    const restorer = isFailed
      ? sorted.find((later, j) => j > index && (later.rollback || !failed.has(j)))
      : undefined;
    return {
      ...record,
      leadTimeS:
        !record.rollback && record.commitAt !== undefined
          ? seconds(record.commitAt, record.deployedAt)
          : undefined,
      failed: isFailed,
      restoredBy: restorer?.releaseCommit,
      restoreS: restorer ? seconds(record.deployedAt, restorer.deployedAt) : undefined,
    };
  });
}

/** The q-quantile (0..1) by linear interpolation; undefined for no values. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const low = Math.floor(pos);
  const high = Math.ceil(pos);
  return Math.round(sorted[low]! + (sorted[high]! - sorted[low]!) * (pos - low));
}

export function summarize(outcomes: readonly DeploymentOutcome[], days: number): Summary {
  const releases = outcomes.filter((o) => !o.rollback);
  const failedReleases = releases.filter((o) => o.failed);
  const leadTimes = releases.flatMap((o) => (o.leadTimeS === undefined ? [] : [o.leadTimeS]));
  const restores = failedReleases.flatMap((o) => (o.restoreS === undefined ? [] : [o.restoreS]));
  return {
    deployments: releases.length,
    rollbacks: outcomes.length - releases.length,
    failed: failedReleases.length,
    // A window shorter than a day counts as one: two releases in ten minutes are 2/day, not 288/day.
    deploymentsPerDay: days > 0 ? releases.length / Math.max(days, 1) : undefined,
    leadTimeMedianS: quantile(leadTimes, 0.5),
    leadTimeP90S: quantile(leadTimes, 0.9),
    changeFailureRate: releases.length > 0 ? failedReleases.length / releases.length : undefined,
    timeToRestoreMedianS: quantile(restores, 0.5),
    unrestored: failedReleases.filter((o) => o.restoredBy === undefined).length,
  };
}

/** The start (UTC) of the period that holds `at`: Monday 00:00 of its ISO week, or the 1st of its month. */
export function getPeriodStart(at: Date, period: Period): Date {
  if (period === 'month') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = (day.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(day.getTime() - weekday * DAY_MS);
}

function getNextPeriodStart(start: Date, period: Period): Date {
  return period === 'month'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
    : new Date(start.getTime() + 7 * DAY_MS);
}

/** `2026-11` for a month; `2026-W48` for an ISO week (the year of its Thursday). */
export function getPeriodName(start: Date, period: Period): string {
  if (period === 'month') return start.toISOString().slice(0, 7);
  const thursday = new Date(start.getTime() + 3 * DAY_MS);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - yearStart) / DAY_MS / 7) + 1;
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * The report for [since, until): every period that overlaps the range, also
 * those without a deployment. A release counts in the period it was deployed
 * in; its restore may end in a later one.
 */
export function getDoraReport(input: {
  env: string;
  branch: string;
  records: readonly DeploymentRecord[];
  since: Date;
  until: Date;
  period: Period;
}): DoraReport {
  const { since, until, period } = input;
  const outcomes = getOutcomes(input.records);
  const inRange = (o: DeploymentOutcome, from: Date, to: Date) =>
    Date.parse(o.deployedAt) >= from.getTime() && Date.parse(o.deployedAt) < to.getTime();
  const periods: PeriodReport[] = [];
  for (let start = getPeriodStart(since, period); start < until; start = getNextPeriodStart(start, period)) {
    const next = getNextPeriodStart(start, period);
    const from = new Date(Math.max(start.getTime(), since.getTime()));
    const to = new Date(Math.min(next.getTime(), until.getTime()));
    periods.push({
      period: getPeriodName(start, period),
      start: from.toISOString(),
      end: to.toISOString(),
      ...summarize(
        outcomes.filter((o) => inRange(o, from, to)),
        (to.getTime() - from.getTime()) / DAY_MS,
      ),
    });
  }
  const selected = outcomes.filter((o) => inRange(o, since, until));
  return {
    env: input.env,
    branch: input.branch,
    since: since.toISOString(),
    until: until.toISOString(),
    period,
    total: summarize(selected, (until.getTime() - since.getTime()) / DAY_MS),
    periods,
    deployments: selected,
  };
}
