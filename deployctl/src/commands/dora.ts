/**
 * `dora`: the four DORA delivery metrics (deployment frequency, lead time for
 * changes, change failure rate, time to restore) per environment and period,
 * from Git alone: every release and rollback is a commit on the env's branch
 * whose trailers say what it deployed (release-history.ts). Read-only.
 */
import { Command } from 'commander';
import { type DeploymentRecord, type DoraReport, getDoraReport, type Period } from '../dora/metrics.js';
import { formatDoraMarkdown, renderDoraHtml } from '../dora/report.js';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { ensureCommit, fetchBranch, getCommitTime } from '../git.js';
import { verifyRemote } from '../validate.js';
import { collect, type Emit } from './output.js';
import { getReleases } from './release-history.js';

export interface DoraOptions {
  /** One or more environments (each read from its own branch). */
  env: string[];
  since?: string;
  until?: string;
  period?: string;
  /** With one env: override its branch. */
  branch?: string;
  remote?: string;
  cwd?: string;
  vars?: NodeJS.ProcessEnv;
  /** "Now", the default end of the range (tests pin it). */
  now?: Date;
}

/** Every release of a branch is read; far more than a branch holds in years. */
const MAX_RELEASES = 100_000;
const DEFAULT_RANGE_DAYS = 90;
const PERIODS: readonly Period[] = ['week', 'month'];

/**
 * `2026-11-01` (midnight UTC) or a full ISO 8601 time. A date-only --until
 * includes that day: the range ends at the next midnight.
 */
export function parseDateFlag(value: string, flag: '--since' | '--until'): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new DeployctlError(
      'input',
      `${flag} \`${value}\` is not a date; pass YYYY-MM-DD (UTC) or an ISO 8601 time such as 2026-11-01T12:00:00Z`,
    );
  }
  return new Date(dateOnly && flag === '--until' ? ms + 86_400_000 : ms);
}

function verifyPeriod(value: string | undefined): Period {
  const period = value ?? 'week';
  if (!(PERIODS as readonly string[]).includes(period)) {
    throw new DeployctlError('input', `--period \`${period}\` must be one of: ${PERIODS.join(', ')}`);
  }
  return period as Period;
}

export async function getDora(options: DoraOptions): Promise<DoraReport[]> {
  const vars = options.vars ?? process.env;
  const envs = options.env;
  if (envs.length === 0) throw new DeployctlError('input', 'pass --env <env> (e.g. --env prod)');
  if (options.branch && envs.length > 1) {
    throw new DeployctlError('input', '--branch overrides the branch of one environment: pass one --env');
  }
  const period = verifyPeriod(options.period);
  const until = options.until ? parseDateFlag(options.until, '--until') : (options.now ?? new Date());
  const since = options.since ? parseDateFlag(options.since, '--since') : undefined;
  if (since && since >= until) {
    throw new DeployctlError(
      'input',
      `--since ${since.toISOString()} is not before --until ${until.toISOString()}; swap them or widen the range`,
    );
  }
  const branches = getEnvironmentBranches(vars);
  const cwd = options.cwd ?? process.cwd();
  const remote = verifyRemote(options.remote ?? 'origin');
  // Check every env before reading any: a typo fails before minutes of fetching.
  const targets = envs.map((env) => ({ env, branch: getBranchForEnv(env, branches, options.branch) }));
  const reports: DoraReport[] = [];
  for (const { env, branch } of targets) {
    const records = await getDeploymentRecords({ env, branch, cwd, remote });
    const earliest = records.reduce<number | undefined>(
      (min, r) => Math.min(min ?? Number.POSITIVE_INFINITY, Date.parse(r.deployedAt)),
      undefined,
    );
    const from =
      since ??
      new Date(
        earliest !== undefined && earliest < until.getTime()
          ? earliest
          : until.getTime() - DEFAULT_RANGE_DAYS * 86_400_000,
      );
    reports.push(getDoraReport({ env, branch, records, since: from, until, period }));
  }
  return reports;
}

/** The env's release commits, oldest first, each with its source commit's commit time. */
export async function getDeploymentRecords(ctx: {
  env: string;
  branch: string;
  cwd: string;
  remote: string;
}): Promise<DeploymentRecord[]> {
  const tip = await fetchBranch(ctx.cwd, ctx.remote, ctx.branch);
  const releases = await getReleases({ ...ctx, valuesPath: getValuesPath(ctx.env) }, tip, MAX_RELEASES);
  const records: DeploymentRecord[] = [];
  for (const release of releases.reverse()) {
    // A rollback's commit is old on purpose: it has no lead time of its own.
    const readable = !release.rollback && (await ensureCommit(ctx.cwd, ctx.remote, release.commit));
    records.push({
      releaseCommit: release.releaseCommit,
      deployedAt: release.committedAt,
      commit: release.commit,
      rollback: release.rollback,
      rollbackFrom: release.rollbackFrom,
      commitAt: readable ? await getCommitTime(ctx.cwd, release.commit) : undefined,
    });
  }
  return records;
}

export function doraCommand(emit: Emit): Command {
  return new Command('dora')
    .description(
      'delivery metrics (DORA: deployment frequency, lead time, change failure rate, time to restore) per env and period, from the release commits in Git',
    )
    .requiredOption('--env <env>', 'environment, e.g. prod or dev (repeatable)', collect)
    .option('--since <date>', 'start of the range, YYYY-MM-DD (UTC) or ISO time (default: the first release)')
    .option('--until <date>', 'end of the range; a date includes that day (default: now)')
    .option('--period <period>', 'week (ISO weeks) or month', 'week')
    .option('--branch <branch>', "with one --env: override the env's branch")
    .option('--remote <remote>', 'git remote to read the env branches from', 'origin')
    .option('--cwd <dir>', 'the git checkout')
    .option('--json', 'print the report as JSON')
    .option('--html', 'print a self-contained HTML page')
    .action(async (opts) => {
      if (opts.html && opts.json)
        throw new DeployctlError('input', '--html and --json exclude each other; pick one');
      const reports = await getDora(opts);
      const text = opts.html
        ? renderDoraHtml(reports, new Date().toISOString())
        : formatDoraMarkdown(reports);
      emit({ text, data: { reports }, exitCode: EXIT_CODES.ok });
    });
}
