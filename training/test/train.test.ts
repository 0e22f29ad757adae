import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { TRAIN_CONFIG } from '../src/config.js';
import { type Dataset, digestExamples, loadDataset } from '../src/data.js';
import { featurizeAll } from '../src/features.js';
import { scoreRows, sigmoid } from '../src/logreg.js';
import { exportOnnx } from '../src/onnx.js';
import { sha256, trainModel } from '../src/pipeline.js';
import { createSession, scoreWithOnnx } from '../src/score.js';

const NAMES = { ids: 'token_ids', weights: 'token_weights', probabilities: 'probabilities' };

/** Every 8th example of the corpus: enough to learn something, fast to train. */
function subset(): Dataset {
  const full = loadDataset();
  const examples = full.examples.filter((_, i) => i % 8 === 0);
  const spam = examples.filter((e) => e.label === 1).length;
  return {
    ...full,
    examples,
    digest: digestExamples(examples),
    stats: { ...full.stats, ham: examples.length - spam, spam },
  };
}

const FAST = { ...TRAIN_CONFIG, optimizer: { ...TRAIN_CONFIG.optimizer, epochs: 30 } };

describe('training', () => {
  const data = subset();

  it('is deterministic: the same data in gives the same model bytes', async () => {
    const a = await trainModel(data, FAST);
    const b = await trainModel(data, FAST);
    assert.equal(sha256(a.onnx), sha256(b.onnx));
    assert.equal(a.cardJson, b.cardJson);
    assert.equal(a.card.files.sha256, sha256(a.onnx));
    // and the data matters: one example less → another model
    const fewer = {
      ...data,
      examples: data.examples.slice(1),
      digest: digestExamples(data.examples.slice(1)),
    };
    const c = await trainModel(fewer, FAST);
    assert.notEqual(sha256(c.onnx), sha256(a.onnx));
  });

  it('learns: the subset model beats the majority class on its held-out split', async () => {
    const r = await trainModel(data, FAST);
    const majority = data.stats.ham / data.examples.length;
    assert.ok(r.metrics.accuracy > majority + 0.05, `accuracy ${r.metrics.accuracy} vs majority ${majority}`);
    assert.ok(r.metrics.rocAuc > 0.95, `rocAuc ${r.metrics.rocAuc}`);
    assert.ok(r.onnxMaxAbsDiff < 1e-6, `ONNX vs reference ${r.onnxMaxAbsDiff}`);
    assert.equal(r.card.training.trainSize + r.card.training.testSize, data.examples.length);
  });
});

describe('ONNX export', () => {
  it('has the contract inputs/outputs and scores like the JS reference (random models and texts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.float32Array({
          minLength: 64,
          maxLength: 64,
          noNaN: true,
          noDefaultInfinity: true,
          min: -8,
          max: 8,
        }),
        fc.float({ min: -4, max: 4, noNaN: true }),
        fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 12 }),
        async (weights, bias, texts) => {
          weights[0] = 0; // the padding id
          const model = { weights, bias: Math.fround(bias) };
          const params = { ...TRAIN_CONFIG.preprocessing, buckets: 64 };
          const session = await createSession(
            exportOnnx(model, { name: 't', version: '0.0.0', labels: ['ham', 'spam'] }),
          );
          const rows = featurizeAll(texts, params);
          const viaOnnx = await scoreWithOnnx(session, rows, NAMES, 1, 5);
          const reference = scoreRows(model, rows);
          for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(viaOnnx[i]! - reference[i]!) < 1e-6);
          await session.release();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('outputs [N, 2] probabilities ordered ham, spam that sum to 1; padding changes nothing', async () => {
    const weights = Float32Array.from({ length: 16 }, (_, i) => (i === 0 ? 0 : (i - 8) / 4));
    const session = await createSession(
      exportOnnx({ weights, bias: 0.5 }, { name: 't', version: '1.0.0', labels: ['ham', 'spam'] }),
    );
    assert.deepEqual(session.inputNames, ['token_ids', 'token_weights']);
    assert.deepEqual(session.outputNames, ['probabilities']);
    const run = async (ids: number[], w: number[], n: number) =>
      (
        await session.run({
          token_ids: new ort.Tensor('int32', Int32Array.from(ids), [n, ids.length / n]),
          token_weights: new ort.Tensor('float32', Float32Array.from(w), [n, w.length / n]),
        })
      ).probabilities!;
    const out = await run([3, 12, 0, 0, 0, 0], [0.6, 0.8, 0, 0, 0, 0], 2);
    assert.deepEqual(out.dims, [2, 2]);
    const p = out.data as Float32Array;
    const expected = sigmoid(((3 - 8) / 4) * 0.6 + ((12 - 8) / 4) * 0.8 + 0.5);
    assert.ok(Math.abs(p[1]! - expected) < 1e-6);
    assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-6);
    assert.ok(Math.abs(p[3]! - sigmoid(0.5)) < 1e-6, 'an all-padding row scores sigmoid(bias)');
    const unpadded = (await run([3, 12], [0.6, 0.8], 1)).data as Float32Array;
    assert.equal(unpadded[1], p[1]);
    await session.release();
  });
});

describe('the bundled model', () => {
  it('is what `npm run model:train` writes (card and bytes agree)', async () => {
    const { readFileSync } = await import('node:fs');
    const { DEFAULT_MODEL_DIR } = await import('../src/config.js');
    const card = JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/model.json`, 'utf8'));
    const onnx = readFileSync(`${DEFAULT_MODEL_DIR}/model.onnx`);
    assert.equal(card.files.sha256, sha256(onnx));
    assert.deepEqual(card.preprocessing, TRAIN_CONFIG.preprocessing);
    assert.deepEqual(card.golden, TRAIN_CONFIG.golden);
    assert.equal(card.version, TRAIN_CONFIG.version);
    assert.deepEqual(card.labels, ['ham', 'spam']);
    assert.ok(card.golden.length >= 6 && card.golden.length <= 10);
    assert.deepEqual(new Set(card.golden.map((g: { label: string }) => g.label)), new Set(['ham', 'spam']));
  });
});
