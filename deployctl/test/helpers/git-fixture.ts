/**
 * Real git for the write-back tests: a temporary bare "remote" (standing in
 * for the GitLab project) and clones (standing in for pipeline checkouts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Deterministic identity and no user/system config, for the tests and the CLI processes they start.
Object.assign(process.env, {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
});
// The CI variables must not leak from whoever runs the tests into the results.
for (const name of [
  'ECR_REGISTRY',
  'ECR_REPOSITORY',
  'CI_PIPELINE_URL',
  'CI_PIPELINE_ID',
  'CI_DEFAULT_BRANCH',
  // A test job on GitLab has these; the write-back would then demand a CI credential.
  'GITLAB_CI',
  'GITOPS_PUSH_TOKEN',
  'GITOPS_PUSH_SSH_KEY',
  'GITOPS_SSH_KNOWN_HOSTS',
  'CI_SERVER_URL',
  'CI_SERVER_HOST',
  'CI_SERVER_SHELL_SSH_HOST',
  'CI_SERVER_SHELL_SSH_PORT',
  'CI_PROJECT_PATH',
]) {
  delete process.env[name];
}
delete process.env.DEPLOYCTL_ENV_BRANCHES;
delete process.env.DEPLOYCTL_EVENTS_FILE;

export const BIN = fileURLToPath(new URL('../../bin/deployctl.js', import.meta.url));

/** A values file as the chart engineer writes them: comments, odd spacing, flow maps. */
export const VALUES_FIXTURE = `# Values for this environment; the pipeline writes image.tag (docs/contracts.md).
image:
  # ECR repository of the inference service
  repository: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service
  # Full commit SHA, written by \`deployctl release\`
  tag: ""   # the first-release marker; replaced on release
  # sha256 digest of the pushed image (optional)
  digest: ""
  pullPolicy: IfNotPresent

replicaCount: 2  # the HPA owns this in prod
resources: {limits: {cpu: 500m,  memory: 512Mi}}
`;

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface Fixture {
  root: string;
  remote: string;
  /** A developer's clone that makes source commits. */
  dev: string;
  cleanup: () => void;
}

/**
 * The remote accepts push options, as GitLab does, and its post-receive hook
 * logs each push's options (one line per push, space-separated) for
 * getPushOptions. `pushOptions: false` makes it a plain git server that
 * refuses them.
 */
export function createFixture(
  files: Record<string, string> = {},
  { pushOptions = true }: { pushOptions?: boolean } = {},
): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'deployctl-test-'));
  const remote = join(root, 'remote.git');
  const dev = join(root, 'dev');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  if (pushOptions) {
    git(remote, 'config', 'receive.advertisePushOptions', 'true');
    const hook = join(remote, 'hooks', 'post-receive');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'line=push:',
        'i=0',
        'while [ "$i" -lt "$((GIT_PUSH_OPTION_COUNT + 0))" ]; do',
        '  line="$line $(printenv "GIT_PUSH_OPTION_$i")"',
        '  i=$((i + 1))',
        'done',
        `echo "$line" >> '${join(root, 'push-options.log')}'`,
        '',
      ].join('\n'),
    );
    chmodSync(hook, 0o755);
  }
  git(root, 'init', '--quiet', '--initial-branch=main', dev);
  const initial = {
    'helm/values-prod.yaml': VALUES_FIXTURE,
    'helm/values-dev.yaml': VALUES_FIXTURE,
    'app.txt': 'version 0\n',
    ...files,
  };
  for (const [path, content] of Object.entries(initial)) {
    mkdirSync(dirname(join(dev, path)), { recursive: true });
    writeFileSync(join(dev, path), content);
  }
  git(dev, 'add', '.');
  git(dev, 'commit', '--quiet', '-m', 'initial');
  git(dev, 'remote', 'add', 'origin', remote);
  git(dev, 'push', '--quiet', 'origin', 'main', 'main:develop');
  return { root, remote, dev, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Makes `count` linear source commits on `branch` in the dev clone, pushes them, returns their SHAs. */
export function addCommits(fixture: Fixture, count: number, branch = 'main'): string[] {
  git(fixture.dev, 'fetch', '--quiet', 'origin');
  git(fixture.dev, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    writeFileSync(join(fixture.dev, 'app.txt'), `change ${Math.random()}\n`);
    git(fixture.dev, 'commit', '--quiet', '-am', `feature ${i}`);
    shas.push(git(fixture.dev, 'rev-parse', 'HEAD'));
  }
  git(fixture.dev, 'push', '--quiet', 'origin', branch);
  return shas;
}

/** A pipeline's checkout: a shallow clone detached at the commit, like GitLab's GIT_DEPTH fetch. */
export function clonePipelineCheckout(fixture: Fixture, name: string, branch = 'main'): string {
  const dir = join(fixture.root, name);
  git(fixture.root, 'clone', '--quiet', '--depth', '1', '--branch', branch, `file://${fixture.remote}`, dir);
  return dir;
}

/** The push options of every push the remote received, oldest first. */
export function getPushOptions(fixture: Fixture): string[][] {
  let log = '';
  try {
    log = readFileSync(join(fixture.root, 'push-options.log'), 'utf8');
  } catch {
    return [];
  }
  return log
    .split('\n')
    .filter((line) => line.startsWith('push:'))
    .map((line) => line.slice('push:'.length).split(' ').filter(Boolean));
}

export function getRemoteTip(fixture: Fixture, branch = 'main'): string {
  return git(fixture.remote, 'rev-parse', `refs/heads/${branch}`);
}

export function getRemoteFile(fixture: Fixture, path: string, rev = 'main'): string {
  return execFileSync('git', ['cat-file', 'blob', `${rev}:${path}`], {
    cwd: fixture.remote,
    encoding: 'utf8',
  });
}

export function getRemoteRefs(fixture: Fixture): string {
  return git(fixture.remote, 'for-each-ref', '--format=%(refname) %(objectname)');
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real bin as a child process, the way a GitLab job does. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // GitLab's own variables stay out: this suite also runs inside a GitLab job
    // (`test: [deployctl]`), whose CI_COMMIT_TIMESTAMP, CI_PIPELINE_CREATED_AT, ...
    // would otherwise stand in for the times a test sets up.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('CI_') && !key.startsWith('GITLAB_')),
    );
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...inherited, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
