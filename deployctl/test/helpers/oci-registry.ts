/**
 * A real OCI registry for the rollback image check: Debian's `docker-registry`
 * (the CNCF distribution registry, which also stands in for ECR in
 * scripts/pipeline-local.sh) on 127.0.0.1, plain HTTP, no auth. Images are
 * pushed through the distribution API itself: one config blob and a manifest
 * without layers, which is all a HEAD of the manifest needs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENSURE_IMAGE_TOOLS = fileURLToPath(new URL('../../../scripts/ensure-image-tools.sh', import.meta.url));

export interface Registry {
  /** host:port */
  host: string;
  /** Pushes a tiny image as `name:tag`; returns its manifest digest. */
  pushImage: (name: string, tag: string) => Promise<string>;
  stop: () => Promise<void>;
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function waitForRegistry(base: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(`${base}/v2/`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${base}/v2/`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export async function startRegistry(): Promise<Registry> {
  if (!hasCommand('docker-registry')) {
    // The repository's own installer (root + apt); it says what to run when it cannot.
    execFileSync('bash', [ENSURE_IMAGE_TOOLS], { stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'deployctl-registry-'));
  const host = `127.0.0.1:${await getFreePort()}`;
  const config = join(dir, 'registry.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: warn }\nstorage:\n  filesystem: { rootdirectory: ${dir}/data }\nhttp:\n  addr: ${host}\n`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const base = `http://${host}`;
  await waitForRegistry(base, Date.now() + 20_000);

  const pushImage = async (name: string, tag: string): Promise<string> => {
    const configBlob = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
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
    if (response.status !== 201)
      throw new Error(`manifest: HTTP ${response.status} ${await response.text()}`);
    return sha256(manifest);
  };

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { host, pushImage, stop };
}
