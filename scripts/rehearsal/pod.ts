/**
 * STAND-IN for the kubelet: pods on KWOK nodes run no containers, so once
 * Argo CD has rolled the Deployment, the rehearsal runs the image that the
 * Deployment now names (read from the Kubernetes API, not from the values
 * file) as one pod would: the image's entrypoint as its user, with buildah
 * (chroot isolation, host network) from the local registry. verify then checks
 * that process, so it checks the image Argo CD actually deployed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeApi } from '../../test/k8s/kube-api.js';
import { freePort, waitForStatus } from '../../test/support/net.js';
import { exitedWithin } from '../../test/support/process.js';
import { fail } from './report.js';

const run = promisify(execFile);

interface Deployment {
  spec: { template: { spec: { containers: { image: string }[] } } };
}

/** Waits until the Deployment's container names the image of `sha` (tag, optionally @digest); returns that reference. */
export async function waitForDeployedImage(
  api: KubeApi,
  namespace: string,
  name: string,
  sha: string,
  timeoutMs: number,
): Promise<string> {
  const wanted = new RegExp(`:${sha}(@sha256:[0-9a-f]{64})?$`);
  return api.waitFor(`Deployment ${namespace}/${name} naming the image of ${sha}`, timeoutMs, async () => {
    const live = await api.get<Deployment>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
    const image = live.spec.template.spec.containers[0]?.image;
    return image && wanted.test(image) ? image : undefined;
  });
}

export interface Pod {
  image: string;
  url: string;
  stop(): Promise<void>;
}

/** buildah with the environment scripts/lib/buildah-env.sh set up (with-image-store.sh exported it). */
async function buildah(...args: string[]): Promise<string> {
  return (await run('buildah', args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

/** Runs `image` (a reference the Deployment names) on a fresh loopback port until /readyz answers. */
export async function runPod(image: string, logDir: string, instanceId: string): Promise<Pod> {
  // containers/image takes a tag or a digest, not both: the digest is what was deployed.
  const pullRef = image.replace(/:[^/@]+@sha256:/, '@sha256:');
  const container = await buildah(
    'from',
    '--quiet',
    '--pull-always',
    '--tls-verify=false',
    `docker://${pullRef}`,
  );
  const user = await buildah('inspect', '--format', '{{.OCIv1.Config.User}}', container);
  const workdir = await buildah('inspect', '--format', '{{.OCIv1.Config.WorkingDir}}', container);
  const port = await freePort();
  const log = openSync(join(logDir, `pod-${instanceId}.log`), 'w');
  // Its own process group (detached), so `buildah run` → chroot exec → node stop with one signal.
  const child: ChildProcess = spawn(
    'buildah',
    [
      'run',
      '--isolation',
      'chroot',
      '--network',
      'host',
      '--user',
      user || '10001',
      '--workingdir',
      workdir || '/app',
      ...['--env', `PORT=${port}`, '--env', 'METRICS_PORT=0', '--env', 'HOST=127.0.0.1'],
      ...['--env', `INSTANCE_ID=${instanceId}`, '--env', 'SHUTDOWN_DRAIN_DELAY_SECONDS=0'],
      container,
      '--',
      'node',
      'service/dist/server.js',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      if ((await exitedWithin(child, 10_000)) === 'timeout') process.kill(-child.pid, 'SIGKILL');
    }
    await buildah('rm', container).catch(() => undefined);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForStatus(`${url}/readyz`, 200, 120_000, {
      giveUpIf: () => (child.exitCode !== null ? new Error(`exited with ${child.exitCode}`) : undefined),
    });
  } catch (error) {
    await stop();
    fail(
      `the image ${image} did not become ready (${(error as Error).message}); see ${logDir}/pod-${instanceId}.log`,
    );
  }
  return { image, url, stop };
}
