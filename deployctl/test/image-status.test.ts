/**
 * `deployctl image-status` against a real OCI registry (Debian's
 * docker-registry, the ECR stand-in): the three states a tag can be in for a
 * commit, and a registry that cannot answer (issue 11, item 5).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/net.js';
import { type Registry, startRegistry } from '../../test/support/registry.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { getImageStatus, REVISION_LABEL } from '../src/registry.js';
import { buildGantt } from '../src/timeline/gantt.js';

const sha = () => randomBytes(20).toString('hex');

const BIN = fileURLToPath(new URL('../bin/deployctl.js', import.meta.url));

/** Runs bin/deployctl.js as a job script does; its exit code and output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code: code ?? -1, stdout, stderr };
}

describe('deployctl image-status on a real registry (docker-registry)', () => {
  let registry: Registry;
  let work: string;
  before(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'image-status-'));
  });
  after(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('absent: no such tag (and no such repository) → exit 0, IMAGE_STATUS=absent', async () => {
    const commit = sha();
    await registry.pushImage('svc', 'other-tag', { [REVISION_LABEL]: sha() });
    for (const repository of ['svc', 'never-pushed']) {
      const dotenv = join(work, `absent-${repository}.env`);
      const result = await cli([
        'image-status',
        '--image',
        `${registry.host}/${repository}:${commit}`,
        '--revision',
        commit,
        '--dotenv',
        dotenv,
      ]);
      assert.equal(result.code, EXIT_CODES.ok, result.stderr);
      assert.match(result.stdout, /^absent: /);
      assert.equal(readFileSync(dotenv, 'utf8'), 'IMAGE_STATUS=absent\nIMAGE_STATUS_DIGEST=\n');
    }
  });

  test('present-same-revision: the tag holds this commit’s build → exit 0, with its digest', async () => {
    const commit = sha();
    const digest = await registry.pushImage('svc', commit, { [REVISION_LABEL]: commit });
    const result = await cli([
      'image-status',
      '--image',
      `${registry.host}/svc:${commit}`,
      '--revision',
      commit,
      '--json',
    ]);
    assert.equal(result.code, EXIT_CODES.ok, result.stderr);
    const data = JSON.parse(result.stdout) as { status: string; digest: string; foundRevision: string };
    assert.deepEqual(
      { status: data.status, digest: data.digest, foundRevision: data.foundRevision },
      { status: 'present-same-revision', digest, foundRevision: commit },
    );
  });

  test('present-other-revision: another commit under this tag → exit 8 with the fix', async () => {
    const commit = sha();
    const intruder = sha();
    const digest = await registry.pushImage('svc', commit, { [REVISION_LABEL]: intruder });
    const dotenv = join(work, 'other.env');
    const result = await cli([
      'image-status',
      '--image',
      `${registry.host}/svc:${commit}`,
      '--revision',
      commit,
      '--dotenv',
      dotenv,
    ]);
    assert.equal(result.code, EXIT_CODES.conflict);
    assert.match(
      result.stdout,
      new RegExp(
        `^present-other-revision: refused: .*svc:${commit} \\(${digest}\\) already exists, built from revision ${intruder}, not ${commit}\\. Nothing was built or pushed.*delete the tag`,
      ),
    );
    assert.match(readFileSync(dotenv, 'utf8'), /^IMAGE_STATUS=present-other-revision\n/);
  });

  test('an image without a revision label is another revision, not this commit', async () => {
    const commit = sha();
    await registry.pushImage('svc', commit);
    const status = await getImageStatus(`${registry.host}/svc:${commit}`, commit);
    assert.equal(status.status, 'present-other-revision');
    assert.equal(status.foundRevision, undefined);
  });

  test('a registry that is down: exit 3 and a message naming the fix, never "absent"', async () => {
    const commit = sha();
    const port = await freePort();
    const result = await cli([
      'image-status',
      '--image',
      `127.0.0.1:${port}/svc:${commit}`,
      '--revision',
      commit,
    ]);
    assert.equal(result.code, EXIT_CODES.network);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      new RegExp(
        `cannot tell whether 127\\.0\\.0\\.1:${port}/svc:${commit} exists: .*ECONNREFUSED.*Nothing was built or pushed; check that the registry 127\\.0\\.0\\.1:${port} is up and reachable`,
      ),
    );
  });

  test('bad input: a tag-less image or a short revision → exit 2', async () => {
    const commit = sha();
    const noTag = await cli(['image-status', '--image', `${registry.host}/svc`, '--revision', commit]);
    assert.equal(noTag.code, EXIT_CODES.input);
    assert.match(noTag.stderr, /is not <registry host>\/<repository>:<tag>/);
    const short = await cli(['image-status', '--image', `${registry.host}/svc:x`, '--revision', 'abc']);
    assert.equal(short.code, EXIT_CODES.input);
  });
});

/**
 * TEST DOUBLE of an S3-backed registry (ECR sends blob downloads to a
 * pre-signed URL on another host): docker-registry serves blobs itself, so the
 * redirect and the credential that must not follow it are shown here.
 */
describe('image-status follows a blob redirect without the registry credential', () => {
  let registry: Server;
  let storage: Server;
  const storageAuth: (string | undefined)[] = [];
  const commit = sha();
  before(async () => {
    storage = createServer((req, res) => {
      storageAuth.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(JSON.stringify({ config: { Labels: { [REVISION_LABEL]: commit } } }));
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const storagePort = (storage.address() as AddressInfo).port;
    registry = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer pull') {
        res.writeHead(401).end();
        return;
      }
      if (req.url === `/v2/svc/manifests/${commit}`) {
        res.writeHead(200, { 'docker-content-digest': `sha256:${'d'.repeat(64)}` });
        res.end(JSON.stringify({ schemaVersion: 2, config: { digest: `sha256:${'c'.repeat(64)}` } }));
        return;
      }
      res.writeHead(307, { location: `http://localhost:${storagePort}/blob?signature=x` }).end();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    registry.close();
    storage.close();
  });

  test('reads the revision from the redirected blob; the storage host gets no credential', async () => {
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    const status = await getImageStatus(`${host}/svc:${commit}`, commit, undefined, {
      DEPLOYCTL_REGISTRY_TOKEN: 'pull',
    });
    assert.equal(status.status, 'present-same-revision');
    assert.equal(status.digest, `sha256:${'d'.repeat(64)}`);
    assert.deepEqual(storageAuth, [undefined]);
  });
});

test('the timeline ends the build and publish stages at build-reused and push-reused', () => {
  const gantt = buildGantt('reused', [
    { event: 'commit', at: '2026-11-30T12:00:00Z' },
    { event: 'pipeline-start', at: '2026-11-30T12:00:05Z' },
    { event: 'build-started', at: '2026-11-30T12:00:10Z' },
    { event: 'build-reused', at: '2026-11-30T12:00:20Z' },
    { event: 'publish-started', at: '2026-11-30T12:00:30Z' },
    { event: 'push-reused', at: '2026-11-30T12:00:35Z' },
  ]);
  const row = (stage: string) => gantt.rows.find((r) => r.stage === stage);
  assert.equal(row('build')?.durationS, 10);
  assert.equal(row('publish')?.durationS, 5);
  assert.deepEqual(gantt.otherEvents, []);
});
