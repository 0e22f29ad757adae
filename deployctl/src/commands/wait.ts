/**
 * `wait`: ask Argo CD for an immediate refresh, then poll the Application until
 * it is Synced at the release commit and Healthy.
 *
 * Argo CD reports the GitOps revision it synced, which is the release commit
 * (the commit that changed helm/values-<env>.yaml), not the source commit the
 * image was built from. `--revision` takes the release commit directly;
 * `--commit` with `--env` looks up the release commit for a source commit.
 * A later commit on the branch (a developer's push on top) also carries the
 * release, so a synced revision that descends from it counts too.
 */

import { Command, Option } from 'commander';
import { type AppSummary, getApplication, summarizeApplication, verifyConnection } from '../argocd.js';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { appendEvent, getEventsFile } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatWait } from '../format.js';
import { fetchBranch, getCommitsBySubject, getFileAtRevision, hasCommit, isAncestor } from '../git.js';
import { getReleaseSubjectPattern, parseReleaseMessage } from '../release-message.js';
import { sleep } from '../retry.js';
import { verifyAppName, verifyPositiveNumber, verifyRemote, verifySha } from '../validate.js';
import { getImageValues } from '../values-file.js';
import { type Emit, toNumber } from './output.js';

export interface WaitOptions {
  app: string;
  /** The release commit Argo CD should report. */
  revision?: string;
  /** Or: the source commit, resolved to its release commit on the env's branch. */
  commit?: string;
  env?: string;
  branch?: string;
  remote?: string;
  cwd?: string;
  server?: string;
  token?: string;
  timeoutS: number;
  intervalS?: number;
  refresh?: 'normal' | 'hard';
  /** How long Degraded at our revision may last before failing (default 30s). */
  degradedGraceS?: number;
  eventsFile?: string;
}

export const DEFAULT_DEGRADED_GRACE_S = 30;

export interface WaitResult {
  status: 'synced';
  app: string;
  revision: string;
  syncedRevision: string;
  syncedAt: string | undefined;
  polls: number;
  state: AppSummary;
}

export async function wait(options: WaitOptions): Promise<WaitResult> {
  verifyAppName(options.app);
  const timeoutS = verifyPositiveNumber(options.timeoutS, '--timeout');
  const intervalMs = verifyPositiveNumber(options.intervalS ?? 5, '--interval') * 1000;
  const connection = verifyConnection(
    options.server ?? process.env.ARGOCD_SERVER,
    options.token ?? process.env.ARGOCD_AUTH_TOKEN,
  );
  const cwd = options.cwd ?? process.cwd();
  const revision = await resolveRevision(options, cwd);
  const deadline = Date.now() + timeoutS * 1000;
  const degradedGraceMs = (options.degradedGraceS ?? DEFAULT_DEGRADED_GRACE_S) * 1000;
  let last: AppSummary | undefined;
  let lastError: DeployctlError | undefined;
  let degradedSince: number | undefined;
  let polls = 0;
  for (;;) {
    polls++;
    try {
      const app = await getApplication(
        connection,
        options.app,
        polls === 1 ? (options.refresh ?? 'normal') : undefined,
      );
      last = summarizeApplication(app);
      lastError = undefined;
    } catch (error) {
      // The first call proves the server, app and token; later blips (an Argo CD
      // restart, a load balancer hiccup) only cost a poll.
      if (last === undefined || !(error instanceof DeployctlError) || error.kind !== 'network') throw error;
      lastError = error;
    }
    const atRevision = lastError === undefined && (await isRevisionReached(cwd, revision, last.revision));
    if (
      atRevision &&
      last.syncStatus === 'Synced' &&
      last.health === 'Healthy' &&
      last.operationPhase !== 'Running'
    ) {
      const result: WaitResult = {
        status: 'synced',
        app: options.app,
        revision,
        syncedRevision: last.revision ?? revision,
        syncedAt: last.finishedAt,
        polls,
        state: last,
      };
      await recordSynced(options, result);
      return result;
    }
    if (lastError === undefined) {
      degradedSince = atRevision && last.health === 'Degraded' ? (degradedSince ?? Date.now()) : undefined;
      const degradedFor = degradedSince === undefined ? undefined : Date.now() - degradedSince;
      verifyNotFailed(
        options.app,
        revision,
        last,
        atRevision,
        degradedFor !== undefined && degradedFor >= degradedGraceMs,
      );
    }
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs);
  }
  const unreachable = lastError ? `; the last poll failed: ${lastError.message}` : '';
  throw new DeployctlError(
    'timeout',
    `Argo CD app \`${options.app}\` did not become Synced+Healthy at ${revision} within ${timeoutS}s; last seen: ${formatState(last)}${unreachable}; run \`argocd app get ${options.app}\` and \`argocd app diff ${options.app}\``,
    { evidence: last },
  );
}

export function formatState(state: AppSummary | undefined): string {
  if (!state) return 'nothing (no answer yet)';
  const parts = [
    `sync ${state.syncStatus} at ${state.revision ?? '(no revision)'}`,
    `health ${state.health}${state.healthMessage ? ` (${state.healthMessage})` : ''}`,
  ];
  if (state.operationPhase) {
    parts.push(
      `operation ${state.operationPhase}${state.operationMessage ? `: ${state.operationMessage}` : ''}`,
    );
  }
  if (state.outOfSync.length > 0) parts.push(`out of sync: ${state.outOfSync.join(', ')}`);
  if (state.unhealthy.length > 0) parts.push(`unhealthy: ${state.unhealthy.join(', ')}`);
  if (state.conditions.length > 0) parts.push(`conditions: ${state.conditions.join('; ')}`);
  return parts.join('; ');
}

/**
 * A failed sync of our revision, or Degraded at our revision for longer than the
 * grace period, will not heal by waiting: stop now. The grace covers the moment
 * right after a sync when Argo CD still shows the previous rollout's Degraded
 * health before the Deployment controller starts the new one.
 */
function verifyNotFailed(
  app: string,
  revision: string,
  state: AppSummary,
  atRevision: boolean,
  degradedPastGrace: boolean,
) {
  const operationFailed = state.operationPhase === 'Failed' || state.operationPhase === 'Error';
  if (operationFailed && (state.operationRevision === revision || atRevision)) {
    const details =
      state.failedResources.length > 0 ? `; failed resources: ${state.failedResources.join(', ')}` : '';
    throw new DeployctlError(
      'unhealthy',
      `Argo CD sync of app \`${app}\` at ${revision} ${state.operationPhase}: ${state.operationMessage ?? 'no message'}${details}; see \`argocd app get ${app} --show-operation\`, fix the manifests or roll back with \`deployctl rollback\``,
      { evidence: state },
    );
  }
  if (degradedPastGrace) {
    const details = state.unhealthy.length > 0 ? `: ${state.unhealthy.join(', ')}` : '';
    throw new DeployctlError(
      'unhealthy',
      `Argo CD app \`${app}\` is Degraded at ${revision}${details}; the new pods do not become ready (progress deadline exceeded, crash loop or failing probes): check \`kubectl describe deployment\` and the pod logs, or roll back with \`deployctl rollback\``,
      { evidence: state },
    );
  }
}

async function isRevisionReached(cwd: string, wanted: string, synced: string | undefined): Promise<boolean> {
  if (synced === undefined) return false;
  if (synced === wanted) return true;
  // A newer revision on the branch contains ours if ours is its ancestor. Only local objects
  // are consulted (resolving --commit fetched the branch); no network call per poll.
  try {
    return (await hasCommit(cwd, synced)) && (await isAncestor(cwd, wanted, synced));
  } catch {
    return false;
  }
}

async function resolveRevision(options: WaitOptions, cwd: string): Promise<string> {
  if (options.revision) return verifySha(options.revision, '--revision');
  if (!options.commit || !options.env) {
    throw new DeployctlError(
      'input',
      'wait needs --revision <release commit>, or --commit <source commit> with --env to look the release commit up',
    );
  }
  const commit = verifySha(options.commit, '--commit');
  const branch = getBranchForEnv(options.env, getEnvironmentBranches(), options.branch);
  const remote = verifyRemote(options.remote ?? 'origin');
  const tip = await fetchBranch(cwd, remote, branch);
  const entries = await getCommitsBySubject(cwd, tip, getReleaseSubjectPattern(options.env));
  const found = entries.find((entry) => parseReleaseMessage(entry.message)?.commit === commit);
  if (found) return found.sha;
  // `release` reported "unchanged" (already deployed): the tip deploys it if its values file says so.
  const text = await getFileAtRevision(cwd, tip, getValuesPath(options.env));
  if (text !== undefined && getImageValues(text, getValuesPath(options.env)).tag === commit) return tip;
  throw new DeployctlError(
    'input',
    `no release commit for ${commit} on \`${branch}\`; run \`deployctl release --env ${options.env} --commit ${commit}\` first or pass --revision`,
  );
}

async function recordSynced(options: WaitOptions, result: WaitResult) {
  const file = getEventsFile(options.eventsFile);
  if (!file) return;
  await appendEvent(file, {
    event: 'synced',
    at: result.syncedAt ?? new Date().toISOString(),
    data: { app: result.app, revision: result.syncedRevision },
  });
}

export function waitCommand(emit: Emit): Command {
  return new Command('wait')
    .description(
      'refresh the Argo CD Application, then wait until it is Synced at the release commit and Healthy',
    )
    .requiredOption('--app <name>', 'Argo CD Application name')
    .option('--revision <sha>', 'release commit Argo CD must report')
    .option('--commit <sha>', 'or: source commit, resolved to its release commit (needs --env)')
    .option('--env <env>', 'environment, to resolve --commit')
    .option('--branch <branch>', "override the env's branch")
    .option('--remote <remote>', 'git remote to resolve --commit from', 'origin')
    .option('--server <url>', 'Argo CD server (default: $ARGOCD_SERVER); token from $ARGOCD_AUTH_TOKEN')
    .option('--timeout <s>', 'give up after this many seconds', toNumber, 600)
    .option('--interval <s>', 'seconds between polls', toNumber, 5)
    .option('--degraded-grace <s>', 'fail when Degraded at the revision lasts this long', toNumber, 30)
    .addOption(
      new Option('--refresh <kind>', 'refresh to request first')
        .choices(['normal', 'hard'])
        .default('normal'),
    )
    .option('--events-file <path>', 'append a `synced` timeline event here (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--cwd <dir>', 'git checkout (to resolve revisions)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await wait({
        ...opts,
        timeoutS: opts.timeout,
        intervalS: opts.interval,
        degradedGraceS: opts.degradedGrace,
      });
      emit({ text: formatWait(result), data: result, exitCode: EXIT_CODES.ok });
    });
}
