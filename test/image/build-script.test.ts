// scripts/build-image.sh rejects bad input before it builds anything: a clear
// message naming the value and exit code 2 (these cases never reach buildah).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from './commands.js';

const script = (args: string[]) => run('bash', ['scripts/build-image.sh', ...args], { timeoutMs: 60_000 });
const commit = ['--commit', '0123456789abcdef0123456789abcdef01234567'];

describe('scripts/build-image.sh', () => {
  test('--help documents every flag and exits 0', async () => {
    const result = await script(['--help']);
    assert.equal(result.code, 0);
    for (const flag of [
      '--registry',
      '--repository',
      '--tag',
      '--commit',
      '--base-image',
      '--build-base-image',
      '--cache-from',
      '--cache-to',
      '--isolation',
      '--storage-driver',
      '--push',
      '--digestfile',
    ]) {
      assert.match(result.stdout, new RegExp(`${flag}\\b`), `--help mentions ${flag}`);
    }
  });

  const rejects: [string, string[], RegExp][] = [
    ['an unknown option', ['--frobnicate'], /unknown option `--frobnicate`/],
    ['a flag without its value', ['--registry'], /--registry needs a value/],
    ['a commit that is not a hex SHA', ['--commit', 'main'], /--commit must be a hex commit SHA, got `main`/],
    ['a platform onnxruntime-node does not ship', [...commit, '--platform', 'linux/s390x'], /linux\/s390x/],
    ['an invalid repository name', [...commit, '--repository', 'Bad Name'], /lowercase OCI repository/],
    ['an invalid tag', [...commit, '--tag', 'no/slashes'], /invalid tag `no\/slashes`/],
    ['a --tls-verify that is not a boolean', [...commit, '--tls-verify', 'maybe'], /--tls-verify must be/],
    ['a missing context', [...commit, '--context', '/nonexistent-context'], /is not a directory/],
  ];
  for (const [what, args, message] of rejects) {
    test(`rejects ${what} with exit 2 and a message`, async () => {
      const result = await script(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  test('--push without any registry configured fails before building', async () => {
    const env = { ...process.env, IMAGE_REGISTRY: '', ECR_REGISTRY: '' };
    const result = await run('bash', ['scripts/build-image.sh', ...commit, '--push'], { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--push needs --registry/);
  });
});
