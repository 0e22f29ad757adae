/**
 * A real OCI registry on 127.0.0.1: Debian's `docker-registry` (the CNCF
 * distribution registry, what ECR speaks, and the ECR stand-in of
 * scripts/rehearsal/main.ts), plain HTTP, no auth, with a temporary config and storage.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForStatus } from './net.js';
import { REPO_ROOT } from './paths.js';
import { stopProcess } from './process.js';

export interface Registry {
  /** host:port, as image names and `--registry` take it. */
  host: string;
  /**
   * Pushes a tiny image as `name:tag` through the distribution API itself (one config
   * blob, a manifest without layers: all a HEAD of the manifest needs); returns its digest.
   * `labels` go into the image config (e.g. org.opencontainers.image.revision).
   */
  pushImage(name: string, tag: string, labels?: Record<string, string>): Promise<string>;
  /** Ends the registry and deletes its storage. */
  stop(): Promise<void>;
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Starts docker-registry on a free loopback port (installing it first if it is missing). */
export async function startRegistry(): Promise<Registry> {
  if (!hasCommand('docker-registry')) {
    // The repository's own installer (root + apt); it says what to run when it cannot.
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'ensure-image-tools.sh')], { stdio: 'inherit' });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'test-registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://${host}`;
  try {
    await waitForStatus(`${base}/v2/`, 200, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, pushImage: (name, tag, labels) => pushImage(base, name, tag, labels), stop };
}

async function pushImage(
  base: string,
  name: string,
  tag: string,
  labels?: Record<string, string>,
): Promise<string> {
  const configBlob = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    ...(labels ? { config: { Labels: labels } } : {}),
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDigest = sha256(configBlob);
  const upload = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(upload.headers.get('location')!, base);
  location.searchParams.set('digest', configDigest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: configBlob,
  });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${await put.text()}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(configBlob),
    },
    layers: [],
  });
  const response = await fetch(`${base}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest: HTTP ${response.status} ${await response.text()}`);
  return sha256(manifest);
}
