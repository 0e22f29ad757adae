/**
 * GitLab CI/CD's part: a fresh checkout of a pushed commit per pipeline (as a
 * runner makes it) and the real .gitlab-ci.yml's jobs run in it by
 * gitlab-ci-local (shell executor), one call per job so each stage is timed.
 * gitlab-ci-local keeps the artifacts and dotenv reports of earlier calls in
 * the checkout, so `needs:` works across calls.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../test/support/paths.js';
import { fail, type StageTime, say } from './report.js';

const run = promisify(execFile);
const GITLAB_CI_LOCAL = join(REPO_ROOT, 'node_modules', '.bin', 'gitlab-ci-local');
/** The workspaces whose node_modules a checkout gets (hard links: what `npm ci` would install). */
const WORKSPACES = ['packages/model-contract', 'service', 'training', 'deployctl', 'infra'];

export interface Checkout {
  name: string;
  dir: string;
  /** The pipeline's own times, pinned so the timeline measures from the push, not from each call. */
  pipelineVars: Record<string, string>;
}

/** Clones `pushUrl` at `sha` into WORK/checkout-NAME, on branch main tracking origin/main. */
export async function createCheckout(
  work: string,
  name: string,
  pushUrl: string,
  sha: string,
): Promise<Checkout> {
  const dir = join(work, `checkout-${name}`);
  await run('git', ['clone', '--quiet', pushUrl, dir]);
  const git = (...args: string[]) => run('git', args, { cwd: dir });
  await git('checkout', '--quiet', '-B', 'main', sha);
  await git('branch', '--quiet', '--set-upstream-to=origin/main', 'main');
  await git('config', 'user.name', 'GitLab CI (pipeline)');
  await git('config', 'user.email', 'ci@example.com');
  // gitlab-ci-local derives the project path from this remote; origin stays the served repository.
  await git('remote', 'add', 'gcl-origin', 'https://gitlab.example.com/group/mlops-inference-chain.git');
  await run('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules')]);
  for (const ws of WORKSPACES) {
    const modules = join(REPO_ROOT, ws, 'node_modules');
    if (existsSync(modules)) await run('cp', ['-al', modules, join(dir, ws, 'node_modules')]);
  }
  const { stdout: committed } = await git('log', '-1', '--format=%cI', sha);
  return {
    name,
    dir,
    pipelineVars: {
      CI_COMMIT_TIMESTAMP: committed.trim(),
      CI_PIPELINE_CREATED_AT: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    },
  };
}

/**
 * gitlab-ci-local hands this process's environment to the jobs. Run inside a real
 * GitLab job (`e2e: [pipeline]`), GitLab's own CI_* and GITLAB_* variables would make
 * the rehearsal's jobs believe they run on GitLab: drop them.
 */
function jobEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CI_') && !name.startsWith('GITLAB_')),
  );
}

/** How a job runs: `cold` as on a fresh runner (the `--cold` measurement). */
export interface JobMode {
  /**
   * A runner's fresh job: gitlab-ci-local's shell isolation (its own build
   * directory with the tracked files only, so no node_modules and no tools
   * of an earlier job), an empty HOME, and only what GitLab's `cache:` and
   * artifacts hand over (gitlab-ci-local keeps both in the state directory
   * that all of the rehearsal's pipelines share, as one project's runner
   * cache would be).
   */
  cold: boolean;
}

/**
 * Cold mode's one exception: the `tools` job of a project's first pipeline
 * (pipeline 1 of `--cold`) builds helm, the control plane, Argo CD and Argo
 * Rollouts from Go modules into GitLab's tools cache. It is setup, not part of
 * the measured push (pipeline 2 has no tools job), so it may use this machine's
 * Go build and module caches, as a runner with a persistent Go cache would:
 * minutes instead of most of an hour. Empty when this machine has no `go`.
 */
async function machineGoCaches(): Promise<Record<string, string>> {
  try {
    const { stdout } = await run('go', ['env', 'GOCACHE', 'GOMODCACHE']);
    const [gocache, gomodcache] = stdout.trim().split('\n');
    return gocache && gomodcache ? { GOCACHE: gocache, GOMODCACHE: gomodcache } : {};
  } catch {
    return {};
  }
}

const PREDEFINED_SET_ON_PURPOSE = new Set([
  'CI_COMMIT_TIMESTAMP',
  'CI_PIPELINE_CREATED_AT',
  'CI_PROJECT_DIR',
]);

/** The state directory every checkout's jobs share (caches, artifacts), relative to a checkout. */
const SHARED_STATE_DIR = '../gitlab-ci-local-state';

/** Runs one job of the checkout's .gitlab-ci.yml; its output streams to stderr. Returns its duration. */
export async function runJob(
  checkout: Checkout,
  job: string,
  variables: Record<string, string>,
  mode: JobMode = { cold: false },
): Promise<StageTime> {
  say(
    `pipeline ${checkout.name}: job ${job}${mode.cold ? ` (cold: fresh build directory, empty HOME${job === 'tools' ? "; this machine's Go caches" : ''})` : ''}`,
  );
  const args = ['--force-shell-executor', '--no-color'];
  const env = jobEnvironment();
  const jobVariables = { ...variables, ...checkout.pipelineVars };
  if (mode.cold) {
    args.push('--shell-isolation', '--state-dir', SHARED_STATE_DIR);
    // gitlab-ci-local gives a job with `image:` the container's CI_PROJECT_DIR
    // (/builds/<group>/<project>) even under --force-shell-executor, where the job
    // runs in its own build directory: every job's $CI_PROJECT_DIR/.npm and .cache
    // would then be one directory on this machine, warm across jobs and pipelines.
    jobVariables.CI_PROJECT_DIR = jobDir(checkout, job, mode);
    if (job === 'tools') Object.assign(jobVariables, await machineGoCaches());
    env.HOME = mkdtempSync(join(checkout.dir, '..', `home-${checkout.name}-`));
    delete env.XDG_CACHE_HOME;
    delete env.npm_config_cache;
  } else {
    // A warm runner: the check jobs find the tools in this machine's tools cache
    // (scripts/lib/tools.sh), which the rehearsal's own control plane and Argo CD
    // already use, instead of an empty one in each pipeline's checkout.
    jobVariables.XDG_CACHE_HOME = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  }
  for (const [key, value] of Object.entries(jobVariables)) {
    args.push('--variable', `${key}=${value}`);
  }
  // The predefined variables the rehearsal sets on purpose (the pipeline's own
  // times; cold: the job's build directory): no warning for each job.
  const predefined = Object.keys(jobVariables).filter((key) => PREDEFINED_SET_ON_PURPOSE.has(key));
  if (predefined.length > 0) args.push('--ignore-predefined-vars', predefined.join(','));
  const started = performance.now();
  const child = spawn(GITLAB_CI_LOCAL, [...args, job], {
    cwd: checkout.dir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0)
    fail(`job ${job} of pipeline ${checkout.name} failed (exit ${code}) after ${seconds.toFixed(1)}s`);
  // Each duration as it is known, so a run cut short still has its figures.
  process.stderr.write(`pipeline-local: pipeline ${checkout.name}: ${job} took ${seconds.toFixed(1)}s\n`);
  return { pipeline: checkout.name, job, seconds };
}

/** Where a job of this checkout ran: the checkout itself, or (cold) its isolated build directory. */
export function jobDir(checkout: Checkout, job: string, mode: JobMode): string {
  // gitlab-ci-local's directory name for a job (its safeJobName, Utils.safeDockerString):
  // each run of unsafe characters base64url-encoded (`test: [service]` → `testOiBbserviceXQ`).
  return mode.cold
    ? resolve(
        checkout.dir,
        SHARED_STATE_DIR,
        'builds',
        job.replace(/[^\w-]+/g, (unsafe) => Buffer.from(unsafe).toString('base64url')),
      )
    : checkout.dir;
}

interface PreviewJob {
  needs?: Array<string | { job: string }>;
}

/** The jobs gitlab-ci-local would run in this checkout's pipeline with these variables (not when:never). */
async function pipelineJobs(checkout: Checkout, variables: Record<string, string>): Promise<Set<string>> {
  const args = ['--list-json', '--no-json-schema-validation'];
  for (const [key, value] of Object.entries(variables)) args.push('--variable', `${key}=${value}`);
  const { stdout } = await run(GITLAB_CI_LOCAL, args, {
    cwd: checkout.dir,
    env: jobEnvironment(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const jobs = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ name: string; when: string }>;
  return new Set(jobs.filter((job) => job.when !== 'never').map((job) => job.name));
}

/**
 * The release gate as the checkout's .gitlab-ci.yml says it (the jobs
 * publish-image waits for, build-image aside), split by whether a job itself
 * waits for the build (an image test of the built archive does). `first`:
 * the jobs the gate's own jobs wait for (the `tools` job, which fills the tools
 * cache of chart-checks), when this pipeline has them (`variables`: TOOLS_BUILD).
 */
export async function gateJobs(
  checkout: Checkout,
  variables: Record<string, string> = {},
): Promise<{ first: string[]; beforeBuild: string[]; afterBuild: string[] }> {
  const { stdout } = await run(GITLAB_CI_LOCAL, ['--preview', '--no-json-schema-validation'], {
    cwd: checkout.dir,
    env: jobEnvironment(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const ci: Record<string, PreviewJob> = Object.assign(
    {},
    ...parseAllDocuments(stdout).map((doc) => (doc.toJS() as Record<string, PreviewJob> | null) ?? {}),
  );
  const needs = (name: string) => (ci[name]?.needs ?? []).map((n) => (typeof n === 'string' ? n : n.job));
  // Not `doctor`: it checks the GitLab project's own settings (the AWS variables,
  // the OIDC token), which the rehearsal's stand-ins replace (LOCAL_REHEARSAL);
  // deployctl's tests cover it. It is no check of the commit, and takes seconds.
  const needed = needs('publish-image').filter((name) => name !== 'build-image' && name !== 'doctor');
  // A job that a gate job waits for comes first, and only when the pipeline has it.
  const prerequisites = new Set(needed.flatMap(needs).filter((name) => name !== 'build-image'));
  const gate = needed.filter((name) => !prerequisites.has(name));
  if (gate.length === 0)
    fail('publish-image waits for no check: the release gate is missing from .gitlab-ci.yml');
  const active = await pipelineJobs(checkout, variables);
  const first = [...prerequisites].filter((name) => active.has(name));
  // A job with `parallel:` (the `test` matrix, deployctl-tests' shards) runs as its
  // instances, by the names gitlab-ci-local gives them (`test: [service]`, `deployctl-tests: [1/2]`).
  const instances = (name: string): string[] => {
    const found = [...active].filter((job) => job === name || job.startsWith(`${name}: [`));
    if (found.length === 0) fail(`publish-image waits for ${name}, which this pipeline does not run`);
    return found;
  };
  const afterBuild = gate.filter((name) => needs(name).includes('build-image')).flatMap(instances);
  const beforeBuild = gate.filter((name) => !needs(name).includes('build-image')).flatMap(instances);
  return { first, beforeBuild, afterBuild };
}
