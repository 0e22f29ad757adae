// The real Argo Rollouts controller for test/rollouts: built and cached by
// scripts/ensure-rollouts.sh, run as a local process with the control plane's admin
// kubeconfig, its CRDs applied from the same cache.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ControlPlane } from '../k8s/control-plane.js';
import type { KubeObject } from '../k8s/kube-api.js';
import { readCrds } from '../k8s/tools.js';
import { freePort } from '../support/net.js';
import { REPO_ROOT } from '../support/paths.js';
import { stopProcess } from '../support/process.js';

const run = promisify(execFile);

/** The cache directory (bin/, crds/) of scripts/ensure-rollouts.sh; builds on first use. */
export async function ensureRollouts(): Promise<string> {
  const { stdout } = await run('bash', [path.join(REPO_ROOT, 'scripts/ensure-rollouts.sh')], {
    cwd: REPO_ROOT,
    timeout: 60 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/** Applies the Rollouts CRDs and waits until the API server serves them. */
export async function installCrds(cp: ControlPlane, cacheDir: string): Promise<string[]> {
  const crds = readCrds(path.join(cacheDir, 'crds'));
  for (const crd of crds) await cp.api.apply(crd);
  for (const crd of crds) {
    await cp.api.waitFor(`CRD ${crd.metadata.name} Established`, 60_000, async () => {
      const live = await cp.api.get<
        KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
      >(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
  return crds.map((crd) => crd.metadata.name);
}

export interface Controller {
  logFile: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Starts `rollouts-controller` against the control plane; its health and metrics ports on 127.0.0.1. */
export async function startController(cp: ControlPlane, cacheDir: string): Promise<Controller> {
  const logFile = path.join(cp.stateDir, 'logs', 'rollouts-controller.log');
  const log = createWriteStream(logFile);
  const [metricsPort, healthzPort] = [await freePort(), await freePort()];
  const child = spawn(
    path.join(cacheDir, 'bin', 'rollouts-controller'),
    [
      '--kubeconfig',
      cp.kubeconfig,
      '--leader-elect=false',
      '--metricsport',
      String(metricsPort),
      '--healthzPort',
      String(healthzPort),
      '--loglevel',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAMESPACE: 'argo-rollouts' } },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const logTail = (lines = 40) => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`rollouts-controller exited (${child.exitCode}):\n${logTail()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${healthzPort}/healthz`, {
        signal: AbortSignal.timeout(2000),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`rollouts-controller not healthy after 120 s:\n${logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    logFile,
    logTail,
    async stop() {
      await stopProcess(child);
      log.end();
    },
  };
}
