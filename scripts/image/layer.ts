// One image layer, byte for byte reproducible: a tar of a staging folder with
// every entry owned by 0:0, modes normalised (u=rwX,go=rX: 0644 files, 0755
// folders and executables, as a 022 umask gives), one fixed mtime, entries
// sorted by name and no atime/ctime/xattrs; then gzip (zlib, fixed level, no
// name or time in the header). The same tree gives the same digest on any run.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * The mtime of every file in an assembled layer: 2000-01-01T00:00:00Z, the
 * "portable mtime" of Bazel's pkg_tar. Fixed rather than the commit time, so
 * the production packages' layer (keyed by the lockfile) is the same blob for
 * every commit and can be cached.
 */
export const LAYER_MTIME = 946_684_800;

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface Layer extends Blob {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
}

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

function hashing(hash: ReturnType<typeof createHash>, count?: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      if (count) count.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * Tars everything under `staging` (its top-level entries, sorted) into a
 * gzipped layer blob under `blobsDir` (named by its digest).
 */
export async function writeLayer(staging: string, blobsDir: string): Promise<Layer> {
  const top = readdirSync(staging).sort();
  if (top.length === 0) throw new Error(`layer staging folder ${staging} is empty`);
  mkdirSync(blobsDir, { recursive: true });
  const tar = spawn(
    'tar',
    [
      '--create',
      '--file=-',
      '--format=gnu',
      '--sort=name',
      `--mtime=@${LAYER_MTIME}`,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=u=rwX,go=rX',
      '--hard-dereference',
      '--no-acls',
      '--no-xattrs',
      '--no-selinux',
      '-C',
      staging,
      '--',
      ...top,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => resolve(code ?? 1));
  });
  const diffId = createHash('sha256');
  const digest = createHash('sha256');
  const size = { bytes: 0 };
  const partial = path.join(blobsDir, `.partial-${process.pid}-${Date.now()}`);
  await pipeline(
    tar.stdout,
    hashing(diffId),
    createGzip({ level: 6 }),
    hashing(digest, size),
    createWriteStream(partial),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${staging} failed (exit ${code}): ${stderr.trim()}`);
  const hex = digest.digest('hex');
  renameSync(partial, path.join(blobsDir, hex));
  return {
    mediaType: LAYER_MEDIA_TYPE,
    digest: `sha256:${hex}`,
    size: size.bytes,
    diffId: `sha256:${diffId.digest('hex')}`,
  };
}
