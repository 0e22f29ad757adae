// Working containers of a built image (buildah from/mount/run) and reading
// their files: how the tests look inside the image and run its entrypoint.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageConfigFile } from '../../scripts/image/oci.js';
import { buildah, imageEnv } from './commands.js';

/** An image's OCI config (what a runtime acts on): the one type of scripts/image/oci.ts. */
export type ImageConfig = ImageConfigFile['config'];

/** The OCI config of a local image. */
export async function imageConfig(image: string): Promise<ImageConfig> {
  const json = await buildah(['inspect', '--type', 'image', image]);
  return (JSON.parse(json) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
}

export interface WorkingContainer {
  id: string;
  /** The container's root filesystem on the host. */
  root: string;
  remove(): Promise<void>;
}

/** A working container of `image` with its root filesystem mounted on the host. */
export async function mountImage(image: string): Promise<WorkingContainer> {
  const id = await buildah(['from', '--pull=false', '--quiet', image]);
  const root = await buildah(['mount', id]);
  return {
    id,
    root,
    remove: async () => {
      await buildah(['umount', id]).catch(() => undefined);
      await buildah(['rm', id]);
    },
  };
}

/** Every path under `root` (relative, with a leading /), not following symlinks. */
export function listTree(root: string, skip: Set<string> = new Set()): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (skip.has(rel)) continue;
      found.push(rel);
      if (entry.isDirectory()) walk(rel);
    }
  };
  walk('/');
  return found;
}

/** size and mtime of every path except `skip`: compared before and after a run to find writes. */
export function snapshot(root: string, skip: Set<string>): Map<string, string> {
  const state = new Map<string, string>();
  for (const rel of listTree(root, skip)) {
    const stat = lstatSync(path.join(root, rel));
    state.set(rel, `${stat.mode}:${stat.size}:${stat.mtimeMs}`);
  }
  return state;
}

/** Paths added, removed or changed between two snapshots. */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed = new Set<string>();
  for (const [rel, state] of after) if (before.get(rel) !== state) changed.add(rel);
  for (const rel of before.keys()) if (!after.has(rel)) changed.add(rel);
  return [...changed].sort();
}

/** Paths a container runtime always mounts or creates; not the image's writes. */
export const RUNTIME_PATHS = new Set(['/tmp', '/proc', '/sys', '/dev', '/run']);

/**
 * The closest buildah 1.28 gets to `--read-only`: every top-level directory of
 * the root filesystem bind-mounted read-only onto itself, except /tmp (left
 * writable, as an emptyDir would be in Kubernetes) and the kernel filesystems.
 * The files the runtime bind-mounts host files onto (/etc/hosts, ...) are made
 * first, since the runtime cannot create them inside a read-only /etc.
 */
export function readOnlyRootMounts(root: string): string[] {
  for (const file of ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname']) {
    const target = path.join(root, file);
    if (!existsSync(target)) writeFileSync(target, '');
  }
  const volumes: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const rel = `/${entry.name}`;
    if (!entry.isDirectory() || RUNTIME_PATHS.has(rel)) continue;
    volumes.push('--volume', `${path.join(root, entry.name)}:${rel}:ro`);
  }
  return volumes;
}

export interface RunningContainer {
  process: ChildProcess;
  output(): string;
}

/** `buildah run` of a command in a working container (chroot isolation, host network). */
export async function startInContainer(
  container: WorkingContainer,
  command: string[],
  extraArgs: string[],
): Promise<RunningContainer> {
  const env = await imageEnv();
  const child = spawn(
    'buildah',
    ['run', '--isolation', 'chroot', '--network', 'host', ...extraArgs, container.id, '--', ...command],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { process: child, output: () => output };
}

/** PIDs of the descendants of `pid` (from /proc), children first. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = /^PPid:\s+(\d+)/m.exec(status);
      if (ppid) parents.set(Number(entry), Number(ppid[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const [child, parent] of parents) {
      if (parent === current) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** argv of a process, or [] when it is gone. */
export function processArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The real UID of a process. */
export function processUid(pid: number): number {
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!uid) throw new Error(`no Uid line in /proc/${pid}/status`);
  return Number(uid[1]);
}

/**
 * Every path under `root` with what makes two images' files the same: type,
 * permission bits, owner, and the sha256 of a file's content (a symlink's
 * target). mtimes are left out: the two builders stamp different times.
 */
export function fileManifest(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const rel of listTree(root)) {
    const full = path.join(root, rel);
    const stat = lstatSync(full);
    const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
    let what: string;
    if (stat.isSymbolicLink()) what = `link ${readlinkSync(full)}`;
    else if (stat.isDirectory()) what = 'dir';
    else if (stat.isFile()) what = `file ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
    else what = 'other';
    files.set(rel, `${what} ${mode} ${stat.uid}:${stat.gid}`);
  }
  return files;
}
