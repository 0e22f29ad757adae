/**
 * The GitOps write-back loop that `release` and `rollback` share: both write
 * `image.*` in `helm/values-<env>.yaml` on the environment's branch as one new
 * commit and push it as a fast-forward, retrying on top of whatever landed
 * meanwhile. What to write is each command's own decision (release.ts,
 * rollback.ts); this module only observes, commits, pushes and retries.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { appendEvent, getEventsFile } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatRelease, formatReleaseDotenv } from '../format.js';
import {
  createFileCommit,
  ensureCommit,
  fetchBranch,
  getCommitTime,
  getFileAtRevision,
  pushCommit,
} from '../git.js';
import { getPushPlan, preparePush } from '../push-credential.js';
import { getBackoffMs, sleep } from '../retry.js';
import { verifyRemote } from '../validate.js';
import { getImageValues, type ImageChanges, type ImageValues, setImageValues } from '../values-file.js';
import { collect, type Emit, printWarnings, toNumber } from './output.js';

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
  /** Where the write-back credential comes from (push-credential.ts; default: process.env). */
  vars?: NodeJS.ProcessEnv;
  /** Runs just before each push; tests use it to move the branch under a release. */
  beforePush?: (attempt: number) => Promise<void>;
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

/** Where a write-back happens: the env, its branch on the remote, and its values file. */
export interface Context {
  env: string;
  cwd: string;
  remote: string;
  branch: string;
  valuesPath: string;
  pipeline: string;
}

export interface Observed {
  tip: string;
  text: string;
  current: ImageValues;
}

export type Decision =
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

/**
 * Every write-back push carries GitLab's `ci.skip` push option: GitLab creates
 * no pipeline for that push, whatever the commit message says. It replaces the
 * `[skip ci]` marker the release commits used to carry, which travelled with
 * the commit: a fast-forward merge of `develop` into the default branch, whose
 * tip is then a `release(dev): …` commit, skipped the prod pipeline too
 * (issue 17). The workflow rules in .gitlab-ci.yml are the second lock: a
 * release commit of the branch's own environment never starts a pipeline.
 */
export const WRITE_BACK_PUSH_OPTIONS = ['ci.skip'] as const;

export function getContext(options: WriteOptions): Context {
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

export function formatImage(repository: string | undefined, tag: string, digest: string | undefined): string {
  return `${repository ?? '<image.repository>'}:${tag}${digest ? `@${digest}` : ''}`;
}

export async function observe(ctx: Context): Promise<Observed> {
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

export async function verifyCommitPresent(ctx: Context, sha: string, what: string) {
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
export async function writeWithRetry(
  ctx: Context,
  kind: ReleaseResult['kind'],
  options: WriteOptions,
  decide: (observed: Observed) => Promise<Decision>,
): Promise<ReleaseResult> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // Which credential and URL, decided before anything is fetched: a missing key fails at once.
  const vars = options.vars ?? process.env;
  const plan = getPushPlan(ctx.remote, vars);
  const prepared = options.dryRun ? undefined : await preparePush(plan, vars);
  try {
    return await writeAttempts(ctx, kind, options, decide, maxAttempts, plan.warnings, prepared);
  } finally {
    await prepared?.cleanup();
  }
}

async function writeAttempts(
  ctx: Context,
  kind: ReleaseResult['kind'],
  options: WriteOptions,
  decide: (observed: Observed) => Promise<Decision>,
  maxAttempts: number,
  planWarnings: string[],
  prepared: Awaited<ReturnType<typeof preparePush>> | undefined,
): Promise<ReleaseResult> {
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
      warnings: [...planWarnings, ...(decision.action === 'write' ? (decision.warnings ?? []) : [])],
    };
    if (decision.action === 'stop') return { ...base, status: decision.status, releaseCommit: undefined };
    const updated = setImageValues(observed.text, ctx.valuesPath, decision.changes);
    if (options.dryRun || prepared === undefined) {
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
    const pushOptions = [...new Set([...WRITE_BACK_PUSH_OPTIONS, ...(options.pushOptions ?? [])])];
    const target = { remote: ctx.remote, destination: prepared.destination, env: prepared.env };
    let push = await pushCommit(ctx.cwd, { ...target, sha: releaseCommit, branch: ctx.branch, pushOptions });
    if (push.status === 'push-options-refused') {
      // A plain git server (a bare repository without receive.advertisePushOptions,
      // the local rehearsal's remote) refuses push options; GitLab never does.
      // Without ci.skip the workflow rule still keeps the release commit from
      // starting a pipeline on GitLab, so push anyway and say so.
      base.warnings = [
        ...base.warnings,
        `remote \`${ctx.remote}\` does not accept push options; pushed without ${pushOptions.join(', ')}`,
      ];
      push = await pushCommit(ctx.cwd, { ...target, sha: releaseCommit, branch: ctx.branch });
    }
    if (push.status === 'pushed' || push.status === 'up-to-date') {
      await recordReleaseEvent(ctx, options, decision.commit, releaseCommit);
      return { ...base, status: 'released', releaseCommit };
    }
    if (push.status !== 'rejected') {
      throw new DeployctlError('internal', `push to \`${ctx.branch}\` failed: ${push.status}`);
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

/** The flags `release` and `rollback` share. */
export function addWriteOptions(command: Command): Command {
  return command
    .requiredOption('--env <env>', 'environment: dev or prod (DEPLOYCTL_ENV_BRANCHES adds more)')
    .option(
      '--branch <branch>',
      "override the env's branch (default: dev → develop, prod → $CI_DEFAULT_BRANCH or main)",
    )
    .option('--remote <remote>', 'git remote to fetch from and push to', 'origin')
    .option('--pipeline <url>', 'Release-Pipeline trailer (default: $CI_PIPELINE_URL)')
    .option('--max-attempts <n>', 'push attempts when the branch moved', toNumber, 8)
    .option(
      '--push-option <option>',
      'another git push option (repeatable); ci.skip is always sent, unless the remote accepts none',
      collect,
    )
    .option('--events-file <path>', 'append a timeline event here (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--dotenv <path>', 'write DEPLOYCTL_RELEASE_STATUS/_COMMIT for later jobs (GitLab dotenv report)')
    .option('--cwd <dir>', 'the git checkout to work in (default: current directory)')
    .option('--dry-run', 'show the commit that would be pushed; write nothing')
    .option('--json', 'print the result as JSON');
}

/**
 * Prints the warnings, writes the dotenv report, and hands the result on. A
 * skipped release (a newer commit is deployed) exits 10 so CI can tell it
 * apart, or 0 with --allow-skip, for a job that should pass then (the status
 * is still in --json and --dotenv).
 */
export async function emitWriteResult(
  emit: Emit,
  result: ReleaseResult,
  opts: { dotenv?: string; allowSkip?: boolean },
): Promise<void> {
  printWarnings(result.warnings);
  if (opts.dotenv) await writeFile(opts.dotenv, formatReleaseDotenv(result));
  const exitCode = result.status === 'skipped' && !opts.allowSkip ? EXIT_CODES.skipped : EXIT_CODES.ok;
  emit({ text: formatRelease(result), data: result, exitCode });
}
