import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mulberry32, stratifiedSplit } from '../src/split.js';

describe('mulberry32', () => {
  it('is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10000 }, () => a());
    assert.deepEqual(
      xs,
      Array.from({ length: 10000 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02);
    assert.notDeepEqual(mulberry32(43)(), mulberry32(42)());
  });
});

describe('stratifiedSplit', () => {
  it('property: disjoint, complete, stratified, deterministic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 500 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (labels, fraction, seed) => {
          const { train, test } = stratifiedSplit(labels, fraction, seed);
          assert.equal(new Set([...train, ...test]).size, labels.length, 'disjoint and complete');
          assert.equal(train.length + test.length, labels.length);
          for (const label of [0, 1]) {
            const total = labels.filter((l) => l === label).length;
            const inTest = test.filter((i) => labels[i] === label).length;
            assert.equal(
              inTest,
              Math.round(fraction * total),
              `label ${label}: ${inTest} of ${total} in test`,
            );
          }
          assert.deepEqual(stratifiedSplit(labels, fraction, seed), { train, test });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('depends on the seed', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    assert.notDeepEqual(stratifiedSplit(labels, 0.2, 1).test, stratifiedSplit(labels, 0.2, 2).test);
  });

  it('rejects a fraction outside (0, 1)', () => {
    assert.throws(() => stratifiedSplit([0, 1], 0, 1), /testFraction/);
    assert.throws(() => stratifiedSplit([0, 1], 1, 1), /testFraction/);
  });
});
