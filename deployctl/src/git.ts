/**
 * Git, the one external system the write-back talks to. Everything goes through
 * the `git` binary (the pipeline's checkout, its remote and credentials) and
 * through plumbing commands, so a release never touches the working tree or
 * HEAD of the checkout it runs in.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployctlError } from './exit-codes.js';
import { isHostKeyFailure } from './push-credential.js';

export interface GitRun {
  stdout: string;
  stderr: string;
  code: number;
}

interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** What runGit adds to stderr when git died of SIGPIPE (the remote hung up mid-transfer). */
const HUNG_UP = 'git was killed by SIGPIPE: the remote hung up during the transfer';

// Named so a hung remote (credential prompt, dead network) cannot stall a CI job.
export const GIT_NETWORK_TIMEOUT_MS = 120_000;
const GIT_LOCAL_TIMEOUT_MS = 30_000;

/**
 * Transports a remote may use, unless the caller's environment sets its own list:
 * remote helpers such as `ext::` (runs any command) and `fd::` are never needed
 * here. Defence in depth behind verifyRemote (issue 13, point 9).
 */
export const GIT_ALLOWED_PROTOCOLS = 'file:git:http:https:ssh';

function runGit(cwd: string, args: string[], options: RunOptions = {}, timeoutMs = GIT_LOCAL_TIMEOUT_MS) {
  return new Promise<GitRun>((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      // Never prompt for credentials in CI: fail with a message instead of hanging.
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_ALLOW_PROTOCOL: process.env.GIT_ALLOW_PROTOCOL || GIT_ALLOWED_PROTOCOLS,
        ...options.env,
      },
      // stdin only when there is input: a git command that exits without reading it would EPIPE.
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (cause) =>
      reject(new DeployctlError('internal', `cannot run \`git ${args[0]}\`; is git installed?`, { cause })),
    );
    child.on('close', (code, signal) => {
      // SIGPIPE: git wrote to a remote that had hung up (a concurrent push can
      // make the receiving side exit early). Not a timeout: the exit says what
      // happened, and pushRef treats it as a push to retry after a fetch.
      if (signal === 'SIGPIPE') {
        resolve({ stdout, stderr: `${stderr}\n${HUNG_UP}`, code: 141 });
        return;
      }
      if (signal) {
        reject(
          new DeployctlError(
            'network',
            `\`git ${args.join(' ')}\` was stopped (${signal}) after ${timeoutMs}ms`,
          ),
        );
        return;
      }
      resolve({ stdout, stderr, code: code ?? 1 });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {
        // git exited before reading all input; its exit code reports the real problem.
      });
      child.stdin.end(options.input);
    }
  });
}

async function runGitOk(cwd: string, args: string[], options: RunOptions = {}, timeoutMs?: number) {
  const run = await runGit(cwd, args, options, timeoutMs);
  if (run.code !== 0) {
    throw new DeployctlError('internal', `\`git ${args.join(' ')}\` failed in ${cwd}: ${run.stderr.trim()}`);
  }
  return run.stdout;
}

export async function getRepoRoot(cwd: string): Promise<string> {
  const run = await runGit(cwd, ['rev-parse', '--show-toplevel']);
  if (run.code !== 0) {
    throw new DeployctlError(
      'input',
      `${cwd} is not inside a git checkout; run deployctl from the repository`,
    );
  }
  return run.stdout.trim();
}

export async function isShallow(cwd: string): Promise<boolean> {
  return (await runGitOk(cwd, ['rev-parse', '--is-shallow-repository'])).trim() === 'true';
}

export async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  return (await runGit(cwd, ['cat-file', '-e', '--end-of-options', `${sha}^{commit}`])).code === 0;
}

/** `git merge-base --is-ancestor`: exit 0 yes, 1 no, anything else is an error. */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const run = await runGit(cwd, ['merge-base', '--is-ancestor', '--', ancestor, descendant]);
  if (run.code === 0) return true;
  if (run.code === 1) return false;
  throw new DeployctlError('internal', `cannot compare ${ancestor} and ${descendant}: ${run.stderr.trim()}`);
}

/** A remote may be a name or a URL (or `.`/`..` paths); those get a fixed tracking namespace. */
export function getTrackingRef(remote: string, branch: string): string {
  const name = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(remote) ? remote : 'deployctl-remote';
  return `refs/remotes/${name}/${branch}`;
}

/**
 * Fetches one branch into its remote-tracking ref and returns the tip. A shallow
 * checkout (GitLab's default GIT_DEPTH) is deepened first, because ancestry
 * across the shallow boundary would read as "not an ancestor".
 */
export async function fetchBranch(cwd: string, remote: string, branch: string): Promise<string> {
  const trackingRef = getTrackingRef(remote, branch);
  // `--` ends the options: a remote or branch can never become one (`--upload-pack=<cmd>`).
  const args = ['fetch', '--quiet', '--no-tags', '--', remote, `+refs/heads/${branch}:${trackingRef}`];
  if (await isShallow(cwd)) args.splice(1, 0, '--unshallow');
  const run = await runGit(cwd, args, {}, GIT_NETWORK_TIMEOUT_MS);
  if (run.code !== 0) {
    const detail = run.stderr.trim();
    if (/couldn't find remote ref/i.test(detail)) {
      throw new DeployctlError(
        'input',
        `branch \`${branch}\` does not exist on remote \`${remote}\`; create it or pass --branch`,
      );
    }
    throw new DeployctlError(
      'network',
      `cannot fetch \`${branch}\` from remote \`${remote}\`: ${detail}; check the remote URL and the write-back credential`,
    );
  }
  return (await runGitOk(cwd, ['rev-parse', '--verify', '--end-of-options', trackingRef])).trim();
}

/** Makes sure a commit is present locally, fetching it by SHA if needed. */
export async function ensureCommit(cwd: string, remote: string, sha: string): Promise<boolean> {
  if (await hasCommit(cwd, sha)) return true;
  if (await isShallow(cwd))
    await runGit(cwd, ['fetch', '--quiet', '--unshallow', '--', remote], {}, GIT_NETWORK_TIMEOUT_MS);
  if (await hasCommit(cwd, sha)) return true;
  await runGit(cwd, ['fetch', '--quiet', '--no-tags', '--', remote, sha], {}, GIT_NETWORK_TIMEOUT_MS);
  return hasCommit(cwd, sha);
}

/** The file's text at a revision, or undefined if the path does not exist there. */
export async function getFileAtRevision(cwd: string, rev: string, path: string): Promise<string | undefined> {
  const run = await runGit(cwd, ['cat-file', 'blob', '--end-of-options', `${rev}:${path}`]);
  return run.code === 0 ? run.stdout : undefined;
}

export async function getCommitTime(cwd: string, rev: string): Promise<string> {
  return (await runGitOk(cwd, ['show', '-s', '--format=%cI', '--end-of-options', rev])).trim();
}

export interface CommitEntry {
  sha: string;
  committedAt: string;
  message: string;
}

/** Commits reachable from `rev` whose subject matches `subjectPattern` (a basic regexp), newest first. */
export async function getCommitsBySubject(
  cwd: string,
  rev: string,
  subjectPattern: string,
  max = 200,
): Promise<CommitEntry[]> {
  const out = await runGitOk(cwd, [
    'log',
    `--max-count=${max}`,
    `--grep=${subjectPattern}`,
    '--format=%H%x1f%cI%x1f%B%x1e',
    '--end-of-options',
    rev,
  ]);
  return out
    .split('\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [sha = '', committedAt = '', message = ''] = record.split('\x1f');
      return { sha, committedAt, message };
    });
}

async function getIdentityEnv(cwd: string): Promise<NodeJS.ProcessEnv> {
  // CI runners often have no git identity; the release commit is the pipeline's own.
  const name = (await runGit(cwd, ['config', 'user.name'])).stdout.trim();
  const email = (await runGit(cwd, ['config', 'user.email'])).stdout.trim();
  const env: NodeJS.ProcessEnv = {};
  if (!name && !process.env.GIT_AUTHOR_NAME) {
    env.GIT_AUTHOR_NAME = 'deployctl';
    env.GIT_COMMITTER_NAME = 'deployctl';
  }
  if (!email && !process.env.GIT_AUTHOR_EMAIL) {
    env.GIT_AUTHOR_EMAIL = 'deployctl@noreply.invalid';
    env.GIT_COMMITTER_EMAIL = 'deployctl@noreply.invalid';
  }
  return env;
}

/**
 * Creates (without checking out) a commit on top of `parent` that changes one
 * file, through a throw-away index. Returns the new commit's SHA; nothing
 * points at it until it is pushed.
 */
export async function createFileCommit(
  cwd: string,
  options: { parent: string; path: string; content: string; message: string },
): Promise<string> {
  const { parent, path, content, message } = options;
  const indexDir = await mkdtemp(join(tmpdir(), 'deployctl-index-'));
  try {
    const env = { ...(await getIdentityEnv(cwd)), GIT_INDEX_FILE: join(indexDir, 'index') };
    const listing = await runGitOk(cwd, ['ls-tree', '--end-of-options', parent, '--', path]);
    const mode = listing.split(' ')[0] || '100644';
    const blob = (await runGitOk(cwd, ['hash-object', '-w', '--stdin'], { input: content })).trim();
    await runGitOk(cwd, ['read-tree', '--end-of-options', parent], { env });
    await runGitOk(cwd, ['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
    const tree = (await runGitOk(cwd, ['write-tree'], { env })).trim();
    return (
      await runGitOk(cwd, ['commit-tree', tree, '-p', parent, '-F', '-'], { env, input: message })
    ).trim();
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

export type PushOutcome =
  | { status: 'pushed' | 'up-to-date' }
  | { status: 'rejected'; detail: string }
  /** The server does not accept push options (a plain git server without `receive.advertisePushOptions`). */
  | { status: 'push-options-refused'; detail: string };

/**
 * Pushes a commit to a branch without force: the remote accepts it only as a
 * fast-forward. "The branch moved" (non-fast-forward, fetch first, or a lost
 * ref-lock race on the server) is a `rejected` outcome the caller retries;
 * anything else (auth, protected branch, hook) is an error.
 */
export async function pushCommit(
  cwd: string,
  options: {
    remote: string;
    sha: string;
    branch: string;
    dryRun?: boolean;
    pushOptions?: string[];
    /** Where to push instead of `remote` (the project URL of the write-back credential, push-credential.ts). */
    destination?: string;
    /** Extra environment for this push only (GIT_SSH_COMMAND, the token's credential helper). */
    env?: NodeJS.ProcessEnv;
  },
): Promise<PushOutcome> {
  const { remote, sha, branch } = options;
  const destination = options.destination ?? remote;
  const args = ['push', '--porcelain'];
  if (options.dryRun) args.push('--dry-run');
  for (const option of options.pushOptions ?? []) args.push('--push-option', option);
  args.push('--', destination, `${sha}:refs/heads/${branch}`);
  const run = await runGit(cwd, args, { env: options.env }, GIT_NETWORK_TIMEOUT_MS);
  const refLine = run.stdout.split('\n').find((line) => line.includes(`refs/heads/${branch}`)) ?? '';
  if (run.code === 0) return { status: refLine.includes('[up to date]') ? 'up-to-date' : 'pushed' };
  if (/receiving end does not support push options/.test(run.stderr)) {
    return { status: 'push-options-refused', detail: run.stderr.trim() };
  }
  const moved =
    /\[rejected\]|cannot lock ref|failed to update ref|incorrect old value|reference already exists/;
  // A remote that hung up mid-push (SIGPIPE) may or may not have taken it: the
  // caller fetches and decides again, as after a rejection (never assumes).
  if (moved.test(refLine) || moved.test(run.stderr) || run.stderr.includes(HUNG_UP)) {
    return { status: 'rejected', detail: (refLine || run.stderr).trim() };
  }
  if (isHostKeyFailure(run.stderr)) {
    throw new DeployctlError(
      'network',
      `push to \`${branch}\` at ${destination} failed: the server's SSH host key is not one of the known hosts (${run.stderr.trim().split('\n').at(-1) ?? ''}); nothing was pushed. Check GITOPS_SSH_KNOWN_HOSTS against the fingerprints your GitLab instance publishes; never turn host key checking off`,
    );
  }
  throw new DeployctlError(
    'network',
    `push to \`${branch}\` on ${destination === remote ? `remote \`${remote}\`` : destination} failed: ${(run.stderr || refLine).trim()}; check that the write-back credential may push to this branch`,
  );
}

export async function getRemoteUrl(cwd: string, remote: string): Promise<string | undefined> {
  const run = await runGit(cwd, ['remote', 'get-url', '--', remote]);
  return run.code === 0 ? run.stdout.trim() : undefined;
}
