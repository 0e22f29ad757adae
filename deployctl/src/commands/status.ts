/**
 * `status`: what each environment runs according to Git (the image its values
 * file names on its branch), its last releases with their trailers, and Argo
 * CD's view when a server and `--app` are given. Read-only. `--get <path>`
 * prints one value of one env's status, for scripts that need just that.
 */
import { Command } from 'commander';
import { type AppSummary, getApplication, summarizeApplication, verifyConnection } from '../argocd.js';
import { getChartValues, getExpectedReplicas, getValue, isWaitingForRelease } from '../chart-values.js';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatStatus } from '../format.js';
import { fetchBranch, getFileAtRevision } from '../git.js';
import { verifyAppName, verifyPositiveNumber, verifyRemote } from '../validate.js';
import { getImageValues, type ImageValues } from '../values-file.js';
import { type Emit, toNumber } from './output.js';
import { getReleases, type ReleaseEntry } from './release-history.js';

export interface StatusOptions {
  /** One environment; default: every environment of the env → branch map. */
  env?: string;
  branch?: string;
  remote?: string;
  cwd?: string;
  /** How many releases to list per environment (default 5). */
  releases?: number;
  app?: string;
  server?: string;
  token?: string;
  vars?: NodeJS.ProcessEnv;
}

export interface ArgoStatus {
  app: string;
  state: AppSummary | undefined;
  /** Why Argo CD could not be asked (the Git part of the status still holds). */
  error: string | undefined;
}

export interface EnvironmentStatus {
  env: string;
  branch: string;
  /** The branch tip that was read. */
  tip: string;
  valuesPath: string;
  image: ImageValues;
  /** What the chart makes answer: the HPA minimum or replicaCount; 0 while waiting for the first release. */
  expectedReplicas: number;
  /**
   * No release in effect: the values file has the first-release marker (no tag,
   * no digest) and the chart runs no pods (`image.waitForRelease`), before the
   * first release or after a failed one was rolled back.
   */
  waitingForFirstRelease: boolean;
  releases: ReleaseEntry[];
  argocd: ArgoStatus | undefined;
}

export interface StatusResult {
  environments: EnvironmentStatus[];
  /** Environments whose branch does not exist (yet) on the remote; only without --env. */
  missing: { env: string; branch: string; reason: string }[];
}

export const DEFAULT_RELEASES_SHOWN = 5;

export async function getStatus(options: StatusOptions): Promise<StatusResult> {
  const vars = options.vars ?? process.env;
  const branches = getEnvironmentBranches(vars);
  const remote = verifyRemote(options.remote ?? 'origin');
  const cwd = options.cwd ?? process.cwd();
  const count = verifyPositiveNumber(options.releases ?? DEFAULT_RELEASES_SHOWN, '--releases');
  if ((options.branch || options.app) && !options.env) {
    throw new DeployctlError('input', '--branch and --app name one environment: pass --env <env> too');
  }
  if (options.app) verifyAppName(options.app);
  const server = options.server ?? vars.ARGOCD_SERVER;
  const connection =
    options.app && server ? verifyConnection(server, options.token ?? vars.ARGOCD_AUTH_TOKEN) : undefined;
  const envs = options.env ? [options.env] : [...branches.keys()];
  const environments: EnvironmentStatus[] = [];
  const missing: StatusResult['missing'] = [];
  for (const env of envs) {
    const branch = getBranchForEnv(env, branches, options.env ? options.branch : undefined);
    const valuesPath = getValuesPath(env);
    let tip: string;
    try {
      tip = await fetchBranch(cwd, remote, branch);
    } catch (error) {
      // Listing every env: one without its branch yet (no `develop`) is part of the answer.
      if (options.env || !(error instanceof DeployctlError) || error.kind !== 'input') throw error;
      missing.push({ env, branch, reason: error.message });
      continue;
    }
    const text = await getFileAtRevision(cwd, tip, valuesPath);
    if (text === undefined) {
      throw new DeployctlError(
        'input',
        `${valuesPath} does not exist on branch \`${branch}\` (${tip.slice(0, 12)}); commit the values file for env \`${env}\` first`,
      );
    }
    const ctx = { env, cwd, remote, branch, valuesPath };
    let argocd: ArgoStatus | undefined;
    if (connection && options.app) {
      argocd = await getArgoStatus(connection, options.app);
    }
    const values = await getChartValues(cwd, tip, env);
    const waitingForFirstRelease = isWaitingForRelease(values);
    environments.push({
      env,
      branch,
      tip,
      valuesPath,
      image: getImageValues(text, valuesPath),
      expectedReplicas: waitingForFirstRelease ? 0 : getExpectedReplicas(values),
      waitingForFirstRelease,
      releases: await getReleases(ctx, tip, count),
      argocd,
    });
  }
  return { environments, missing };
}

async function getArgoStatus(
  connection: ReturnType<typeof verifyConnection>,
  app: string,
): Promise<ArgoStatus> {
  try {
    return { app, state: summarizeApplication(await getApplication(connection, app)), error: undefined };
  } catch (error) {
    if (!(error instanceof DeployctlError)) throw error;
    return { app, state: undefined, error: error.message };
  }
}

/** `--get image.tag`: one value of the one env's status, as plain text. */
export function getStatusValue(result: StatusResult, path: string): string {
  const [only] = result.environments;
  if (result.environments.length !== 1 || only === undefined) {
    throw new DeployctlError('input', '--get reads one environment: pass --env <env>');
  }
  const value = getValue(only, path);
  if (value === undefined || value === null) {
    throw new DeployctlError(
      'input',
      `the status of ${only.env} has no \`${path}\`; see \`deployctl status --env ${only.env} --json\` for the paths (e.g. image.tag, expectedReplicas, releases.0.commit)`,
    );
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function statusCommand(emit: Emit): Command {
  return new Command('status')
    .description(
      "what each env runs according to Git (its values file on its branch), its last releases, and Argo CD's state",
    )
    .option('--env <env>', 'one environment (default: all of them)')
    .option('--branch <branch>', "with --env: override the env's branch")
    .option('--remote <remote>', 'git remote to read the env branches from', 'origin')
    .option('--releases <n>', 'releases to list per environment', toNumber, DEFAULT_RELEASES_SHOWN)
    .option('--app <name>', "with --env: the env's Argo CD Application (asked when ARGOCD_SERVER is set)")
    .option('--server <url>', 'Argo CD server (default: $ARGOCD_SERVER); token from $ARGOCD_AUTH_TOKEN')
    .option('--get <path>', 'with --env: print only this value, e.g. image.tag or expectedReplicas')
    .option('--cwd <dir>', 'the git checkout')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await getStatus(opts);
      const text = opts.get ? `${getStatusValue(result, opts.get)}\n` : formatStatus(result);
      emit({ text, data: result, exitCode: EXIT_CODES.ok });
    });
}
