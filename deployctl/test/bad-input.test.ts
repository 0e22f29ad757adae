import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT_CODES } from '../src/errors.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteRefs,
  git,
  runCli,
} from './helpers/git-fixture.js';

/** Every bad-input case: a clear message, a non-zero exit, and neither the remote nor the checkout changed. */
describe('bad input gives a clear message, a non-zero exit and writes nothing', () => {
  let fixture: Fixture;
  let commit: string;
  let checkout: string;
  before(() => {
    fixture = createFixture();
    commit = addCommits(fixture, 1)[0]!;
    // develop gets a broken values file, and a branch `nokey` a values file without image.tag.
    git(fixture.dev, 'checkout', '--quiet', '-B', 'develop', 'origin/develop');
    writeFileSync(
      join(fixture.dev, 'helm/values-dev.yaml'),
      'image:\n  tag: [unclosed\n  repository: x: y\n',
    );
    git(fixture.dev, 'commit', '--quiet', '-am', 'break values-dev');
    git(fixture.dev, 'push', '--quiet', 'origin', 'develop');
    git(fixture.dev, 'checkout', '--quiet', '-B', 'nokey', 'origin/main');
    writeFileSync(join(fixture.dev, 'helm/values-prod.yaml'), '# no tag here\nimage:\n  repository: r\n');
    git(fixture.dev, 'commit', '--quiet', '-am', 'values without tag');
    git(fixture.dev, 'push', '--quiet', 'origin', 'nokey');
    checkout = clonePipelineCheckout(fixture, 'ci');
  });
  after(() => fixture.cleanup());

  async function expectFailure(
    args: string[],
    exitCode: number,
    message: RegExp,
    env: NodeJS.ProcessEnv = {},
  ) {
    const refs = getRemoteRefs(fixture);
    const head = git(checkout, 'rev-parse', 'HEAD');
    const run = await runCli(args, { cwd: checkout, env });
    assert.equal(run.code, exitCode, `exit code; stderr: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(getRemoteRefs(fixture), refs, 'remote unchanged');
    assert.equal(git(checkout, 'rev-parse', 'HEAD'), head, 'checkout HEAD unchanged');
    assert.equal(git(checkout, 'status', '--porcelain'), '', 'checkout clean');
  }

  test('an unknown env', async () => {
    await expectFailure(
      ['release', '--env', 'staging', '--commit', commit],
      EXIT_CODES.input,
      /unknown environment `staging`; known: dev, prod/,
    );
  });

  test('a malformed SHA', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', 'abc123'],
      EXIT_CODES.input,
      /--commit `abc123` is not a full 40-character/,
    );
  });

  test('a malformed digest', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--digest', 'md5:1'],
      EXIT_CODES.input,
      /--digest `md5:1` is not an image digest/,
    );
  });

  test('a values file that is not YAML', async () => {
    await expectFailure(
      ['release', '--env', 'dev', '--commit', commit],
      EXIT_CODES.input,
      /helm\/values-dev\.yaml is not valid YAML/,
    );
  });

  test('a values file without the image.tag key', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--branch', 'nokey', '--commit', commit],
      EXIT_CODES.input,
      /helm\/values-prod\.yaml has no scalar `image\.tag` key/,
    );
  });

  test('a commit that does not exist', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', 'f'.repeat(40)],
      EXIT_CODES.input,
      /is not in this repository or on remote `origin`/,
    );
  });

  test('a network error reaching the git remote', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--remote', 'http://127.0.0.1:9/nothing.git'],
      EXIT_CODES.network,
      /cannot fetch `main` from remote `http:\/\/127\.0\.0\.1:9\/nothing\.git`/,
    );
  });

  test('a network error reaching Argo CD', async () => {
    await expectFailure(
      ['wait', '--app', 'x', '--revision', commit, '--server', 'http://127.0.0.1:9', '--timeout', '5'],
      EXIT_CODES.network,
      /cannot reach http:\/\/127\.0\.0\.1:9\/api\/v1\/applications\/x\?refresh=normal \(ECONNREFUSED/,
      { ARGOCD_AUTH_TOKEN: 'test-token' },
    );
  });

  test('an unknown flag is a usage error', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--bogus'],
      EXIT_CODES.input,
      /unknown option '--bogus'/,
    );
  });

  test('--json errors are JSON on stdout too', async () => {
    const run = await runCli(['release', '--env', 'qa', '--commit', commit, '--json'], { cwd: checkout });
    assert.equal(run.code, EXIT_CODES.input);
    const body = JSON.parse(run.stdout) as { status: string; error: { kind: string; message: string } };
    assert.equal(body.status, 'error');
    assert.equal(body.error.kind, 'input');
    assert.match(body.error.message, /unknown environment `qa`/);
  });
});
