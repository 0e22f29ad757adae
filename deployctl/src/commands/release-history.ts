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
import { getReleaseSubjectPattern, type ParsedRelease, parseReleaseMessage } from '../release-message.js';
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

export interface RollbackTarget {
  commit: string;
  values: ImageValues | undefined;
}

/** The newest earlier release whose commit is an ancestor of what runs now (skips rolled-back ones). */
export async function findPreviousRelease(ctx: HistoryContext, observed: Observed): Promise<RollbackTarget> {
  const current = observed.current.tag;
  if (!isFullSha(current)) {
    throw new DeployctlError(
      'input',
      `${ctx.env} runs image.tag \`${current ?? ''}\`, not a commit; pass --to <sha> to choose where to roll back`,
    );
  }
  const entries = await getCommitsBySubject(ctx.cwd, observed.tip, getReleaseSubjectPattern(ctx.env));
  for (const entry of entries) {
    const parsed = parseReleaseMessage(entry.message);
    if (!parsed || !isFullSha(parsed.commit) || parsed.commit === current) continue;
    if (!(await ensureCommit(ctx.cwd, ctx.remote, parsed.commit))) continue;
    if (!(await isAncestor(ctx.cwd, parsed.commit, current))) continue;
    return { commit: parsed.commit, values: await getValuesAt(ctx, entry.sha) };
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
