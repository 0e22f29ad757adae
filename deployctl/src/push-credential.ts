/**
 * Which credential the GitOps write-back pushes with, and to which URL: the
 * one decision about it, made from the job's variables (issue 17, "The
 * write-back token needs a paid tier"). scripts/ci/lib.sh only calls
 * `deployctl push-credential` to fail early; release and rollback push through
 * `getPushPlan` + `preparePush`.
 *
 * - `GITOPS_PUSH_SSH_KEY` (a deploy key with write access, every GitLab tier):
 *   push to the project's SSH URL `git@<host>:<project>.git` with
 *   `ssh -i <key> -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes` and a
 *   known-hosts file of exactly `GITOPS_SSH_KNOWN_HOSTS`, or for gitlab.com the
 *   host keys GitLab publishes. Never StrictHostKeyChecking=no.
 * - `GITOPS_PUSH_TOKEN` (a project access token, Premium/Ultimate on
 *   GitLab.com, or a bot user's personal access token): push over HTTPS to
 *   `$CI_SERVER_URL/<project>.git`, the token handed to git by a credential
 *   helper that reads it from the environment, so it never reaches the disk.
 * - Both set: the deploy key wins (it is what `deployctl setup` creates by
 *   default, and it does not expire), with a warning naming the ignored token.
 * - Neither, on GitLab: bad input, with the fix.
 * - Outside a GitLab job (`GITLAB_CI` is not `true`: a laptop, the local
 *   rehearsal under gitlab-ci-local): the remote as it is, with the user's own
 *   git credentials; a credential variable set there is ignored, with a warning.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployctlError } from './exit-codes.js';

/** The CI/CD variables of the write-back credential (declared in ci-variables.ts). */
export const PUSH_VARIABLES = {
  sshKey: 'GITOPS_PUSH_SSH_KEY',
  knownHosts: 'GITOPS_SSH_KNOWN_HOSTS',
  token: 'GITOPS_PUSH_TOKEN',
} as const;

/**
 * gitlab.com's SSH host keys as GitLab publishes them (docs.gitlab.com, "GitLab.com
 * settings", SSH known_hosts entries); fingerprints SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8
 * (ED25519), SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw (ECDSA),
 * SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ (RSA). Used only when
 * GITOPS_SSH_KNOWN_HOSTS is unset and the SSH host is gitlab.com on port 22.
 */
export const GITLAB_COM_KNOWN_HOSTS = [
  'gitlab.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf',
  'gitlab.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkhtj3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY=',
  'gitlab.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhSevkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9',
].join('\n');

/** Seconds ssh may take to connect before the push counts as a network failure. */
const SSH_CONNECT_TIMEOUT_S = 30;

export type PushPlan =
  | {
      credential: 'ssh-deploy-key';
      /** `git@<host>:<project>.git` */
      destination: string;
      host: string;
      port: number;
      /** The private key: a file (GitLab file-type variable) or the key itself. */
      key: { path: string } | { content: string };
      knownHosts: { source: string; content: string };
      warnings: string[];
      description: string;
    }
  | {
      credential: 'token';
      /** `$CI_SERVER_URL/<project>.git`, no credential in it. */
      destination: string;
      warnings: string[];
      description: string;
    }
  | { credential: 'remote'; destination: string; warnings: string[]; description: string };

function getVar(vars: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = vars[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function requireVar(vars: NodeJS.ProcessEnv, name: string, why: string): string {
  const value = getVar(vars, name);
  if (value === undefined) {
    throw new DeployctlError('input', `\`${name}\` is not set; ${why} (GitLab sets it in every job)`);
  }
  return value;
}

function verifyProjectPath(path: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/.test(path) || path.includes('..')) {
    throw new DeployctlError(
      'input',
      `CI_PROJECT_PATH \`${path}\` is not a GitLab project path (group/project); it comes from GitLab, do not override it`,
    );
  }
  return path;
}

function verifyHost(host: string, name: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new DeployctlError('input', `${name} \`${host}\` is not a host name; it comes from GitLab`);
  }
  return host;
}

function getPort(vars: NodeJS.ProcessEnv): number {
  const raw = getVar(vars, 'CI_SERVER_SHELL_SSH_PORT') ?? '22';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
    throw new DeployctlError('input', `CI_SERVER_SHELL_SSH_PORT \`${raw}\` is not a TCP port (1-65535)`);
  }
  return port;
}

/** A file-type variable holds a path; a plain one the value itself. Both are accepted. */
function getKey(value: string): { path: string } | { content: string } {
  if (value.trimStart().startsWith('-----BEGIN')) return { content: value };
  if (!existsSync(value) || !statSync(value).isFile()) {
    throw new DeployctlError(
      'input',
      `${PUSH_VARIABLES.sshKey} names the file \`${value}\`, which does not exist; store the deploy key's private key as a CI/CD variable of type File (docs/pipeline.md, "Credentials")`,
    );
  }
  return { path: value };
}

function getKnownHosts(
  vars: NodeJS.ProcessEnv,
  host: string,
  port: number,
): { source: string; content: string } {
  const value = getVar(vars, PUSH_VARIABLES.knownHosts);
  if (value !== undefined) {
    // A file-type variable holds a path to the entries; a plain one the entries.
    const isFile = !value.includes(' ') && existsSync(value) && statSync(value).isFile();
    const content = isFile ? readFileSync(value, 'utf8') : value;
    if (!/\S+\s+(ssh-|ecdsa-|sk-)\S+\s+\S+/.test(content)) {
      throw new DeployctlError(
        'input',
        `${PUSH_VARIABLES.knownHosts} holds no known_hosts entry (\`<host> <key type> <base64 key>\`); fill it with \`ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host}\` after checking the fingerprints your GitLab instance publishes`,
      );
    }
    return { source: PUSH_VARIABLES.knownHosts, content };
  }
  if (host === 'gitlab.com' && port === 22) {
    return { source: "gitlab.com's published host keys (built in)", content: GITLAB_COM_KNOWN_HOSTS };
  }
  throw new DeployctlError(
    'input',
    `${PUSH_VARIABLES.knownHosts} is not set, and deployctl knows the SSH host keys of gitlab.com only, not of ${host}${port === 22 ? '' : `:${port}`}; set it to the output of \`ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host}\` after checking the fingerprints your instance publishes (host key checking is never turned off)`,
  );
}

/**
 * Which credential, which URL. Pure apart from reading the key and known-hosts
 * files' existence: everything a variable can get wrong fails here, before a
 * release decides anything.
 */
export function getPushPlan(remote: string, vars: NodeJS.ProcessEnv = process.env): PushPlan {
  if (vars.GITLAB_CI !== 'true') {
    // Only a GitLab job pushes with the CI credential: on a laptop or in the local
    // rehearsal (gitlab-ci-local sets GITLAB_CI=false) a stray variable must not
    // send a push to the real project.
    const stray = [PUSH_VARIABLES.sshKey, PUSH_VARIABLES.token].filter((name) => getVar(vars, name));
    return {
      credential: 'remote',
      destination: remote,
      warnings:
        stray.length > 0 ? [`not a GitLab job (GITLAB_CI is not "true"): ignoring ${stray.join(', ')}`] : [],
      description: `remote \`${remote}\` with your own git credentials (outside GitLab CI)`,
    };
  }
  const sshKey = getVar(vars, PUSH_VARIABLES.sshKey);
  const token = getVar(vars, PUSH_VARIABLES.token);
  if (sshKey !== undefined) {
    const why = `the write-back pushes over SSH with ${PUSH_VARIABLES.sshKey} to the project's SSH URL`;
    const project = verifyProjectPath(requireVar(vars, 'CI_PROJECT_PATH', why));
    const hostVar = getVar(vars, 'CI_SERVER_SHELL_SSH_HOST') ? 'CI_SERVER_SHELL_SSH_HOST' : 'CI_SERVER_HOST';
    const host = verifyHost(requireVar(vars, hostVar, why), hostVar);
    const port = getPort(vars);
    const destination = `git@${host}:${project}.git`;
    const knownHosts = getKnownHosts(vars, host, port);
    return {
      credential: 'ssh-deploy-key',
      destination,
      host,
      port,
      key: getKey(sshKey),
      knownHosts,
      warnings: token
        ? [
            `both ${PUSH_VARIABLES.sshKey} and ${PUSH_VARIABLES.token} are set; pushing with the deploy key over SSH and ignoring the token (remove one of them)`,
          ]
        : [],
      description: `deploy key ${PUSH_VARIABLES.sshKey} over SSH to ${destination}${port === 22 ? '' : ` (port ${port})`}, host keys from ${knownHosts.source}`,
    };
  }
  if (token !== undefined) {
    const why = `the write-back pushes over HTTPS with ${PUSH_VARIABLES.token} to the project's URL`;
    const server = requireVar(vars, 'CI_SERVER_URL', why).replace(/\/+$/, '');
    if (!/^https?:\/\/[^\s/@]+$/.test(server)) {
      throw new DeployctlError(
        'input',
        `CI_SERVER_URL \`${server}\` is not a server URL (https://host[:port])`,
      );
    }
    const project = verifyProjectPath(requireVar(vars, 'CI_PROJECT_PATH', why));
    const destination = `${server}/${project}.git`;
    return {
      credential: 'token',
      destination,
      warnings: [],
      description: `token ${PUSH_VARIABLES.token} over HTTPS to ${destination}`,
    };
  }
  throw new DeployctlError(
    'input',
    `no write-back credential for environment ${vars.DEPLOY_ENV ?? '?'}: the CI job token cannot push the release commit; set ${PUSH_VARIABLES.sshKey} (a deploy key with write access, every GitLab tier; CI/CD variable of type File) or ${PUSH_VARIABLES.token} (a project access token: Premium/Ultimate on GitLab.com), protected and scoped to this environment (docs/pipeline.md, "Credentials")`,
  );
}

export interface PreparedPush {
  destination: string;
  /** Extra environment for the `git push` process only. */
  env: NodeJS.ProcessEnv;
  /** Removes the key copy and known-hosts file (SSH); always safe to call. */
  cleanup: () => Promise<void>;
}

/** `'...'` for a POSIX shell: git runs GIT_SSH_COMMAND through `sh -c`. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The environment `git push` needs for the plan. SSH: the key is copied into a
 * private temporary directory with mode 0600 and a final newline, because ssh
 * refuses a key file other users may read, and OpenSSH keys pasted into a
 * GitLab variable often lose their last newline ("error in libcrypto").
 */
export async function preparePush(
  plan: PushPlan,
  vars: NodeJS.ProcessEnv = process.env,
): Promise<PreparedPush> {
  if (plan.credential === 'remote') {
    return { destination: plan.destination, env: {}, cleanup: async () => {} };
  }
  if (plan.credential === 'token') {
    // Appended after any GIT_CONFIG_* the job already exports. The empty helper
    // first resets helpers configured elsewhere; `!f`: a shell helper that
    // answers only `get`, from the environment.
    const base = Number(vars.GIT_CONFIG_COUNT ?? '0') || 0;
    const helper = `!f() { test "$1" = get && printf "username=gitops\\npassword=%s\\n" "$${PUSH_VARIABLES.token}"; }; f`;
    return {
      destination: plan.destination,
      env: {
        GIT_CONFIG_COUNT: String(base + 2),
        [`GIT_CONFIG_KEY_${base}`]: 'credential.helper',
        [`GIT_CONFIG_VALUE_${base}`]: '',
        [`GIT_CONFIG_KEY_${base + 1}`]: 'credential.helper',
        [`GIT_CONFIG_VALUE_${base + 1}`]: helper,
      },
      cleanup: async () => {},
    };
  }
  // git would only say "cannot run ssh"; name the package instead.
  if (spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error) {
    throw new DeployctlError(
      'input',
      `${PUSH_VARIABLES.sshKey} is set but the job has no \`ssh\` client; use an image with it (node:24-bookworm has it) or install it (apt-get install -y openssh-client)`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'deployctl-ssh-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    let key: string;
    try {
      key = 'path' in plan.key ? await readFile(plan.key.path, 'utf8') : plan.key.content;
    } catch (cause) {
      throw new DeployctlError(
        'input',
        `cannot read ${PUSH_VARIABLES.sshKey} (${'path' in plan.key ? plan.key.path : 'value'}): ${(cause as Error).message}`,
        { cause },
      );
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
      throw new DeployctlError(
        'input',
        `${PUSH_VARIABLES.sshKey} holds no private key (no \`-----BEGIN ... PRIVATE KEY-----\` line); paste the deploy key's private key, not its .pub`,
      );
    }
    const keyFile = join(dir, 'deploy_key');
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(keyFile, `${key.replaceAll('\r\n', '\n').trimEnd()}\n`, { mode: 0o600 });
    await writeFile(knownHostsFile, `${plan.knownHosts.content.trimEnd()}\n`, { mode: 0o600 });
    const options = [
      `-i ${shellQuote(keyFile)}`,
      '-o IdentitiesOnly=yes',
      '-o StrictHostKeyChecking=yes',
      `-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
      // Only the configured keys count, not whatever the runner's image trusts.
      '-o GlobalKnownHostsFile=/dev/null',
      // Never a prompt (passphrase, host key): fail instead of hanging the job.
      '-o BatchMode=yes',
      `-o ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`,
      // The scp-like URL has no port; GitLab's non-22 SSH port goes here.
      ...(plan.port === 22 ? [] : [`-o Port=${plan.port}`]),
    ];
    return {
      destination: plan.destination,
      env: { GIT_SSH_COMMAND: `ssh ${options.join(' ')}`, GIT_SSH_VARIANT: 'ssh' },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** ssh's own words for a host key that is not the configured one. */
export function isHostKeyFailure(stderr: string): boolean {
  return /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [\w-]+ host key is known/i.test(
    stderr,
  );
}
