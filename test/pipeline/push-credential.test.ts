/**
 * The write-back credential (GITOPS_PUSH_TOKEN) as the release jobs use it
 * (scripts/ci/lib.sh `setup_git_push`): a real push over smart HTTP with Basic
 * auth to a real git server (git http-backend; the GitLab project's stand-in),
 * and the token is never written to disk.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { REPO_ROOT } from '../support/paths.js';

const PROJECT = 'group/mlops-inference-chain';
// The git server runs in this process: anything that talks to it must not
// block the event loop (execFileSync would deadlock), hence the async form.
const execFileAsync = promisify(execFile);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Every file below `dir` (the checkout and its .git) that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, name);
    if (statSync(path).isFile() && readFileSync(path).includes(needle)) found.push(name);
  }
  return found;
}

describe('write-back credential (setup_git_push)', () => {
  let root: string;
  let server: GitHttpServer;
  let checkout: string;
  const token = `glpat-${randomBytes(12).toString('hex')}`;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'push-credential-'));
    const bare = join(root, 'srv', `${PROJECT}.git`);
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
    server = await startGitHttpServer({ root: join(root, 'srv'), pushToken: token });
    const seed = join(root, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '--quiet', '--initial-branch=main');
    git(
      seed,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@e',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'seed',
    );
    git(seed, 'push', '--quiet', bare, 'main');
    // The job's checkout: cloned over HTTP like the runner does, with the CI scripts in it.
    checkout = join(root, 'checkout');
    await execFileAsync('git', ['clone', '--quiet', `${server.url}/${PROJECT}.git`, checkout]);
    cpSync(join(REPO_ROOT, 'scripts', 'ci', 'lib.sh'), join(checkout, 'scripts', 'ci', 'lib.sh'));
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs setup_git_push then `git push` in the checkout, as release.sh does. */
  async function pushWith(secret: string | undefined, extra: Record<string, string> = {}) {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: root,
      GITLAB_CI: 'true',
      CI_SERVER_URL: server.url,
      CI_PROJECT_PATH: PROJECT,
      DEPLOY_ENV: 'prod',
      ...extra,
    };
    if (secret !== undefined) env.GITOPS_PUSH_TOKEN = secret;
    git(
      checkout,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@e',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'release',
    );
    try {
      const { stderr } = await execFileAsync(
        'bash',
        ['-c', '. scripts/ci/lib.sh && setup_git_push && git push --quiet origin HEAD:main'],
        { cwd: checkout, env, encoding: 'utf8', timeout: 30_000 },
      );
      return { status: 0, stderr };
    } catch (error) {
      const failed = error as { code?: number; stderr?: string };
      return {
        status: typeof failed.code === 'number' ? failed.code : null,
        stderr: failed.stderr ?? String(error),
      };
    }
  }

  test('pushes with the token from the environment and writes it nowhere', async () => {
    // A credential-carrying push URL left in a reused checkout is removed.
    git(
      checkout,
      'remote',
      'set-url',
      '--push',
      'origin',
      `http://gitops:${token}@127.0.0.1:1/${PROJECT}.git`,
    );
    const result = await pushWith(token);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      git(join(root, 'srv', `${PROJECT}.git`), 'rev-parse', 'main'),
      git(checkout, 'rev-parse', 'HEAD'),
    );
    assert.ok(
      server.requests.some((r) => r.service === 'git-receive-pack' && r.method === 'POST' && r.authorised),
      'the push went through the authenticated receive-pack',
    );
    assert.deepEqual(filesContaining(checkout, token), [], 'no file of the checkout holds the token');
    assert.doesNotMatch(git(checkout, 'config', '--list', '--show-origin'), new RegExp(token));
    assert.equal(git(checkout, 'remote', 'get-url', '--push', 'origin'), `${server.url}/${PROJECT}.git`);
  });

  test('a wrong token fails the push at once (no prompt, no hang) and changes nothing', async () => {
    const before = git(join(root, 'srv', `${PROJECT}.git`), 'rev-parse', 'main');
    const result = await pushWith('wrong-token');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /Authentication failed|401|could not read/i);
    assert.equal(git(join(root, 'srv', `${PROJECT}.git`), 'rev-parse', 'main'), before);
  });

  test('on GitLab, a job without the token stops with the fix in the message', async () => {
    const result = await pushWith(undefined);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /GITOPS_PUSH_TOKEN is not set for environment prod/);
    assert.match(result.stderr, /scoped to this environment/);
  });
});
