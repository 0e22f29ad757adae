/**
 * The write-back over SSH with a deploy key (GITOPS_PUSH_SSH_KEY, the GitLab
 * Free path of issue 17): the real CLI pushes the release commit with real git
 * over a real OpenSSH server (test/support/git-ssh-server.ts: Debian's sshd on
 * 127.0.0.1, its own host key, only the deploy key authorised) to the URL it
 * derives from GitLab's predefined variables, `git@<host>:<project>.git`.
 *
 * GitLab itself cannot run here: that GitLab's SSH front (gitlab-shell) passes
 * push options on like git-receive-pack does is its documented behaviour; the
 * server here is git's own receive-pack behind sshd.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type GitSshServer, startGitSshServer } from '../../test/support/git-ssh-server.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { GITLAB_COM_KNOWN_HOSTS, getPushPlan } from '../src/push-credential.js';
import { git, runCli, VALUES_FIXTURE } from './helpers/git-fixture.js';

const PROJECT = 'group/mlops-inference-chain';

describe('write-back over SSH with a deploy key (real sshd, real git)', () => {
  let root: string;
  let server: GitSshServer;
  let bare: string;
  let dev: string;
  let keyFile: string;
  let otherHostKey: string;

  /** What a GitLab deployment job of prod would have, pointing at the test server. */
  const gitlabVars = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    GITLAB_CI: 'true',
    DEPLOY_ENV: 'prod',
    CI_SERVER_HOST: server.host,
    CI_SERVER_SHELL_SSH_PORT: String(server.port),
    CI_SERVER_URL: 'https://gitlab.invalid',
    CI_PROJECT_PATH: PROJECT,
    GITOPS_PUSH_SSH_KEY: keyFile,
    GITOPS_SSH_KNOWN_HOSTS: server.knownHostsEntry,
    ...extra,
  });

  /** A new source commit on main (pushed straight to the bare repository) and a pipeline checkout of it. */
  const newPipeline = (name: string) => {
    writeFileSync(join(dev, 'app.txt'), `${name} ${Math.random()}\n`);
    git(dev, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    git(dev, 'commit', '--quiet', '-am', `feat: ${name}`);
    git(dev, 'push', '--quiet', 'origin', 'main');
    const commit = git(dev, 'rev-parse', 'HEAD');
    const checkout = join(root, name);
    git(root, 'clone', '--quiet', '--depth', '1', `file://${bare}`, checkout);
    return { commit, checkout };
  };

  const tip = () => git(bare, 'rev-parse', 'refs/heads/main');

  before(async () => {
    execFileSync('bash', [join(import.meta.dirname, '../../scripts/ensure-sshd.sh')], { stdio: 'inherit' });
    root = mkdtempSync(join(tmpdir(), 'write-back-ssh-'));
    const keyBase = join(root, 'deploy_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gitops deploy key', '-f', keyBase]);
    // As a GitLab file-type variable may hand it over: readable by others and
    // without its last newline. deployctl must cope (ssh refuses both as they are).
    keyFile = join(root, 'GITOPS_PUSH_SSH_KEY');
    writeFileSync(keyFile, readFileSync(keyBase, 'utf8').trimEnd());
    chmodSync(keyFile, 0o644);
    server = await startGitSshServer({
      authorizedKey: readFileSync(`${keyBase}.pub`, 'utf8'),
      recordPushOptions: true,
    });
    bare = server.createRepository(PROJECT);
    dev = join(root, 'dev');
    git(root, 'init', '--quiet', '--initial-branch=main', dev);
    mkdirSync(join(dev, 'helm'));
    writeFileSync(join(dev, 'helm/values-prod.yaml'), VALUES_FIXTURE);
    writeFileSync(join(dev, 'app.txt'), 'v0\n');
    git(dev, 'add', '.');
    git(dev, 'commit', '--quiet', '-m', 'initial');
    git(dev, 'remote', 'add', 'origin', bare);
    git(dev, 'push', '--quiet', 'origin', 'main');
    const otherKey = join(root, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    otherHostKey = readFileSync(`${otherKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  });
  after(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('release pushes the commit over SSH to git@<host>:<project>.git with the ci.skip push option', async () => {
    const { commit, checkout } = newPipeline('first');
    const before = tip();
    const result = await runCli(['release', '--env', 'prod', '--commit', commit, '--json'], {
      cwd: checkout,
      env: gitlabVars(),
    });
    assert.equal(result.code, 0, result.stderr);
    const data = JSON.parse(result.stdout);
    assert.equal(data.status, 'released');
    assert.equal(tip(), data.releaseCommit, 'the release commit arrived on the remote');
    assert.equal(git(bare, 'rev-parse', `${data.releaseCommit}^`), before);
    assert.match(
      git(bare, 'show', `${data.releaseCommit}:helm/values-prod.yaml`),
      new RegExp(`tag: "${commit}"`),
    );
    assert.deepEqual(
      server.getPushOptions().at(-1),
      ['ci.skip'],
      'the push option reached the server over SSH',
    );
    assert.match(server.getLog(), /Accepted publickey for git from 127\.0\.0\.1/);
    assert.deepEqual(data.warnings, []);
    // The key went to ssh as a private copy that is gone again; the checkout's config names no credential.
    assert.doesNotMatch(git(checkout, 'config', '--list'), /deploy_key|GITOPS|sshCommand|pushurl/i);
  });

  test('with both the deploy key and a token set, pushes with the key and says the token was ignored', async () => {
    const { commit, checkout } = newPipeline('both');
    const result = await runCli(['release', '--env', 'prod', '--commit', commit, '--json'], {
      cwd: checkout,
      env: gitlabVars({ GITOPS_PUSH_TOKEN: 'glpat-unused', CI_SERVER_URL: 'http://127.0.0.1:9' }),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(tip(), JSON.parse(result.stdout).releaseCommit);
    assert.match(
      result.stderr,
      /both GITOPS_PUSH_SSH_KEY and GITOPS_PUSH_TOKEN are set; pushing with the deploy key/,
    );
  });

  test('a server whose host key is not the known one: the push fails with a clear message and nothing moves', async () => {
    const { commit, checkout } = newPipeline('wrong-host-key');
    const before = tip();
    const result = await runCli(['release', '--env', 'prod', '--commit', commit], {
      cwd: checkout,
      env: gitlabVars({ GITOPS_SSH_KNOWN_HOSTS: `[127.0.0.1]:${server.port} ${otherHostKey}` }),
    });
    assert.equal(result.code, EXIT_CODES.network, result.stderr);
    assert.match(result.stderr, /SSH host key is not one of the known hosts/);
    assert.match(result.stderr, /GITOPS_SSH_KNOWN_HOSTS/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(tip(), before);
  });

  test('a deploy key file that does not exist: exit 2 before anything is fetched, no stack trace', async () => {
    const { commit, checkout } = newPipeline('missing-key');
    const before = tip();
    const missing = join(root, 'no-such-key');
    const result = await runCli(['release', '--env', 'prod', '--commit', commit], {
      cwd: checkout,
      env: gitlabVars({ GITOPS_PUSH_SSH_KEY: missing }),
    });
    assert.equal(result.code, EXIT_CODES.input, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`GITOPS_PUSH_SSH_KEY names the file \`${missing}\`, which does not exist`),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at |DEPLOYCTL_DEBUG/, 'no stack trace, not an internal error');
    assert.equal(tip(), before);
    assert.equal(git(checkout, 'for-each-ref', 'refs/remotes/origin/main').length > 0, true);
  });

  test('a public key in place of the private key: exit 2 with what to paste', async () => {
    const { commit, checkout } = newPipeline('pub-key');
    const pub = join(root, 'deploy_key.pub');
    const result = await runCli(['release', '--env', 'prod', '--commit', commit], {
      cwd: checkout,
      env: gitlabVars({ GITOPS_PUSH_SSH_KEY: pub }),
    });
    assert.equal(result.code, EXIT_CODES.input, result.stderr);
    assert.match(result.stderr, /holds no private key .*not its \.pub/);
  });

  test('push-credential (setup_git_push) names the credential and URL; on GitLab without one it stops with the fix', async () => {
    const ok = await runCli(['push-credential'], { env: gitlabVars() });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      ok.stdout,
      `write-back: deploy key GITOPS_PUSH_SSH_KEY over SSH to git@127.0.0.1:${PROJECT}.git (port ${server.port}), host keys from GITOPS_SSH_KNOWN_HOSTS\n`,
    );
    const none = await runCli(['push-credential'], {
      env: { ...gitlabVars(), GITOPS_PUSH_SSH_KEY: '', GITOPS_SSH_KNOWN_HOSTS: '' },
    });
    assert.equal(none.code, EXIT_CODES.input);
    assert.match(none.stderr, /no write-back credential for environment prod/);
    assert.match(none.stderr, /GITOPS_PUSH_SSH_KEY \(a deploy key with write access, every GitLab tier/);
    const unknownHost = await runCli(['push-credential'], {
      env: { ...gitlabVars(), GITOPS_SSH_KNOWN_HOSTS: '' },
    });
    assert.equal(unknownHost.code, EXIT_CODES.input);
    assert.match(unknownHost.stderr, /GITOPS_SSH_KNOWN_HOSTS is not set.*ssh-keyscan -p \d+ 127\.0\.0\.1/);
    assert.match(unknownHost.stderr, /never turned off/);
  });
});

describe('getPushPlan: which credential, which URL', () => {
  const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n`;
  const base = {
    GITLAB_CI: 'true',
    CI_PROJECT_PATH: 'group/sub/project',
    CI_SERVER_URL: 'https://gitlab.com',
  };

  test('gitlab.com on port 22: git@gitlab.com:<project>.git with the host keys GitLab publishes', () => {
    const plan = getPushPlan('origin', { ...base, CI_SERVER_HOST: 'gitlab.com', GITOPS_PUSH_SSH_KEY: key });
    assert.equal(plan.credential, 'ssh-deploy-key');
    assert.equal(plan.destination, 'git@gitlab.com:group/sub/project.git');
    assert.ok(plan.credential === 'ssh-deploy-key' && plan.knownHosts.content === GITLAB_COM_KNOWN_HOSTS);
    // The three published keys, each one line.
    assert.deepEqual(
      GITLAB_COM_KNOWN_HOSTS.split('\n').map((line) => line.split(' ')[1]),
      ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'],
    );
  });

  test('CI_SERVER_SHELL_SSH_HOST and _PORT win over CI_SERVER_HOST (a separate SSH host, a non-22 port)', () => {
    const plan = getPushPlan('origin', {
      ...base,
      CI_SERVER_HOST: 'gitlab.example.com',
      CI_SERVER_SHELL_SSH_HOST: 'ssh.gitlab.example.com',
      CI_SERVER_SHELL_SSH_PORT: '2222',
      GITOPS_PUSH_SSH_KEY: key,
      GITOPS_SSH_KNOWN_HOSTS:
        '[ssh.gitlab.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf',
    });
    assert.equal(plan.destination, 'git@ssh.gitlab.example.com:group/sub/project.git');
    assert.ok(plan.credential === 'ssh-deploy-key' && plan.port === 2222);
  });

  test('a token alone: HTTPS to $CI_SERVER_URL/<project>.git; neither outside GitLab: the remote as it is', () => {
    const token = getPushPlan('origin', { ...base, GITOPS_PUSH_TOKEN: 'glpat-x' });
    assert.equal(token.credential, 'token');
    assert.equal(token.destination, 'https://gitlab.com/group/sub/project.git');
    const local = getPushPlan('origin', {});
    assert.deepEqual([local.credential, local.destination], ['remote', 'origin']);
    // Outside a GitLab job (a laptop, gitlab-ci-local's GITLAB_CI=false) a stray credential is ignored, with a warning.
    const rehearsal = getPushPlan('origin', { GITLAB_CI: 'false', GITOPS_PUSH_SSH_KEY: key });
    assert.equal(rehearsal.credential, 'remote');
    assert.match(rehearsal.warnings.join(), /ignoring GITOPS_PUSH_SSH_KEY/);
  });

  test('refuses a project path or host that is not one (they end up in an ssh command line)', () => {
    assert.throws(
      () =>
        getPushPlan('origin', {
          ...base,
          CI_PROJECT_PATH: '-oProxyCommand=x/y',
          CI_SERVER_HOST: 'gitlab.com',
          GITOPS_PUSH_SSH_KEY: key,
        }),
      /is not a GitLab project path/,
    );
    assert.throws(
      () => getPushPlan('origin', { ...base, CI_SERVER_HOST: '-oProxyCommand=x', GITOPS_PUSH_SSH_KEY: key }),
      /is not a host name/,
    );
  });
});
