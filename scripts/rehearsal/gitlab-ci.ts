/**
 * GitLab CI/CD's part: a fresh checkout of a pushed commit per pipeline (as a
 * runner makes it) and the real .gitlab-ci.yml's jobs run in it by
 * gitlab-ci-local (shell executor), one call per job so each stage is timed.
 * gitlab-ci-local keeps the artifacts and dotenv reports of earlier calls in
 * the checkout, so `needs:` works across calls.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

/** Runs one job of the checkout's .gitlab-ci.yml; its output streams to stderr. Returns its duration. */
export async function runJob(
  checkout: Checkout,
  job: string,
  variables: Record<string, string>,
): Promise<StageTime> {
  say(`pipeline ${checkout.name}: job ${job}`);
  const args = ['--force-shell-executor', '--no-color'];
  for (const [key, value] of Object.entries({ ...variables, ...checkout.pipelineVars })) {
    args.push('--variable', `${key}=${value}`);
  }
  const started = performance.now();
  const child = spawn(GITLAB_CI_LOCAL, [...args, job], {
    cwd: checkout.dir,
    env: jobEnvironment(),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) fail(`job ${job} of pipeline ${checkout.name} failed (exit ${code})`);
  return { pipeline: checkout.name, job, seconds: (performance.now() - started) / 1000 };
}
