import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReleaseMessage, parseReleaseMessage } from '../src/release-message.js';

const COMMIT = 'a'.repeat(40);

test('release message: subject marks it as the pipeline own commit, trailers round-trip', () => {
  const message = formatReleaseMessage({ env: 'dev', commit: COMMIT, image: `r:${COMMIT}`, pipeline: '7' });
  assert.match(message, /^release\(dev\): deploy aaaaaaaaaaaa\n\n/);
  assert.match(message, /\n\nRelease-Commit: a{40}\nRelease-Image: r:a{40}\nRelease-Pipeline: 7\n$/);
  assert.deepEqual(parseReleaseMessage(message), {
    env: 'dev',
    commit: COMMIT,
    image: `r:${COMMIT}`,
    pipeline: '7',
    rollback: false,
    rollbackFrom: undefined,
  });
});

test('rollback message records Release-Rollback and where it came from', () => {
  const from = 'b'.repeat(40);
  const parsed = parseReleaseMessage(
    formatReleaseMessage({ env: 'prod', commit: COMMIT, image: 'r', pipeline: 'p', rollbackFrom: from }),
  );
  assert.equal(parsed?.rollback, true);
  assert.equal(parsed?.rollbackFrom, from);
});

test('other commits are not release commits', () => {
  assert.equal(parseReleaseMessage('fix: release(prod) notes\n\nRelease-Commit: x'), undefined);
  assert.equal(parseReleaseMessage('release(prod): no trailers'), undefined);
});
