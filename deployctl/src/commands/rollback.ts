/**
 * `rollback`: moves the env back to the previous release (or `--to`) with a
 * new commit through the same write-back loop (write-back.ts). The out-of-order
 * guard does not apply (that is the point); the target must be on the env's
 * branch and its image must still be in the registry.
 */
import { Command } from 'commander';
import { DeployctlError } from '../exit-codes.js';
import { isAncestor } from '../git.js';
import { type ImageReference, verifyImageExists } from '../registry.js';
import { formatReleaseMessage, NO_RELEASE } from '../release-message.js';
import { verifySha } from '../validate.js';
import type { Emit } from './output.js';
import { findPreviousRelease, findReleaseOf, type RollbackTarget } from './release-history.js';
import {
  addWriteOptions,
  type Context,
  type Decision,
  emitWriteResult,
  formatImage,
  getContext,
  type Observed,
  type ReleaseResult,
  verifyCommitPresent,
  type WriteOptions,
  writeWithRetry,
} from './write-back.js';

export interface RollbackOptions extends WriteOptions {
  /** Target commit; default: the release before the one deployed now. */
  to?: string;
  /** Do not ask the registry whether the target's image exists (prints a warning). */
  skipImageCheck?: boolean;
  /** Where the registry credentials come from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
  /**
   * Roll back only while the env still runs this commit (`verify
   * --rollback-on-failure`): checked on every attempt against the branch tip
   * the push builds on, so a newer release that lands meanwhile is never rolled back.
   */
  onlyFrom?: string;
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
    const current = observed.current;
    if (options.onlyFrom !== undefined && current.tag !== options.onlyFrom) {
      return {
        action: 'stop',
        status: 'skipped',
        commit: current.tag ?? '',
        image: formatImage(current.repository, current.tag ?? '', current.digest || undefined),
        reason: `skipped: ${ctx.env} runs ${current.tag || '(empty)'} now, not ${options.onlyFrom}: it has moved on since (a newer release or a rollback), and that is not undone`,
      };
    }
    const target: RollbackTarget = to
      ? { kind: 'release', commit: to, values: await findReleaseOf(ctx, observed.tip, to) }
      : await findPreviousRelease(ctx, observed);
    if (target.kind === 'no-release') return toFirstReleaseState(ctx, observed, target.why);
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
 * A failed first release has nothing earlier to return to: the env goes back
 * to the state before it, `image.tag: ""` with no digest, which the chart
 * renders as 0 replicas (`image.waitForRelease`), and `status` reports as
 * waiting for the first release. No image to check; the next release of a
 * newer commit needs no --force, a release of this one is refused as usual.
 */
function toFirstReleaseState(ctx: Context, observed: Observed, why: string): Decision {
  const from = observed.current.tag ?? '';
  return {
    action: 'write',
    commit: NO_RELEASE,
    image: 'none (no release: 0 replicas)',
    changes: { tag: '', digest: observed.current.digest ? '' : undefined },
    message: formatReleaseMessage({
      env: ctx.env,
      commit: NO_RELEASE,
      image: 'none',
      pipeline: ctx.pipeline,
      rollbackFrom: from,
    }),
    reason: `rolls ${ctx.env} back from ${from} to the state before its first release (image.tag "", no pods): ${why}`,
  };
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

export function rollbackCommand(emit: Emit): Command {
  return addWriteOptions(
    new Command('rollback').description(
      'move the env back to the previous release (or --to) with a new commit; auto-sync stays on',
    ),
  )
    .option('--to <sha>', 'commit to roll back to (default: the release before the current one)')
    .option(
      '--skip-image-check',
      "do not ask the registry whether the target's image exists (prints a warning)",
    )
    .action(async (opts) => {
      const result = await rollback({ ...opts, pushOptions: opts.pushOption });
      await emitWriteResult(emit, result, opts);
    });
}
