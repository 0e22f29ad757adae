/**
 * The git server's GitLab push webhook (test/support/git-http-server.ts), on
 * its own: what a push sends, in GitLab's Push Hook format, with the fields
 * Argo CD v3.6.1's handler reads (util/webhook/webhook.go: project.web_url,
 * project.default_branch, ref, before, after, commits[].added/modified/removed).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';

const run = promisify(execFile);

interface Received {
  headers: IncomingHttpHeaders;
  body: {
    object_kind: string;
    ref: string;
    before: string;
    after: string;
    checkout_sha: string | null;
    total_commits_count: number;
    project: { web_url: string; git_http_url: string; default_branch: string; path_with_namespace: string };
    repository: { git_http_url: string };
    commits: { id: string; title: string; added: string[]; modified: string[]; removed: string[] }[];
  };
}

describe('git server: GitLab push webhooks', () => {
  let work: string;
  let git: GitHttpServer;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let answer = 200;
  const sh = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'git-webhook-'));
    mkdirSync(join(work, 'srv'));
    await run('git', [
      'init',
      '--quiet',
      '--bare',
      '--initial-branch=main',
      join(work, 'srv', 'project.git'),
    ]);
    git = await startGitHttpServer({ root: join(work, 'srv'), pushToken: 'push-token' });
    receiver = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(text) });
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhook`;
    const clone = join(work, 'clone');
    mkdirSync(clone);
    await sh(clone, 'init', '--quiet', '--initial-branch=main');
    await sh(clone, 'config', 'user.name', 'Dev Eloper');
    await sh(clone, 'config', 'user.email', 'dev@example.com');
    await sh(
      clone,
      'remote',
      'add',
      'origin',
      `${git.url.replace('http://', 'http://u:push-token@')}/project.git`,
    );
  });

  after(async () => {
    await git?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  const waitForDeliveries = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (git.deliveries.length < count && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(git.deliveries.length, count, 'deliveries');
  };

  test('a push without a webhook sends nothing', async () => {
    const clone = join(work, 'clone');
    writeFileSync(join(clone, 'a.txt'), 'a\n');
    await sh(clone, 'add', '-A');
    await sh(clone, 'commit', '--quiet', '-m', 'first');
    await sh(clone, 'push', '--quiet', 'origin', 'main');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(git.deliveries.length, 0);
  });

  test('a push to main sends a Push Hook with the token, the refs and the changed files', async () => {
    const remove = git.addWebhook({ url: receiverUrl, token: 's3cret' });
    const clone = join(work, 'clone');
    const beforeSha = await sh(clone, 'rev-parse', 'HEAD');
    writeFileSync(join(clone, 'a.txt'), 'a2\n');
    writeFileSync(join(clone, 'b.txt'), 'b\n');
    await sh(clone, 'add', '-A');
    await sh(clone, 'commit', '--quiet', '-m', 'second: change a, add b');
    unlinkSync(join(clone, 'b.txt'));
    await sh(clone, 'commit', '--quiet', '-am', 'third: remove b');
    await sh(clone, 'push', '--quiet', 'origin', 'main');
    const afterSha = await sh(clone, 'rev-parse', 'HEAD');
    await waitForDeliveries(1);
    remove();

    const [hook] = received;
    assert.ok(hook);
    assert.equal(hook.headers['x-gitlab-event'], 'Push Hook');
    assert.equal(hook.headers['x-gitlab-token'], 's3cret');
    assert.equal(hook.headers['content-type'], 'application/json');
    assert.equal(hook.body.object_kind, 'push');
    assert.equal(hook.body.ref, 'refs/heads/main');
    assert.equal(hook.body.before, beforeSha);
    assert.equal(hook.body.after, afterSha);
    assert.equal(hook.body.checkout_sha, afterSha);
    assert.equal(hook.body.project.web_url, `${git.url}/project`);
    assert.equal(hook.body.project.git_http_url, `${git.url}/project.git`);
    assert.equal(hook.body.repository.git_http_url, `${git.url}/project.git`);
    assert.equal(hook.body.project.default_branch, 'main');
    assert.equal(hook.body.total_commits_count, 2);
    assert.deepEqual(
      hook.body.commits.map((c) => [c.title, c.added, c.modified, c.removed]),
      [
        ['second: change a, add b', ['b.txt'], ['a.txt'], []],
        ['third: remove b', [], [], ['b.txt']],
      ],
    );
    assert.equal(git.deliveries[0]?.status, 200);
    assert.equal(git.deliveries[0]?.after, afterSha);
  });

  test('a new branch has before = 0000…; a refused delivery is recorded with its status', async () => {
    answer = 400;
    const remove = git.addWebhook({ url: receiverUrl, token: 'wrong' });
    const clone = join(work, 'clone');
    await sh(clone, 'push', '--quiet', 'origin', 'main:develop');
    await waitForDeliveries(2);
    remove();
    const hook = received.at(-1);
    assert.equal(hook?.body.ref, 'refs/heads/develop');
    assert.equal(hook?.body.before, '0'.repeat(40));
    assert.equal(git.deliveries[1]?.status, 400);
  });
});
