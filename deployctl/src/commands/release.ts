/**
 * `release` and `rollback`: the GitOps write-back. Both write `image.*` in
 * `helm/values-<env>.yaml` on the environment's branch as one new commit and
 * push it as a fast-forward, retrying on top of whatever landed meanwhile.
 */

import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { DeployctlError } from '../exit-codes.js';
import { appendEvent, getEventsFile } from '../events.js';
import {
  createFileCommit,
  ensureCommit,
  fetchBranch,
  getCommitsBySubject,
  getCommitTime,
  getFileAtRevision,
  isAncestor,
  pushCommit,
} from '../git.js';
import { type ImageReference, verifyImageExists } from '../registry.js';
import { formatReleaseMessage, getReleaseSubjectPattern, parseReleaseMessage } from '../release-message.js';
import { getBackoffMs, sleep } from '../retry.js';
import { isFullSha, verifyDigest, verifyImageRepository, verifyRemote, verifySha } from '../validate.js';
import { getImageValues, type ImageChanges, type ImageValues, setImageValues } from '../values-file.js';

export interface WriteOptions {
  env: string;
  cwd?: string;
  remote?: string;
  /** Overrides the env → branch map for this call. */
  branch?: string;
  pipeline?: string;
  dryRun?: boolean;
  maxAttempts?: number;
  pushOptions?: string[];
  eventsFile?: string;
  /** Runs just before each push; tests use it to move the branch under a release. */
  beforePush?: (attempt: number) => Promise<void>;
}

export interface ReleaseOptions extends WriteOptions {
  commit: string;
  imageRepository?: string;
  digest?: string;
  /** Replace an image.tag that is not a commit SHA (so no ancestry check is possible). */
  force?: boolean;
}

export interface RollbackOptions extends WriteOptions {
  /** Target commit; default: the release before the one deployed now. */
  to?: string;
  /** Do not ask the registry whether the target's image exists (prints a warning). */
  skipImageCheck?: boolean;
  /** Where the registry credentials come from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export type ReleaseStatus = 'released' | 'unchanged' | 'skipped' | 'dry-run';

export interface ReleaseResult {
  status: ReleaseStatus;
  kind: 'release' | 'rollback';
  env: string;
  branch: string;
  valuesPath: string;
  commit: string;
  previousCommit: string | undefined;
  releaseCommit: string | undefined;
  image: string;
  attempts: number;
  reason: string;
  /** What a user should know although it did not stop the command (--force, --skip-image-check). */
  warnings: string[];
  /** Dry run: the values file and commit message that would be written. */
  plannedValues?: string;
  plannedMessage?: string;
}

interface Context {
  env: string;
  cwd: string;
  remote: string;
  branch: string;
  valuesPath: string;
  pipeline: string;
}

interface Observed {
  tip: string;
  text: string;
  current: ImageValues;
}

type Decision =
  | { action: 'stop'; status: 'unchanged' | 'skipped'; commit: string; image: string; reason: string }
  | {
      action: 'write';
      commit: string;
      image: string;
      changes: ImageChanges;
      message: string;
      reason: string;
      warnings?: string[];
    };

export const DEFAULT_MAX_ATTEMPTS = 8;

function getContext(options: WriteOptions): Context {
  const branch = getBranchForEnv(options.env, getEnvironmentBranches(), options.branch);
  return {
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    remote: verifyRemote(options.remote ?? 'origin'),
    branch,
    valuesPath: getValuesPath(options.env),
    pipeline: options.pipeline || process.env.CI_PIPELINE_URL || process.env.CI_PIPELINE_ID || 'local',
  };
}

function formatImage(repository: string | undefined, tag: string, digest: string | undefined): string {
  return `${repository ?? '<image.repository>'}:${tag}${digest ? `@${digest}` : ''}`;
}

async function observe(ctx: Context): Promise<Observed> {
  const tip = await fetchBranch(ctx.cwd, ctx.remote, ctx.branch);
  const text = await getFileAtRevision(ctx.cwd, tip, ctx.valuesPath);
  if (text === undefined) {
    throw new DeployctlError(
      'input',
      `${ctx.valuesPath} does not exist on branch \`${ctx.branch}\` (${tip.slice(0, 12)}); commit the values file for env \`${ctx.env}\` first`,
    );
  }
  return { tip, text, current: getImageValues(text, ctx.valuesPath) };
}

async function verifyCommitPresent(ctx: Context, sha: string, what: string) {
  if (!(await ensureCommit(ctx.cwd, ctx.remote, sha))) {
    throw new DeployctlError(
      'input',
      `${what} ${sha} is not in this repository or on remote \`${ctx.remote}\`; push it first or check the SHA`,
    );
  }
}

/**
 * The loop both writers share: observe the branch, decide, commit on top of
 * the observed tip, push without force; on "branch moved" start again from a
 * fresh fetch after a jittered backoff. Every attempt re-decides, so a newer
 * release that landed meanwhile turns this one into "skipped".
 */
async function writeWithRetry(
  ctx: Context,
  kind: ReleaseResult['kind'],
  options: WriteOptions,
  decide: (observed: Observed) => Promise<Decision>,
): Promise<ReleaseResult> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let lastRejection = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const observed = await observe(ctx);
    const decision = await decide(observed);
    const base = {
      kind,
      env: ctx.env,
      branch: ctx.branch,
      valuesPath: ctx.valuesPath,
      commit: decision.commit,
      previousCommit: observed.current.tag,
      image: decision.image,
      attempts: attempt,
      reason: decision.reason,
      warnings: decision.action === 'write' ? (decision.warnings ?? []) : [],
    };
    if (decision.action === 'stop') return { ...base, status: decision.status, releaseCommit: undefined };
    const updated = setImageValues(observed.text, ctx.valuesPath, decision.changes);
    if (options.dryRun) {
      return {
        ...base,
        status: 'dry-run',
        releaseCommit: undefined,
        plannedValues: updated,
        plannedMessage: decision.message,
      };
    }
    const releaseCommit = await createFileCommit(ctx.cwd, {
      parent: observed.tip,
      path: ctx.valuesPath,
      content: updated,
      message: decision.message,
    });
    await options.beforePush?.(attempt);
    const push = await pushCommit(ctx.cwd, {
      remote: ctx.remote,
      sha: releaseCommit,
      branch: ctx.branch,
      pushOptions: options.pushOptions ?? [],
    });
    if (push.status !== 'rejected') {
      await recordReleaseEvent(ctx, options, decision.commit, releaseCommit);
      return { ...base, status: 'released', releaseCommit };
    }
    lastRejection = push.detail;
    if (attempt < maxAttempts) await sleep(getBackoffMs(attempt));
  }
  throw new DeployctlError(
    'conflict',
    `push to \`${ctx.branch}\` was rejected ${maxAttempts} times because the branch kept moving (last: ${lastRejection}); rerun the job, nothing was force-pushed`,
  );
}

async function recordReleaseEvent(
  ctx: Context,
  options: WriteOptions,
  commit: string,
  releaseCommit: string,
) {
  const file = getEventsFile(options.eventsFile);
  if (!file) return;
  const at = await getCommitTime(ctx.cwd, releaseCommit);
  await appendEvent(file, { event: 'release-committed', at, data: { env: ctx.env, commit, releaseCommit } });
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const commit = verifySha(options.commit, '--commit');
  const digest = verifyDigest(options.digest);
  const ctx = getContext(options);
  const repositoryOverride = options.imageRepository
    ? verifyImageRepository(options.imageRepository, '--image-repository')
    : process.env.ECR_REGISTRY && process.env.ECR_REPOSITORY
      ? verifyImageRepository(
          `${process.env.ECR_REGISTRY}/${process.env.ECR_REPOSITORY}`,
          '$ECR_REGISTRY/$ECR_REPOSITORY',
        )
      : undefined;
  return writeWithRetry(ctx, 'release', options, async ({ current, tip }) => {
    const repository = repositoryOverride ?? current.repository;
    const image = formatImage(repository, commit, digest);
    const sameImage =
      current.tag === commit &&
      (digest === undefined || digest === current.digest) &&
      (repositoryOverride === undefined || repositoryOverride === current.repository);
    if (sameImage) {
      return {
        action: 'stop',
        status: 'unchanged',
        commit,
        image,
        reason: `${ctx.env} already runs ${commit}`,
      };
    }
    let reason = `moves ${ctx.env} from ${current.tag || '(empty)'} to ${commit}`;
    const warnings: string[] = [];
    if (isFullSha(current.tag) && current.tag !== commit) {
      await verifyCommitPresent(ctx, current.tag, `deployed commit (image.tag in ${ctx.valuesPath})`);
      await verifyCommitPresent(ctx, commit, '--commit');
      if (await isAncestor(ctx.cwd, commit, current.tag)) {
        return {
          action: 'stop',
          status: 'skipped',
          commit,
          image,
          reason: `skipped: a newer commit is already deployed: ${ctx.env} runs ${current.tag}, which already contains ${commit}`,
        };
      }
      if (!(await isAncestor(ctx.cwd, current.tag, commit))) {
        throw new DeployctlError(
          'refused',
          `refused: ${commit} does not descend from ${current.tag}, which ${ctx.env} runs now (diverged history); release a commit built on top of it, or run \`deployctl rollback --env ${ctx.env} --to ${commit}\` to move there on purpose`,
        );
      }
      await verifyNotRolledBack(ctx, tip, commit);
    } else if (!isFullSha(current.tag)) {
      // Nothing to compare with: without a check any commit, however old, would overwrite it.
      await verifyCommitPresent(ctx, commit, '--commit');
      const unchecked = await getUncheckedTagProblem(ctx, tip, current.tag ?? '');
      if (unchecked === undefined) {
        reason = `first release: ${ctx.env} had the first-release marker image.tag "" and no earlier release, now ${commit}`;
      } else if (options.force) {
        const warning = `--force: replaced image.tag \`${current.tag ?? ''}\` in ${ctx.valuesPath} without the out-of-order check (${unchecked})`;
        warnings.push(warning);
        reason = `forced: moves ${ctx.env} from image.tag \`${current.tag ?? ''}\` to ${commit} (--force)`;
      } else {
        throw new DeployctlError(
          'refused',
          `refused: image.tag in ${ctx.valuesPath} on \`${ctx.branch}\` is \`${current.tag ?? ''}\`, ${unchecked}, so deployctl cannot tell whether ${commit} is newer than what runs; check who set it (\`git log -p ${tip.slice(0, 12)} -- ${ctx.valuesPath}\`), then rerun with --force to replace it`,
        );
      }
    }
    return {
      action: 'write',
      commit,
      image,
      // No digest given → clear a stale one, or the chart would keep deploying the old image.
      changes: {
        tag: commit,
        digest: digest ?? (current.digest ? '' : undefined),
        repository: repositoryOverride,
      },
      message: formatReleaseMessage({ env: ctx.env, commit, image, pipeline: ctx.pipeline }),
      reason,
      warnings,
    };
  });
}

/**
 * Why a non-SHA image.tag cannot be replaced without --force, or undefined for
 * the one case that needs no flag: the chart's first-release marker `tag: ""`
 * (helm/values-<env>.yaml: "empty until the first release") on a branch that has
 * never had a release of this env. An emptied tag after releases, `latest`, a
 * hand-set hotfix tag or a chart version is something a human did on purpose.
 */
async function getUncheckedTagProblem(ctx: Context, tip: string, tag: string): Promise<string | undefined> {
  if (tag !== '') return 'which is not a full 40-character lowercase commit SHA';
  const [latest] = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env), 1);
  return latest
    ? `empty although ${latest.sha} released ${ctx.env} before (the first-release marker "" counts only before the first release)`
    : undefined;
}

/**
 * A retried pipeline of a commit that was just rolled back must not quietly
 * redeploy it: refuse while the env's latest release commit is the rollback
 * away from it. A newer commit (the fix) releases normally; `rollback --to`
 * still moves there on purpose.
 */
async function verifyNotRolledBack(ctx: Context, tip: string, commit: string) {
  const [latest] = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env), 1);
  const parsed = latest ? parseReleaseMessage(latest.message) : undefined;
  if (parsed?.rollback && parsed.rollbackFrom === commit) {
    throw new DeployctlError(
      'refused',
      `refused: ${commit} was rolled back from ${ctx.env} by ${latest?.sha}; release a fixed commit, or run \`deployctl rollback --env ${ctx.env} --to ${commit}\` to deploy it again on purpose`,
    );
  }
}

interface RollbackTarget {
  commit: string;
  values: ImageValues | undefined;
}

/** The newest earlier release whose commit is an ancestor of what runs now (skips rolled-back ones). */
async function findPreviousRelease(ctx: Context, observed: Observed): Promise<RollbackTarget> {
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

async function getValuesAt(ctx: Context, releaseCommit: string): Promise<ImageValues | undefined> {
  const text = await getFileAtRevision(ctx.cwd, releaseCommit, ctx.valuesPath);
  return text === undefined ? undefined : getImageValues(text, ctx.valuesPath);
}

/** The release commit that deployed `commit`, to recover its digest and repository. */
async function findReleaseOf(ctx: Context, tip: string, commit: string): Promise<ImageValues | undefined> {
  const entries = await getCommitsBySubject(ctx.cwd, tip, getReleaseSubjectPattern(ctx.env));
  const entry = entries.find((candidate) => parseReleaseMessage(candidate.message)?.commit === commit);
  return entry ? getValuesAt(ctx, entry.sha) : undefined;
}

/**
 * An explicit rollback: the out-of-order guard does not apply (that is the
 * point), and the commit records it with `Release-Rollback: true`.
 */
export async function rollback(options: RollbackOptions): Promise<ReleaseResult> {
  const to = options.to === undefined ? undefined : verifySha(options.to, '--to');
  const ctx = getContext(options);
  // The registry's answer holds across push retries; ask once per image.
  const checkedImages = new Set<string>();
  return writeWithRetry(ctx, 'rollback', options, async (observed) => {
    const target: RollbackTarget = to
      ? { commit: to, values: await findReleaseOf(ctx, observed.tip, to) }
      : await findPreviousRelease(ctx, observed);
    const repository = target.values?.repository ?? observed.current.repository;
    const digest = target.values?.digest || undefined;
    const image = formatImage(repository, target.commit, digest);
    if (observed.current.tag === target.commit) {
      return {
        action: 'stop',
        status: 'unchanged',
        commit: target.commit,
        image,
        reason: `${ctx.env} already runs ${target.commit}`,
      };
    }
    await verifyCommitPresent(ctx, target.commit, 'rollback target');
    await verifyOnBranch(ctx, observed.tip, target.commit);
    const warnings: string[] = [];
    if (options.skipImageCheck) {
      warnings.push(
        `--skip-image-check: did not check that ${image} exists in the registry; if it does not, the pods will not start (ImagePullBackOff)`,
      );
    } else if (!checkedImages.has(image)) {
      await verifyImageExists(getImageReference(ctx, repository, target.commit, digest), options.vars);
      checkedImages.add(image);
    }
    const from = observed.current.tag ?? '';
    return {
      action: 'write',
      commit: target.commit,
      image,
      changes: {
        tag: target.commit,
        // The digest that release recorded; clear any other so the tag decides.
        digest: digest ?? (observed.current.digest ? '' : undefined),
        repository: target.values?.repository,
      },
      message: formatReleaseMessage({
        env: ctx.env,
        commit: target.commit,
        image,
        pipeline: ctx.pipeline,
        rollbackFrom: from,
      }),
      reason: `rolls ${ctx.env} back from ${from || '(empty)'} to ${target.commit}`,
      warnings,
    };
  });
}

/**
 * A rollback goes back in this environment's own history: the target must be
 * the fetched branch tip or one of its ancestors, never a commit from another
 * branch or a fork that only happens to be in the checkout.
 */
async function verifyOnBranch(ctx: Context, tip: string, commit: string) {
  if (!(await isAncestor(ctx.cwd, commit, tip))) {
    throw new DeployctlError(
      'refused',
      `refused: rollback target ${commit} is not on \`${ctx.branch}\` of remote \`${ctx.remote}\` (not an ancestor of its tip ${tip}); roll back only to a commit of this branch, e.g. one listed by \`git log --oneline ${tip.slice(0, 12)}\``,
    );
  }
}

function getImageReference(
  ctx: Context,
  repository: string | undefined,
  tag: string,
  digest: string | undefined,
): ImageReference {
  if (!repository) {
    throw new DeployctlError(
      'input',
      `${ctx.valuesPath} on \`${ctx.branch}\` has no image.repository, so deployctl cannot check that the image of ${tag} exists; add image.repository, or pass --skip-image-check`,
    );
  }
  return { repository, tag, digest };
}
