/**
 * `setup_git_push` (scripts/ci/lib.sh) as the release, verify and rollback jobs
 * call it: it leaves the credential decision to `deployctl push-credential`
 * (deployctl/src/push-credential.ts), which stops a GitLab job that has no
 * usable write-back credential before it does anything else. The pushes
 * themselves, over HTTPS with a token and over SSH with a deploy key, are
 * tested against real servers in deployctl/test/write-back-{https,ssh}.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/paths.js';

const PROJECT = 'group/mlops-inference-chain';
const DEPLOYCTL = join(REPO_ROOT, 'deployctl', 'bin', 'deployctl.js');
const execFileAsync = promisify(execFile);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('write-back credential (setup_git_push)', () => {
  let root: string;
  let checkout: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'push-credential-'));
    checkout = join(root, 'checkout');
    git(root, 'init', '--quiet', '--initial-branch=main', checkout);
    git(checkout, 'remote', 'add', 'origin', `https://gitlab.invalid/${PROJECT}.git`);
    mkdirSync(join(checkout, 'scripts', 'ci'), { recursive: true });
    cpSync(join(REPO_ROOT, 'scripts', 'ci', 'lib.sh'), join(checkout, 'scripts', 'ci', 'lib.sh'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** Sources lib.sh in the checkout (with this repository's deployctl) and runs setup_git_push. */
  async function setup(vars: Record<string, string>) {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: root,
      GIT_CONFIG_GLOBAL: '/dev/null',
      ...vars,
    };
    const script = `. scripts/ci/lib.sh && deployctl() { "${process.execPath}" "${DEPLOYCTL}" "$@"; } && setup_git_push`;
    try {
      const { stderr } = await execFileAsync('bash', ['-c', script], {
        cwd: checkout,
        env,
        encoding: 'utf8',
      });
      return { status: 0, stderr };
    } catch (error) {
      const failed = error as { code?: number; stderr?: string };
      return { status: failed.code ?? null, stderr: failed.stderr ?? String(error) };
    }
  }

  test('with a token: names the HTTPS credential, removes a credential-carrying push URL, writes no token', async () => {
    git(
      checkout,
      'remote',
      'set-url',
      '--push',
      'origin',
      `https://gitops:glpat-secret@gitlab.invalid/${PROJECT}.git`,
    );
    const result = await setup({
      GITLAB_CI: 'true',
      DEPLOY_ENV: 'prod',
      CI_SERVER_URL: 'https://gitlab.invalid',
      CI_PROJECT_PATH: PROJECT,
      GITOPS_PUSH_TOKEN: 'glpat-secret',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`write-back: token GITOPS_PUSH_TOKEN over HTTPS to https://gitlab.invalid/${PROJECT}.git`),
    );
    assert.doesNotMatch(git(checkout, 'config', '--list'), /glpat-secret|pushurl/);
  });

  test('on GitLab, a job without any write-back credential stops with the fix in the message', async () => {
    const result = await setup({ GITLAB_CI: 'true', DEPLOY_ENV: 'prod', CI_PROJECT_PATH: PROJECT });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no write-back credential for environment prod/);
    assert.match(result.stderr, /GITOPS_PUSH_SSH_KEY .*GITOPS_PUSH_TOKEN/);
  });

  test('outside GitLab (a laptop, the rehearsal) it pushes to origin as it is', async () => {
    const result = await setup({});
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      /write-back: remote `origin` with your own git credentials \(outside GitLab CI\)/,
    );
  });
});
