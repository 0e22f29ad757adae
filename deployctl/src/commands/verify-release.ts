/**
 * `verify --env`: the verify job's whole decision in one call. Is there still
 * something to verify (the env may already run a newer commit)? Wait for Argo
 * CD when it is configured, verify every replica and the golden examples, and
 * with --rollback-on-failure roll the env back in Git when that fails, but
 * only while the env still runs this commit: a newer release is never rolled
 * back. The outcome is data (status, each step's result, the rollback); the
 * exit code is 0 (verified), 10 (superseded) or the failure's own code.
 */
import { verifyConnection } from '../argocd.js';
import { getChartValues, getExpectedReplicas } from '../chart-values.js';
import {
  getBranchForEnv,
  getEnvironmentBranches,
  getNamespaceForEnv,
  getValuesPath,
} from '../environments.js';
import { DeployctlError, type ErrorKind, EXIT_CODES, getExitCode } from '../exit-codes.js';
import { ensureCommit, fetchBranch, getFileAtRevision, isAncestor } from '../git.js';
import { isFullSha, verifyAppName, verifyPositiveNumber, verifyRemote, verifySha } from '../validate.js';
import { getImageValues } from '../values-file.js';
import { rollback } from './rollback.js';
import { getServiceEndpoint, type ServiceTargetOptions, type VerifyResult, verify } from './verify.js';
import { type WaitResult, wait } from './wait.js';
import type { ReleaseResult } from './write-back.js';

export interface VerifyReleaseOptions extends ServiceTargetOptions {
  env: string;
  commit: string;
  /** Default: the HPA minimum or replicaCount of the env's values on its branch. */
  replicas?: number;
  timeoutS?: number;
  intervalS?: number;
  modelCard?: string;
  /** Argo CD Application to wait for; waits only when a server is configured too. */
  app?: string;
  server?: string;
  token?: string;
  waitTimeoutS?: number;
  rollbackOnFailure?: boolean;
  skipImageCheck?: boolean;
  /** Rollback: show it, write nothing. */
  dryRun?: boolean;
  branch?: string;
  remote?: string;
  pipeline?: string;
  pushOptions?: string[];
  eventsFile?: string;
  cwd?: string;
  /** Where ARGOCD_SERVER/ARGOCD_AUTH_TOKEN and the registry credentials come from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export type VerifyReleaseStatus = 'verified' | 'superseded' | 'failed' | 'rolled-back';

export interface StepFailure {
  kind: ErrorKind | 'internal';
  exitCode: number;
  message: string;
  evidence?: unknown;
}

export interface VerifyReleaseResult {
  status: VerifyReleaseStatus;
  env: string;
  branch: string;
  commit: string;
  /** image.tag on the env's branch when verify started. */
  deployedCommit: string | undefined;
  url: string;
  replicas: number;
  reason: string;
  /** Argo CD's part: its result, or why it was not asked. */
  wait: WaitResult | undefined;
  waitSkipped: string | undefined;
  verify: VerifyResult | undefined;
  failure: StepFailure | undefined;
  rollback: ReleaseResult | undefined;
  rollbackFailure: StepFailure | undefined;
}

export const DEFAULT_WAIT_TIMEOUT_S = 600;

function toFailure(error: unknown): StepFailure {
  if (!(error instanceof DeployctlError)) throw error;
  return { kind: error.kind, exitCode: getExitCode(error), message: error.message, evidence: error.evidence };
}

/** 0 verified, 10 superseded (0 with allowSkip), else the code of the failed step. */
export function getVerifyReleaseExitCode(result: VerifyReleaseResult, allowSkip = false): number {
  if (result.status === 'verified') return EXIT_CODES.ok;
  if (result.status === 'superseded') return allowSkip ? EXIT_CODES.ok : EXIT_CODES.skipped;
  return result.failure?.exitCode ?? EXIT_CODES.internal;
}

export async function verifyRelease(options: VerifyReleaseOptions): Promise<VerifyReleaseResult> {
  // Everything a flag or variable can get wrong is checked before anything runs.
  const vars = options.vars ?? process.env;
  const commit = verifySha(options.commit, '--commit');
  const env = options.env;
  const branch = getBranchForEnv(env, getEnvironmentBranches(vars), options.branch);
  const remote = verifyRemote(options.remote ?? 'origin');
  const cwd = options.cwd ?? process.cwd();
  const waitTimeoutS = verifyPositiveNumber(options.waitTimeoutS ?? DEFAULT_WAIT_TIMEOUT_S, '--wait-timeout');
  if (options.replicas !== undefined) verifyPositiveNumber(options.replicas, '--replicas');
  if (options.app) verifyAppName(options.app);
  const server = options.server ?? vars.ARGOCD_SERVER;
  const token = options.token ?? vars.ARGOCD_AUTH_TOKEN;
  const askArgo = Boolean(options.app && server);
  if (askArgo) verifyConnection(server, token);
  // Through the Kubernetes API the Service is in the env's namespace (argocd/application*.yaml).
  const viaKube = options.kubeApiServer !== undefined || options.eksCluster !== undefined;
  const namespace = options.namespace ?? getNamespaceForEnv(env);
  if (viaKube && namespace === undefined) {
    throw new DeployctlError(
      'input',
      `env \`${env}\` has no known namespace; pass --namespace (where its Argo CD Application deploys the chart)`,
    );
  }
  const endpoint = await getServiceEndpoint({ ...options, vars }, namespace);

  const valuesPath = getValuesPath(env);
  const tip = await fetchBranch(cwd, remote, branch);
  const text = await getFileAtRevision(cwd, tip, valuesPath);
  if (text === undefined) {
    throw new DeployctlError(
      'input',
      `${valuesPath} does not exist on branch \`${branch}\` (${tip.slice(0, 12)}); commit the values file for env \`${env}\` first`,
    );
  }
  const deployedCommit = getImageValues(text, valuesPath).tag;
  const replicas = options.replicas ?? getExpectedReplicas(await getChartValues(cwd, tip, env));
  const base = {
    env,
    branch,
    commit,
    deployedCommit,
    url: endpoint.url,
    replicas,
    wait: undefined,
    waitSkipped: undefined,
    verify: undefined,
    failure: undefined,
    rollback: undefined,
    rollbackFailure: undefined,
  };

  if (await isSuperseded(cwd, remote, commit, deployedCommit)) {
    return {
      ...base,
      status: 'superseded',
      reason: `skipped: ${env} already runs ${deployedCommit}, which contains ${commit}; nothing to verify (that commit's own pipeline verifies it)`,
    };
  }

  let waitResult: WaitResult | undefined;
  let waitSkipped: string | undefined;
  let failure: StepFailure | undefined;
  if (askArgo && options.app) {
    try {
      waitResult = await wait({
        app: options.app,
        commit,
        env,
        branch,
        remote,
        cwd,
        server,
        token,
        timeoutS: waitTimeoutS,
        eventsFile: options.eventsFile,
      });
    } catch (error) {
      failure = toFailure(error);
    }
  } else {
    waitSkipped = options.app
      ? 'ARGOCD_SERVER is not set: not asking Argo CD; verify waits for the webhook/poll-driven sync'
      : 'no --app: not asking Argo CD; verify waits for the sync';
  }

  let verifyResult: VerifyResult | undefined;
  if (failure === undefined) {
    try {
      verifyResult = await verify({
        endpoint,
        commit,
        replicas,
        timeoutS: options.timeoutS,
        intervalS: options.intervalS,
        modelCard: options.modelCard,
        cwd,
        eventsFile: options.eventsFile,
      });
    } catch (error) {
      failure = toFailure(error);
    }
  }
  const steps = { ...base, wait: waitResult, waitSkipped, verify: verifyResult };
  if (failure === undefined) {
    return { ...steps, status: 'verified', reason: `${env} serves ${commit} on ${replicas} replica(s)` };
  }
  if (!options.rollbackOnFailure) {
    return {
      ...steps,
      status: 'failed',
      failure,
      reason: `verify failed; not rolling back (no --rollback-on-failure)`,
    };
  }
  try {
    const rolledBack = await rollback({
      env,
      branch,
      remote,
      cwd,
      pipeline: options.pipeline,
      pushOptions: options.pushOptions,
      eventsFile: options.eventsFile,
      skipImageCheck: options.skipImageCheck,
      dryRun: options.dryRun,
      vars,
      onlyFrom: commit,
    });
    if (rolledBack.status === 'skipped') {
      return { ...steps, status: 'failed', failure, rollback: rolledBack, reason: rolledBack.reason };
    }
    return {
      ...steps,
      status: rolledBack.status === 'released' ? 'rolled-back' : 'failed',
      failure,
      rollback: rolledBack,
      reason: rolledBack.reason,
    };
  } catch (error) {
    const rollbackFailure = toFailure(error);
    return {
      ...steps,
      status: 'failed',
      failure,
      rollbackFailure,
      reason: `the rollback failed too: ${rollbackFailure.message}; run the manual rollback-${env} job`,
    };
  }
}

/** Does the env already run a commit that contains ours (its release was skipped, or a newer one landed)? */
async function isSuperseded(
  cwd: string,
  remote: string,
  commit: string,
  deployed: string | undefined,
): Promise<boolean> {
  if (!isFullSha(deployed) || deployed === commit) return false;
  if (!(await ensureCommit(cwd, remote, deployed)) || !(await ensureCommit(cwd, remote, commit)))
    return false;
  return isAncestor(cwd, commit, deployed);
}
