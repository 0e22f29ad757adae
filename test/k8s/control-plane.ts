// Starts and stops the real control plane (scripts/k8s-up.sh / k8s-down.sh)
// for a test file. If the test process dies before stop(), the watchdog that
// k8s-up.sh starts for K8S_OWNER_PID stops the control plane instead.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT as repoRoot } from '../support/paths.js';
import { KubeApi } from './kube-api.js';

const run = promisify(execFile);

/** A cold build compiles Kubernetes: allow for it on a slow, shared machine. */
const UP_TIMEOUT_MS = 90 * 60_000;

export interface ControlPlane {
  stateDir: string;
  kubeconfig: string;
  api: KubeApi;
  /** The kubeconfig in the environment, for helm. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startControlPlane(): Promise<ControlPlane> {
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [join(repoRoot, 'scripts/k8s-up.sh')], {
      cwd: repoRoot,
      // k8s-up.sh's watchdog stops the control plane when this process is gone,
      // even if the test runner kills it before stop() runs.
      env: { ...process.env, K8S_OWNER_PID: String(process.pid) },
      timeout: UP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    // k8s-up.sh already printed the build or component logs to stderr.
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/k8s-up.sh failed:\n${stderr}`, { cause: error });
  }
  const stateDir = stdout.trim().split('\n').at(-1) ?? '';
  const kubeconfig = join(stateDir, 'kubeconfig');
  readFileSync(kubeconfig); // fails loudly if k8s-up.sh printed something else

  let stopped = false;
  return {
    stateDir,
    kubeconfig,
    api: new KubeApi(kubeconfig),
    env: { ...process.env, KUBECONFIG: kubeconfig },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('bash', [join(repoRoot, 'scripts/k8s-down.sh'), stateDir], { timeout: 60_000 });
    },
  };
}
