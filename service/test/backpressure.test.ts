import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroBatcher, QueueFullError } from '../src/model/batcher.js';
import { buildApp } from './helpers.js';

describe('back-pressure', () => {
  test('a full queue answers 503 OVERLOADED with Retry-After; queued requests still succeed', async () => {
    // Two texts fit; the batch waits up to 1 s for a third that the queue bound refuses.
    const app = await buildApp({ MAX_QUEUE: '2', MAX_BATCH_ITEMS: '2', BATCH_MAX_WAIT_MS: '1000' });
    try {
      const send = () => app.inject({ method: 'POST', url: '/predict', payload: { input: 'hello there' } });
      const [a, b, c] = await Promise.all([send(), send(), send()]);
      assert.equal(a!.statusCode, 200);
      assert.equal(b!.statusCode, 200);
      assert.equal(c!.statusCode, 503);
      assert.equal(c!.headers['retry-after'], '1');
      assert.equal(c!.json().error.code, 'OVERLOADED');
      const after = await send();
      assert.equal(after.statusCode, 200, 'the queue drained and accepts again');
    } finally {
      await app.close();
    }
  });

  test('a batch request that does not fit is refused whole, not half-queued', async () => {
    const app = await buildApp({ MAX_QUEUE: '3', MAX_BATCH_ITEMS: '3', BATCH_MAX_WAIT_MS: '1000' });
    try {
      const first = app.inject({ method: 'POST', url: '/predict', payload: { inputs: ['a', 'b'] } });
      const second = app.inject({ method: 'POST', url: '/predict', payload: { inputs: ['c', 'd'] } });
      const [r1, r2] = await Promise.all([first, second]);
      assert.equal(r1.statusCode, 200);
      assert.equal(r1.json().predictions.length, 2);
      assert.equal(r2.statusCode, 503);
      assert.equal(app.model.queueDepth, 0);
    } finally {
      await app.close();
    }
  });
});

describe('MicroBatcher', () => {
  test('concurrent submissions share one run, in order', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxBatchSize: 8,
      maxWaitMs: 0,
      maxQueue: 100,
      async run(inputs) {
        runs.push(inputs);
        return inputs.map((x) => x * 10);
      },
    });
    const out = await Promise.all([1, 2, 3, 4, 5].map((x) => batcher.submit(x)));
    assert.deepEqual(out, [10, 20, 30, 40, 50]);
    assert.deepEqual(runs, [[1, 2, 3, 4, 5]]);
  });

  test('splits at maxBatchSize and runs one batch at a time', async () => {
    const runs: number[][] = [];
    let running = 0;
    const batcher = new MicroBatcher<number, number>({
      maxBatchSize: 3,
      maxWaitMs: 0,
      maxQueue: 100,
      async run(inputs) {
        running++;
        assert.equal(running, 1, 'never two runs at once');
        runs.push(inputs);
        await new Promise((r) => setImmediate(r));
        running--;
        return inputs;
      },
    });
    const out = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((x) => batcher.submit(x)));
    assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(runs, [[1, 2, 3], [4, 5, 6], [7]]);
  });

  test('a failing run rejects its items only', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxBatchSize: 2,
      maxWaitMs: 0,
      maxQueue: 100,
      async run(inputs) {
        if (inputs.includes(2)) throw new Error('boom');
        return inputs;
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((x) => batcher.submit(x)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
  });

  test('refuses beyond maxQueue with QueueFullError', () => {
    const batcher = new MicroBatcher<number, number>({
      maxBatchSize: 8,
      maxWaitMs: 1000,
      maxQueue: 2,
      run: async (x) => x,
    });
    void batcher.submit(1);
    void batcher.submit(2);
    assert.throws(() => batcher.submit(3), QueueFullError);
    assert.throws(() => batcher.submitAll([3]), QueueFullError);
  });
});
