import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetrics, rocAuc } from '../src/metrics.js';

describe('metrics', () => {
  it('computes accuracy, precision, recall and F1 for the positive class', () => {
    // tp=2 (0.9, 0.6), fn=1 (0.4), fp=1 (0.7), tn=2
    const m = computeMetrics([0.9, 0.6, 0.4, 0.7, 0.1, 0.2], [1, 1, 1, 0, 0, 0]);
    assert.equal(m.accuracy, 4 / 6);
    assert.equal(m.precision, 2 / 3);
    assert.equal(m.recall, 2 / 3);
    assert.ok(Math.abs(m.f1 - 2 / 3) < 1e-12);
    assert.equal(m.testSize, 6);
  });

  it('ROC AUC: perfect, inverted, random ties', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
    assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
    // one positive below one negative out of 2×2 pairs
    assert.equal(rocAuc([0.1, 0.6, 0.5, 0.9], [0, 0, 1, 1]), 0.75);
    assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [0, 0])));
  });
});
