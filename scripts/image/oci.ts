// The OCI image layout on disk (https://github.com/opencontainers/image-spec,
// image-layout.md): reading a base image that skopeo copied into one, and
// writing the assembled image as one, then as an oci-archive (a tar of the
// layout, what `buildah push ... oci-archive:` writes and `skopeo copy
// oci-archive:` reads).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Blob, LAYER_MTIME } from './layer.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigFile {
  created?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    StopSignal?: string;
    Labels?: Record<string, string>;
    [key: string]: unknown;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Blob;
  layers: Blob[];
  annotations?: Record<string, string>;
}

export interface Layout {
  dir: string;
  manifest: Manifest;
  config: ImageConfigFile;
}

export function blobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return path.join(layoutDir, 'blobs', algorithm!, hex!);
}

/** The one image of a layout that skopeo wrote (its index.json lists exactly one manifest). */
export function readLayout(dir: string): Layout {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; mediaType: string }[];
  };
  if (index.manifests.length !== 1) {
    throw new Error(`${dir}: expected one image in the OCI layout, found ${index.manifests.length}`);
  }
  const manifest = JSON.parse(readFileSync(blobPath(dir, index.manifests[0]!.digest), 'utf8')) as Manifest;
  if (manifest.mediaType !== MANIFEST_MEDIA_TYPE && manifest.config === undefined) {
    throw new Error(`${dir}: ${index.manifests[0]!.digest} is not an image manifest (${manifest.mediaType})`);
  }
  const config = JSON.parse(readFileSync(blobPath(dir, manifest.config.digest), 'utf8')) as ImageConfigFile;
  return { dir, manifest, config };
}

/** Writes `content` as a blob of the layout; returns its descriptor. */
export function writeBlob(layoutDir: string, mediaType: string, content: string): Blob {
  const hex = createHash('sha256').update(content).digest('hex');
  const file = blobPath(layoutDir, `sha256:${hex}`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return { mediaType, digest: `sha256:${hex}`, size: Buffer.byteLength(content) };
}

/** A hard link where possible (same file system), else a copy; nothing when `to` exists. */
export function linkOrCopy(from: string, to: string): void {
  if (existsSync(to)) return;
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Puts a blob of another layout (or a cache) into this one. */
export function importBlob(fromFile: string, layoutDir: string, digest: string): void {
  linkOrCopy(fromFile, blobPath(layoutDir, digest));
}

/**
 * Writes the manifest, index.json and oci-layout of a layout whose blobs are
 * in place, then tars it into `archive` (sorted, fixed owner and mtime: the
 * same image gives the same archive). Returns the manifest's descriptor.
 */
export function finishLayout(layoutDir: string, manifest: Manifest, archive: string, refName?: string): Blob {
  const manifestBlob = writeBlob(layoutDir, MANIFEST_MEDIA_TYPE, JSON.stringify(manifest));
  const descriptor: Blob & { annotations?: Record<string, string> } = { ...manifestBlob };
  if (refName) descriptor.annotations = { 'org.opencontainers.image.ref.name': refName };
  writeFileSync(
    path.join(layoutDir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [descriptor],
    }),
  );
  writeFileSync(path.join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  // Only the blobs this image references: a reused layout folder may hold others.
  const members = [
    'oci-layout',
    'index.json',
    ...[manifestBlob, manifest.config, ...manifest.layers].map((blob) =>
      path.relative(layoutDir, blobPath(layoutDir, blob.digest)),
    ),
  ];
  mkdirSync(path.dirname(path.resolve(archive)), { recursive: true });
  const tar = spawnSync(
    'tar',
    [
      '--create',
      `--file=${path.resolve(archive)}`,
      '--format=gnu',
      `--mtime=@${LAYER_MTIME}`,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=u=rw,go=r',
      '--hard-dereference',
      '-C',
      layoutDir,
      '--',
      ...[...new Set(members)],
    ],
    { encoding: 'utf8' },
  );
  if (tar.status !== 0) throw new Error(`writing ${archive} failed: ${tar.stderr.trim()}`);
  return manifestBlob;
}

/** `skopeo inspect --format '{{.Digest}}'`: the manifest digest a reference resolves to now. */
export function resolveDigest(reference: string, env: NodeJS.ProcessEnv, tlsVerify: boolean): string {
  const args = ['inspect', '--format', '{{.Digest}}'];
  if (reference.startsWith('docker://')) args.push(`--tls-verify=${tlsVerify}`);
  return execFileSync('skopeo', [...args, reference], { env, encoding: 'utf8' }).trim();
}
