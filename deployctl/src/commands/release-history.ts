/**
 * The environment's release history, read from Git: every release and
 * rollback is a `release(<env>): ` commit on the env's branch whose trailers
 * say what it deployed (release-message.ts), and whose values file says with
 * which digest and repository. `release`, `rollback` and `status` read it here.
 */
import { DeployctlError } from '../exit-codes.js';
import {
  type CommitEntry,
  ensureCommit,
  getCommitsBySubject,
  getFileAtRevision,
  isAncestor,
} from '../git.js';
import {
  getReleaseSubjectPattern,
  NO_RELEASE,
  type ParsedRelease,
  parseReleaseMessage,
} from '../release-message.js';
import { isFullSha } from '../validate.js';
import { getImageValues, type ImageValues } from '../values-file.js';
import type { Context, Observed } from './write-back.js';

/** The part of a write-back context the history needs. */
export type HistoryContext = Pick<Context, 'env' | 'cwd' | 'remote' | 'branch' | 'valuesPath'>;

export interface ReleaseEntry extends ParsedRelease {
  /** The release commit on the env's branch (what Argo CD syncs). */
  releaseCommit: string;
  committedAt: string;
}

/** The env's release commits reachable from `tip`, newest first, with their parsed trailers. */
export async function getReleases(ctx: HistoryContext, tip: string, max?: number): Promise<ReleaseEntry[]> {
  const entries = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env), max);
  return entries.flatMap((entry: CommitEntry) => {
    const parsed = parseReleaseMessage(entry.message);
    return parsed ? [{ ...parsed, releaseCommit: entry.sha, committedAt: entry.committedAt }] : [];
  });
}

/** The newest release commit of the env (parsed or not), or undefined before the first release. */
export async function getLatestReleaseCommit(
  ctx: HistoryContext,
  tip: string,
): Promise<CommitEntry | undefined> {
  const [latest] = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env), 1);
  return latest;
}

/**
 * Where a rollback goes: an earlier release (its commit and the digest and
 * repository it recorded), or back to the state before the first release
 * (`image.tag: ""`, no pods) when there is no earlier release to go to.
 */
export type RollbackTarget =
  | { kind: 'release'; commit: string; values: ImageValues | undefined }
  | { kind: 'no-release'; commit: typeof NO_RELEASE; why: string };

/**
 * Is the env waiting for its first release? Its values file carries the
 * first-release marker (`tag: ""`, no digest) and either no release of it was
 * ever made or the latest one returned it to that state (a failed first
 * release rolled back). `release` then needs no --force, and `status` says so.
 */
export async function isAwaitingFirstRelease(
  ctx: HistoryContext,
  tip: string,
  current: ImageValues,
): Promise<boolean> {
  if ((current.tag ?? '') !== '' || (current.digest ?? '') !== '') return false;
  const latest = await getLatestReleaseCommit(ctx, tip);
  return latest === undefined || parseReleaseMessage(latest.message)?.commit === NO_RELEASE;
}

/**
 * The one decision of where `rollback` (and `verify --rollback-on-failure`)
 * goes without --to: the newest earlier release whose commit is an ancestor of
 * what runs now (so a rolled-back commit is never chosen again). When there is
 * none because this is the env's first release (nothing but releases of the
 * current commit, and the values file had the first-release marker before
 * them), or the env was returned to that state in between, the target is that
 * state: no image, no pods. Anything else without a target stays an error.
 */
export async function findPreviousRelease(ctx: HistoryContext, observed: Observed): Promise<RollbackTarget> {
  const current = observed.current.tag;
  if (!isFullSha(current)) {
    throw new DeployctlError(
      'input',
      `${ctx.env} runs image.tag \`${current ?? ''}\`, not a commit; pass --to <sha> to choose where to roll back`,
    );
  }
  const entries = await getCommitsBySubject(ctx.cwd, observed.tip, getReleaseSubjectPattern(ctx.env));
  let earlierRelease = false;
  for (const entry of entries) {
    const parsed = parseReleaseMessage(entry.message);
    if (!parsed) continue;
    if (parsed.commit === NO_RELEASE) {
      return {
        kind: 'no-release',
        commit: NO_RELEASE,
        why: `before ${current}, ${ctx.env} had been returned to the state before its first release (${entry.sha.slice(0, 12)})`,
      };
    }
    if (!isFullSha(parsed.commit) || parsed.commit === current) continue;
    earlierRelease = true;
    if (!(await ensureCommit(ctx.cwd, ctx.remote, parsed.commit))) continue;
    if (!(await isAncestor(ctx.cwd, parsed.commit, current))) continue;
    return { kind: 'release', commit: parsed.commit, values: await getValuesAt(ctx, entry.sha) };
  }
  const first = entries.at(-1);
  if (!earlierRelease && first !== undefined) {
    const before = await getValuesAt(ctx, `${first.sha}^`);
    if (before && (before.tag ?? '') === '' && (before.digest ?? '') === '') {
      return {
        kind: 'no-release',
        commit: NO_RELEASE,
        why: `${current} is the first release of ${ctx.env} (${first.sha.slice(0, 12)}); before it, ${ctx.valuesPath} had the first-release marker image.tag ""`,
      };
    }
  }
  throw new DeployctlError(
    'input',
    `no earlier release of ${ctx.env} before ${current} on \`${ctx.branch}\`; pass --to <sha> to choose the target`,
  );
}

export async function getValuesAt(
  ctx: HistoryContext,
  releaseCommit: string,
): Promise<ImageValues | undefined> {
  const text = await getFileAtRevision(ctx.cwd, releaseCommit, ctx.valuesPath);
  return text === undefined ? undefined : getImageValues(text, ctx.valuesPath);
}

/** The release commit that deployed `commit`, to recover its digest and repository. */
export async function findReleaseOf(
  ctx: HistoryContext,
  tip: string,
  commit: string,
): Promise<ImageValues | undefined> {
  const entries = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env));
  const entry = entries.find((candidate) => parseReleaseMessage(candidate.message)?.commit === commit);
  return entry ? getValuesAt(ctx, entry.sha) : undefined;
}
