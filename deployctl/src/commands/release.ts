/**
 * `release`: writes this commit's image into `helm/values-<env>.yaml` on the
 * env's branch (write-back.ts), but only forwards: Git ancestry decides
 * whether the commit is newer than the one deployed, and a commit that was
 * just rolled back is not quietly redeployed.
 */
import { Command } from 'commander';
import { DeployctlError } from '../exit-codes.js';
import { isAncestor } from '../git.js';
import { formatReleaseMessage, parseReleaseMessage } from '../release-message.js';
import { isFullSha, verifyDigest, verifyImageRepository, verifySha } from '../validate.js';
import type { ImageValues } from '../values-file.js';
import type { Emit } from './output.js';
import { getLatestReleaseCommit, isAwaitingFirstRelease } from './release-history.js';
import {
  addWriteOptions,
  type Context,
  emitWriteResult,
  formatImage,
  getContext,
  type ReleaseResult,
  verifyCommitPresent,
  type WriteOptions,
  writeWithRetry,
} from './write-back.js';

export interface ReleaseOptions extends WriteOptions {
  commit: string;
  imageRepository?: string;
  digest?: string;
  /** Replace an image.tag that is not a commit SHA (so no ancestry check is possible). */
  force?: boolean;
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
      const unchecked = await getUncheckedTagProblem(ctx, tip, current);
      if (unchecked === undefined) {
        // A failed first release rolled back to this state is not redeployed by a retry.
        await verifyNotRolledBack(ctx, tip, commit);
        reason = `first release: ${ctx.env} had the first-release marker image.tag "" and no release in effect, now ${commit}`;
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
async function getUncheckedTagProblem(
  ctx: Context,
  tip: string,
  current: ImageValues,
): Promise<string | undefined> {
  if ((current.tag ?? '') !== '') return 'which is not a full 40-character lowercase commit SHA';
  if (await isAwaitingFirstRelease(ctx, tip, current)) return undefined;
  const latest = await getLatestReleaseCommit(ctx, tip);
  if (latest === undefined) return `empty, but image.digest is ${current.digest} (the env runs that image)`;
  return `empty although ${latest.sha} released ${ctx.env} before (the first-release marker "" counts only before the first release, or after a rollback to that state)`;
}

/**
 * A retried pipeline of a commit that was just rolled back must not quietly
 * redeploy it: refuse while the env's latest release commit is the rollback
 * away from it. A newer commit (the fix) releases normally; `rollback --to`
 * still moves there on purpose.
 */
async function verifyNotRolledBack(ctx: Context, tip: string, commit: string) {
  const latest = await getLatestReleaseCommit(ctx, tip);
  const parsed = latest ? parseReleaseMessage(latest.message) : undefined;
  if (parsed?.rollback && parsed.rollbackFrom === commit) {
    throw new DeployctlError(
      'refused',
      `refused: ${commit} was rolled back from ${ctx.env} by ${latest?.sha}; release a fixed commit, or run \`deployctl rollback --env ${ctx.env} --to ${commit}\` to deploy it again on purpose`,
    );
  }
}

export function releaseCommand(emit: Emit): Command {
  return addWriteOptions(
    new Command('release').description(
      "write the commit's image into helm/values-<env>.yaml on the env's branch (refuses to go backwards)",
    ),
  )
    .requiredOption('--commit <sha>', 'full 40-char source commit SHA (the image tag)')
    .option(
      '--image-repository <repo>',
      'image.repository (default: $ECR_REGISTRY/$ECR_REPOSITORY, else as in the file)',
    )
    .option('--digest <sha256:...>', 'image.digest of the pushed image')
    .option(
      '--force',
      'replace an image.tag that is not a commit SHA (`latest`, a hand-set tag), which skips the out-of-order check',
    )
    .option(
      '--allow-skip',
      'exit 0 instead of 10 when a newer commit is already deployed (status stays `skipped`)',
    )
    .action(async (opts) => {
      const result = await release({ ...opts, pushOptions: opts.pushOption });
      await emitWriteResult(emit, result, opts);
    });
}
