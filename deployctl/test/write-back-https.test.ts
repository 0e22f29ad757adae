/**
 * The write-back over HTTPS with a token (GITOPS_PUSH_TOKEN: a project access
 * token, Premium/Ultimate on GitLab.com): the real CLI pushes to a real
 * smart-HTTP git server (test/support/git-http-server.ts, git http-backend
 * behind HTTP Basic auth, the GitLab project's stand-in) at
 * `$CI_SERVER_URL/<project>.git`, and the token is never written to disk.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type GitHttpServer, startGitHttpServer } from '../../test/support/git-http-server.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { runCli, VALUES_FIXTURE } from './helpers/git-fixture.js';

const PROJECT = 'group/mlops-inference-chain';
// The git server runs in this process: nothing may block the event loop.
const run = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await run('git', args, { cwd, encoding: 'utf8' })).stdout.trim();

/** Every file below `dir` (the checkout and its .git) that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => {
    const path = join(dir, name);
    return statSync(path).isFile() && readFileSync(path).includes(needle);
  });
}

describe('write-back over HTTPS with a token (real git http-backend)', () => {
  let root: string;
  let server: GitHttpServer;
  let bare: string;
  let dev: string;
  const token = `glpat-${randomBytes(12).toString('hex')}`;

  const vars = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    GITLAB_CI: 'true',
    DEPLOY_ENV: 'prod',
    CI_SERVER_URL: server.url,
    CI_PROJECT_PATH: PROJECT,
    GITOPS_PUSH_TOKEN: token,
    ...extra,
  });

  /** A new source commit and a pipeline checkout cloned over HTTP, as the runner does. */
  const newPipeline = async (name: string) => {
    // As any developer: pull the release commits the write-back pushed meanwhile.
    await git(dev, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    writeFileSync(join(dev, 'app.txt'), `${name}\n`);
    await git(dev, 'commit', '--quiet', '-am', `feat: ${name}`);
    await git(dev, 'push', '--quiet', 'origin', 'main');
    const checkout = join(root, name);
    await run('git', ['clone', '--quiet', `${server.url}/${PROJECT}.git`, checkout]);
    return { commit: await git(dev, 'rev-parse', 'HEAD'), checkout };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'write-back-https-'));
    bare = join(root, 'srv', `${PROJECT}.git`);
    mkdirSync(bare, { recursive: true });
    await git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
    server = await startGitHttpServer({ root: join(root, 'srv'), pushToken: token, recordPushOptions: true });
    dev = join(root, 'dev');
    await git(root, 'init', '--quiet', '--initial-branch=main', dev);
    mkdirSync(join(dev, 'helm'));
    writeFileSync(join(dev, 'helm/values-prod.yaml'), VALUES_FIXTURE);
    writeFileSync(join(dev, 'app.txt'), 'v0\n');
    await git(dev, 'add', '.');
    await git(dev, 'commit', '--quiet', '-m', 'initial');
    await git(dev, 'push', '--quiet', bare, 'main');
    await git(dev, 'remote', 'add', 'origin', bare);
  });
  after(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('pushes with the token from the environment to $CI_SERVER_URL/<project>.git and writes it nowhere', async () => {
    const { commit, checkout } = await newPipeline('first');
    const result = await runCli(['release', '--env', 'prod', '--commit', commit, '--json'], {
      cwd: checkout,
      env: vars(),
    });
    assert.equal(result.code, 0, result.stderr);
    const { releaseCommit } = JSON.parse(result.stdout);
    assert.equal(await git(bare, 'rev-parse', 'main'), releaseCommit);
    assert.ok(
      server.requests.some((r) => r.service === 'git-receive-pack' && r.method === 'POST' && r.authorised),
      'the push went through the authenticated receive-pack',
    );
    assert.deepEqual(server.getPushOptions().at(-1), ['ci.skip']);
    assert.deepEqual(filesContaining(checkout, token), [], 'no file of the checkout holds the token');
    assert.equal(
      await git(checkout, 'remote', 'get-url', '--push', 'origin'),
      `${server.url}/${PROJECT}.git`,
    );
  });

  test('a wrong token fails the push at once (no prompt, no hang) with exit 3 and changes nothing', async () => {
    const { commit, checkout } = await newPipeline('wrong-token');
    const before = await git(bare, 'rev-parse', 'main');
    const result = await runCli(['release', '--env', 'prod', '--commit', commit], {
      cwd: checkout,
      env: vars({ GITOPS_PUSH_TOKEN: 'wrong-token' }),
    });
    assert.equal(result.code, EXIT_CODES.network, result.stderr);
    assert.match(result.stderr, /Authentication failed|401|could not read/i);
    assert.match(result.stderr, /check that the write-back credential may push to this branch/);
    assert.equal(await git(bare, 'rev-parse', 'main'), before);
  });
});
