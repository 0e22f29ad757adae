// Runs the real command-line tools of the image tests (buildah, skopeo, the
// project's scripts) with the storage/isolation settings of
// scripts/lib/buildah-env.sh, so tests and scripts share one local image store.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

/** Generous: a cold vfs build on a shared 2-core machine takes minutes. */
export const BUILD_TIMEOUT_MS = 40 * 60_000;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a command to its end; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

/** Runs a command and returns its stdout; rejects with the command and its stderr when it fails. */
export async function check(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const tail = result.stderr.split('\n').slice(-40).join('\n');
    throw new Error(`\`${cmd} ${args.join(' ')}\` exited with ${result.code}:\n${tail}`);
  }
  return result.stdout;
}

let imageEnvironment: NodeJS.ProcessEnv | undefined;

/** process.env plus what scripts/lib/buildah-env.sh exports (storage.conf, isolation). */
export async function imageEnv(): Promise<NodeJS.ProcessEnv> {
  if (!imageEnvironment) {
    const stdout = await check('bash', [
      '-c',
      '. scripts/lib/buildah-env.sh && printf "%s\\n" "$CONTAINERS_STORAGE_CONF" "$BUILDAH_ISOLATION" "$STORAGE_DRIVER" "$IMAGE_CACHE_DIR"',
    ]);
    const [storageConf, isolation, driver, cacheDir] = stdout.trim().split('\n');
    imageEnvironment = {
      ...process.env,
      CONTAINERS_STORAGE_CONF: storageConf,
      BUILDAH_ISOLATION: isolation,
      STORAGE_DRIVER: driver,
      IMAGE_CACHE_DIR: cacheDir,
    };
  }
  return imageEnvironment;
}

/** buildah with the shared storage settings; returns trimmed stdout. */
export async function buildah(args: string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  return (await check('buildah', args, { env: await imageEnv(), timeoutMs })).trim();
}

/** skopeo with the shared storage settings; returns stdout. */
export async function skopeo(args: string[]): Promise<string> {
  return check('skopeo', args, { env: await imageEnv() });
}

/** KEY=VALUE lines of a script's stdout as a map (the scripts' machine-readable results). */
export function parseKeyValues(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

/**
 * IMAGE_UNDER_TEST (docs/contracts.md): unset or empty, the image suite builds
 * its own image (`npm test`); `oci-archive:<path>` makes it test that archive,
 * the build-image job's artifact (the image-test job). Anything else, or an
 * archive that is not there, stops the suite: testing some other image and
 * passing would be worse than failing.
 */
export function getImageUnderTest(
  value: string | undefined,
): { reference: string; path: string } | undefined {
  if (!value) return undefined;
  const match = /^oci-archive:(.+)$/.exec(value);
  if (!match?.[1]) {
    throw new Error(
      `IMAGE_UNDER_TEST=${value} is not oci-archive:<path>; unset it to build the image, or point it at the build-image job's archive`,
    );
  }
  const file = path.resolve(REPO_ROOT, match[1]);
  if (!existsSync(file) || statSync(file).size === 0) {
    throw new Error(
      `IMAGE_UNDER_TEST=${value}: ${file} is missing or empty; the build-image job's artifact did not arrive (re-run build-image), or unset IMAGE_UNDER_TEST to build the image here`,
    );
  }
  return { reference: `oci-archive:${file}`, path: file };
}
