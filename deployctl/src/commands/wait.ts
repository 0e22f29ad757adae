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
import {
  type AppSummary,
  type ArgoConnection,
  getApplication,
  summarizeApplication,
  verifyConnection,
} from '../argocd.js';
import { getApplicationEvents, getSyncMilestones } from '../argocd-events.js';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { appendEvent, getEventsFile } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatWait } from '../format.js';
import { fetchBranch, getCommitsBySubject, getFileAtRevision, hasCommit, isAncestor } from '../git.js';
import { getReleaseSubjectPattern, parseReleaseMessage } from '../release-message.js';
import { sleep } from '../retry.js';
import { checkRollouts, createRolloutRecorder, getRolloutRefs, type RolloutRef } from '../rollout.js';
import { verifyAppName, verifyPositiveNumber, verifyRemote, verifySha } from '../validate.js';
import { getImageValues } from '../values-file.js';
import { type Emit, printWarnings, toNumber } from './output.js';

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
  /** One API call's limit (default HTTP_TIMEOUTS.argocdRequestMs); a timed-out poll is retried. */
  requestTimeoutMs?: number;
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
  // Issue 16: with the chart's canary strategy the app holds a Rollout, followed step by step.
  let rolloutRefs: RolloutRef[] = [];
  const recordRollout = createRolloutRecorder(getEventsFile(options.eventsFile));
  // The refresh is asked for until Argo CD has received it: a poll it answered,
  // or one that timed out while Argo CD was refreshing (asking again would only
  // wait for the same refresh). A refused connection or a 5xx asks again.
  let refreshPending = true;
  for (;;) {
    polls++;
    try {
      const app = await getApplication(
        connection,
        options.app,
        refreshPending ? (options.refresh ?? 'normal') : undefined,
        options.requestTimeoutMs,
      );
      last = summarizeApplication(app);
      rolloutRefs = getRolloutRefs(app);
      lastError = undefined;
      refreshPending = false;
    } catch (error) {
      // A refused token or an unknown app will not heal: fail at once. A timeout or
      // a 5xx (an Argo CD under load or restarting, a load balancer hiccup) costs a
      // poll, also the first: `?refresh=normal` is answered only once the controller
      // has refreshed the app, which can outlast one request's timeout. A first poll
      // that reaches nothing at all (refused, unknown host) is a wrong ARGOCD_SERVER.
      if (!(error instanceof DeployctlError) || error.kind !== 'network') throw error;
      if (last === undefined && !isTimedOut(error) && !isServerError(error)) throw error;
      lastError = error;
      if (isTimedOut(error)) refreshPending = false;
    }
    const atRevision =
      lastError === undefined &&
      last !== undefined &&
      (await isRevisionReached(cwd, revision, last.revision));
    // Only once Argo CD has applied the revision: before that the live Rollout is the previous one.
    if (atRevision && last?.syncStatus === 'Synced' && rolloutRefs.length > 0) {
      await checkRollouts(connection, options.app, revision, rolloutRefs, recordRollout);
    }
    if (
      last !== undefined &&
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
      await recordSynced(options, connection, result);
      return result;
    }
    if (lastError === undefined && last !== undefined) {
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

/** What Argo CD's permission check says (controller/sync.go): the AppProject does not allow a kind, namespace or repo. */
const NOT_PERMITTED = /is not permitted in project/;

/**
 * A failed sync of our revision, or Degraded at our revision for longer than the
 * grace period, will not heal by waiting: stop now. The grace covers the moment
 * right after a sync when Argo CD still shows the previous rollout's Degraded
 * health before the Deployment controller starts the new one.
 *
 * A failed sync with retries left stays in phase Running between attempts,
 * with the failed attempt's message and results (Argo CD v3.6.1,
 * controller/appcontroller.go); it turns Failed only when the retries are
 * exhausted (about 5 minutes with the Applications' 5 retries from 10 s). When
 * the failure is the AppProject refusing an object, no retry can succeed, so
 * that fails at once instead of timing out.
 */
function verifyNotFailed(
  app: string,
  revision: string,
  state: AppSummary,
  atRevision: boolean,
  degradedPastGrace: boolean,
) {
  const ours = state.operationRevision === revision || atRevision;
  const operationFailed = state.operationPhase === 'Failed' || state.operationPhase === 'Error';
  const details =
    state.failedResources.length > 0 ? `; failed resources: ${state.failedResources.join(', ')}` : '';
  if (operationFailed && ours) {
    throw new DeployctlError(
      'unhealthy',
      `Argo CD sync of app \`${app}\` at ${revision} ${state.operationPhase}: ${state.operationMessage ?? 'no message'}${details}; see \`argocd app get ${app} --show-operation\`, fix the manifests or roll back with \`deployctl rollback\``,
      { evidence: state },
    );
  }
  if (state.operationPhase === 'Running' && ours && isPermissionError(state)) {
    throw new DeployctlError(
      'unhealthy',
      `Argo CD sync of app \`${app}\` at ${revision} failed: its AppProject does not permit the chart's objects, and Argo CD retries in vain (${formatRetries(state)}): ${state.operationMessage ?? 'no message'}${details}; remove those objects from the chart or roll back with \`deployctl rollback\``,
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

function isPermissionError(state: AppSummary): boolean {
  return (
    NOT_PERMITTED.test(state.operationMessage ?? '') ||
    state.failedResources.some((r) => NOT_PERMITTED.test(r))
  );
}

function formatRetries(state: AppSummary): string {
  const limit = state.retryLimit === undefined || state.retryLimit < 0 ? '' : ` of ${state.retryLimit}`;
  return `retry ${state.retryCount}${limit}`;
}

/** Argo CD (or a proxy in front of it) answered 5xx. */
function isServerError(error: DeployctlError): boolean {
  return ((error.evidence as { status?: number } | undefined)?.status ?? 0) >= 500;
}

/** A request that got no answer in time (the server may still be working on it). */
function isTimedOut(error: DeployctlError): boolean {
  return (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
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

/**
 * The timeline's events: Argo CD's own moments of this sync (argocd-refresh,
 * argocd-synced, argocd-healthy, from its events of the app), then `synced`,
 * the moment wait saw the app Synced and Healthy. Argo CD's events are
 * best-effort: without them the timeline shows those steps as not recorded.
 */
async function recordSynced(options: WaitOptions, connection: ArgoConnection, result: WaitResult) {
  const file = getEventsFile(options.eventsFile);
  if (!file) return;
  const data = { app: result.app, revision: result.syncedRevision };
  try {
    const milestones = getSyncMilestones(
      await getApplicationEvents(connection, options.app),
      result.syncedRevision,
    );
    for (const [event, at] of [
      ['argocd-refresh', milestones.refresh],
      ['argocd-synced', milestones.synced],
      ['argocd-healthy', milestones.healthy],
    ] as const) {
      if (at) await appendEvent(file, { event, at: new Date(at).toISOString(), data });
    }
  } catch (error) {
    printWarnings([
      `cannot read Argo CD's events of \`${options.app}\` for the timeline: ${(error as Error).message}`,
    ]);
  }
  await appendEvent(file, { event: 'synced', at: new Date().toISOString(), data });
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
    .option(
      '--events-file <path>',
      "append the timeline's `argocd-*` and `synced` events here (default: $DEPLOYCTL_EVENTS_FILE)",
    )
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
