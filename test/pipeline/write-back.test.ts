/**
 * The write-back and the workflow rules together, with real git: deployctl
 * pushes a `release(dev): …` commit to a smart-HTTP git server (standing in for
 * the GitLab project) that records push options, then `develop` is merged into
 * the default branch, by fast-forward and by merge commit, and gitlab-ci-local
 * answers which jobs GitLab would create for each push's real tip (issue 17).
 *
 * GitLab itself cannot run here: that GitLab creates no pipeline for a push
 * with `ci.skip` is its documented behaviour, checked as "the push carried
 * ci.skip"; the workflow rules behind it run in gitlab-ci-local.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { PipelineSandbox, type Trigger } from './gitlab-ci-local.js';

const PUSH_TOKEN = 'write-back-token';
const DEPLOYCTL = join(REPO_ROOT, 'deployctl', 'bin', 'deployctl.js');

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

const run = promisify(execFile);

/** Async: the git server runs in this process, so a blocking call would deadlock it. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' })).stdout.trim();
}

/** deployctl as a job runs it, in a pipeline checkout. */
async function deployctl(cwd: string, ...args: string[]): Promise<void> {
  await run(process.execPath, [DEPLOYCTL, ...args], { cwd, env: GIT_ENV, encoding: 'utf8' });
}

/** The push GitLab would see: the branch and its tip's SHA and full message, read from real git. */
async function pushOf(repo: string, branch: string): Promise<Trigger> {
  return {
    variables: {
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_BRANCH: branch,
      CI_COMMIT_REF_NAME: branch,
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_SHA: await git(repo, 'rev-parse', `origin/${branch}`),
      CI_COMMIT_MESSAGE: await git(repo, 'log', '-1', '--format=%B', `origin/${branch}`),
    },
  };
}

describe('write-back push and merges into the default branch (real git + gitlab-ci-local)', () => {
  let root: string;
  let server: GitHttpServer;
  let remoteUrl: string;
  let dev: string;
  let sandbox: PipelineSandbox;
  /** The job set of an ordinary push to main, the prod pipeline. */
  let prodPipeline: string[];

  /** A developer commit on `branch`, pushed; returns its SHA. */
  const commitAndPush = async (branch: string, text: string) => {
    await git(dev, 'checkout', '--quiet', branch);
    // As any developer: pull the release commits the pipeline pushed meanwhile.
    await git(dev, 'pull', '--quiet', '--ff-only', 'origin', branch);
    writeFileSync(join(dev, 'app.txt'), `${text}\n`);
    await git(dev, 'commit', '--quiet', '-am', `feat: ${text}`);
    await git(dev, 'push', '--quiet', 'origin', branch);
    return git(dev, 'rev-parse', 'HEAD');
  };

  /** `deployctl release` as release-dev runs it: in a fresh pipeline checkout of develop. */
  const releaseDev = async (commit: string) => {
    const checkout = join(root, `ci-${commit.slice(0, 8)}`);
    await git(root, 'clone', '--quiet', '--branch', 'develop', remoteUrl, checkout);
    await deployctl(checkout, 'release', '--env', 'dev', '--branch', 'develop', '--commit', commit);
    await git(dev, 'fetch', '--quiet', 'origin');
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'write-back-pipeline-'));
    mkdirSync(join(root, 'repos'));
    await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', join(root, 'repos', 'project.git'));
    server = await startGitHttpServer({
      root: join(root, 'repos'),
      pushToken: PUSH_TOKEN,
      recordPushOptions: true,
    });
    // The token in the URL is this test's shortcut; the jobs use a credential helper (scripts/ci/lib.sh).
    remoteUrl = `${server.url.replace('http://', `http://gitops:${PUSH_TOKEN}@`)}/project.git`;
    dev = join(root, 'dev');
    await git(root, 'init', '--quiet', '--initial-branch=main', dev);
    mkdirSync(join(dev, 'helm'));
    for (const file of ['.gitlab-ci.yml', 'helm/values-prod.yaml', 'helm/values-dev.yaml']) {
      copyFileSync(join(REPO_ROOT, file), join(dev, file));
    }
    writeFileSync(join(dev, 'app.txt'), 'version 0\n');
    await git(dev, 'add', '.');
    await git(dev, 'commit', '--quiet', '-m', 'initial');
    await git(dev, 'remote', 'add', 'origin', remoteUrl);
    await git(dev, 'push', '--quiet', 'origin', 'main', 'main:develop');
    await git(dev, 'branch', '--quiet', '--track', 'develop', 'origin/develop');
    sandbox = new PipelineSandbox();
    prodPipeline = sandbox.getPipelineJobs(await pushOf(dev, 'main'));
  });

  after(async () => {
    sandbox?.dispose();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('an ordinary push to main runs the prod deployment (the baseline)', () => {
    for (const job of ['build-image', 'publish-image', 'release-prod', 'verify-prod', 'timeline']) {
      assert.ok(prodPipeline.includes(job), `${job} in ${prodPipeline.join(', ')}`);
    }
  });

  test('the write-back push carries ci.skip, and its release(dev) commit on develop starts no pipeline', async () => {
    const feature = await commitAndPush('develop', 'faster batching');
    assert.ok(sandbox.getPipelineJobs(await pushOf(dev, 'develop')).includes('release-dev'));
    const before = server.getPushOptions().length;
    await releaseDev(feature);
    const pushes = server.getPushOptions().slice(before);
    assert.deepEqual(pushes, [['ci.skip']], 'exactly one push, with the ci.skip push option');
    const tip = await pushOf(dev, 'develop');
    assert.match(tip.variables.CI_COMMIT_MESSAGE!, /^release\(dev\): deploy [0-9a-f]{12}\n/);
    assert.doesNotMatch(tip.variables.CI_COMMIT_MESSAGE!, /\[skip ci\]/);
    assert.deepEqual(sandbox.getPipelineJobs(tip), [], 'the workflow rules refuse it even without ci.skip');
  });

  test('fast-forward merge of develop into main (tip: the release(dev) commit) deploys prod', async () => {
    await git(dev, 'checkout', '--quiet', 'main');
    await git(dev, 'merge', '--quiet', '--ff-only', 'origin/develop');
    await git(dev, 'push', '--quiet', 'origin', 'main');
    const trigger = await pushOf(dev, 'main');
    assert.equal(
      trigger.variables.CI_COMMIT_SHA,
      await git(dev, 'rev-parse', 'origin/develop'),
      'a fast-forward',
    );
    assert.match(trigger.variables.CI_COMMIT_MESSAGE!, /^release\(dev\): /);
    assert.deepEqual(server.getPushOptions().at(-1), [], "the developer's push carries no ci.skip");
    assert.deepEqual(sandbox.getPipelineJobs(trigger), prodPipeline);
  });

  test('merge commit of develop into main deploys prod', async () => {
    const feature = await commitAndPush('develop', 'smaller model');
    await releaseDev(feature);
    await git(dev, 'checkout', '--quiet', 'main');
    await git(dev, 'merge', '--quiet', '--no-ff', '-m', "Merge branch 'develop'", 'origin/develop');
    await git(dev, 'push', '--quiet', 'origin', 'main');
    const trigger = await pushOf(dev, 'main');
    const parents = (await git(dev, 'log', '-1', '--format=%P', 'origin/main')).split(' ');
    assert.equal(parents.length, 2, 'a merge commit');
    assert.deepEqual(sandbox.getPipelineJobs(trigger), prodPipeline);
  });

  test('the prod release commit written on main starts no pipeline', async () => {
    await git(dev, 'checkout', '--quiet', 'main');
    const tip = await git(dev, 'rev-parse', 'origin/main');
    // release-prod's write-back, as the prod pipeline of the merge would run it.
    const checkout = join(root, 'ci-prod');
    await git(root, 'clone', '--quiet', '--branch', 'main', remoteUrl, checkout);
    const before = server.getPushOptions().length;
    await deployctl(checkout, 'release', '--env', 'prod', '--branch', 'main', '--commit', tip);
    await git(dev, 'fetch', '--quiet', 'origin');
    assert.deepEqual(server.getPushOptions().slice(before), [['ci.skip']]);
    const trigger = await pushOf(dev, 'main');
    assert.match(trigger.variables.CI_COMMIT_MESSAGE!, /^release\(prod\): /);
    assert.deepEqual(sandbox.getPipelineJobs(trigger), []);
  });
});
