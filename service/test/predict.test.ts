import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, card, scrapeMetrics } from './helpers.js';

describe('POST /predict', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildApp();
  });
  after(() => app.close());

  test('answers the original request {"input": "text"} with label, score and model', async () => {
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { input: 'test' } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['label', 'model', 'score']);
    assert.ok(card.labels.includes(body.label));
    assert.ok(body.score >= 0.5 && body.score <= 1, `score ${body.score} is the winning probability`);
    assert.deepEqual(body.model, { name: card.name, version: card.version });
  });

  test('predicts every golden example of the model card as expected', async () => {
    for (const example of card.golden) {
      const res = await app.inject({ method: 'POST', url: '/predict', payload: { input: example.input } });
      assert.equal(res.json().label, example.label, example.input);
    }
  });

  test('answers a batch {"inputs": [...]} in order, like the single requests', async () => {
    const texts = card.golden.map((g) => g.input);
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { inputs: texts } });
    assert.equal(res.statusCode, 200);
    const { predictions, model } = res.json();
    assert.deepEqual(
      predictions.map((p: { label: string }) => p.label),
      card.golden.map((g) => g.label),
    );
    assert.deepEqual(model, { name: card.name, version: card.version });
    const single = await app.inject({ method: 'POST', url: '/predict', payload: { input: texts[0] } });
    assert.ok(Math.abs(single.json().score - predictions[0].score) < 1e-6, 'padding does not change a score');
  });

  test('concurrent requests are batched and each gets its own answer', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => card.golden[i % card.golden.length]!);
    const answers = await Promise.all(
      texts.map((g) => app.inject({ method: 'POST', url: '/predict', payload: { input: g.input } })),
    );
    for (const [i, res] of answers.entries()) assert.equal(res.json().label, texts[i]!.label);
    const metrics = (await scrapeMetrics(app)).body;
    // Some batch held more than one text: the buckets above 1 are not all empty.
    const single = Number(/model_batch_size_bucket\{le="1"\} (\d+)/.exec(metrics)![1]);
    const total = Number(/model_batch_size_count (\d+)/.exec(metrics)![1]);
    assert.ok(single < total, `batches of 1: ${single}, batches: ${total}`);
  });

  test('accepts any Unicode text, including emoji and lone surrogates', async () => {
    for (const input of ['héllo wörld 你好 🎉', '\ud800 lone', '   ', '$$$!!!']) {
      const res = await app.inject({ method: 'POST', url: '/predict', payload: { input } });
      assert.equal(res.statusCode, 200, input);
    }
  });
});
