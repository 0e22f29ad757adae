import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, card, modelCopy, scrapeMetrics } from './helpers.js';

describe('operations routes', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildApp({
      GIT_COMMIT: 'a'.repeat(40),
      BUILD_TIME: '2026-01-01T00:00:00Z',
      INSTANCE_ID: 'test-1',
    });
  });
  after(() => app.close());

  test('GET /livez is 200', async () => {
    const res = await app.inject({ url: '/livez' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('GET /readyz is 200 once the model passed warm-up', async () => {
    const res = await app.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('GET /version names the commit, build time, model and instance', async () => {
    const res = await app.inject({ url: '/version' });
    assert.deepEqual(res.json(), {
      commit: 'a'.repeat(40),
      buildTime: '2026-01-01T00:00:00Z',
      model: { name: card.name, version: card.version },
      instanceId: 'test-1',
      node: process.versions.node,
    });
  });

  test('GET /version reports the Node.js major pinned in .node-version', async () => {
    const pinned = readFileSync(new URL('../../.node-version', import.meta.url), 'utf8').trim();
    const { node } = (await app.inject({ url: '/version' })).json() as { node: string };
    assert.equal(
      node.split('.')[0],
      pinned.split('.')[0],
      `service runs node ${node}, .node-version pins ${pinned}`,
    );
  });

  test('GET /metrics (metrics listener) has the HTTP, model, event-loop and process metrics', async () => {
    await app.inject({ method: 'POST', url: '/predict', payload: { input: 'hello' } });
    const res = await scrapeMetrics(app);
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    for (const name of [
      'http_requests_total{method="POST",route="/predict",status="200"}',
      'http_request_duration_seconds_bucket',
      'http_requests_in_flight',
      'model_inference_duration_seconds_bucket',
      'model_batch_size_bucket',
      'model_queue_depth',
      `model_info{name="${card.name}",version="${card.version}"} 1`,
      `inference_service_build_info{commit="${'a'.repeat(40)}",model_name="${card.name}",model_version="${card.version}",instance_id="test-1"`,
      `model_predictions_total{model_name="${card.name}",model_version="${card.version}",label=`,
      'model_prediction_score_bucket',
      'model_input_length_characters_bucket',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      assert.ok(res.body.includes(name), `missing ${name}`);
    }
  });

  test('the API port does not serve /metrics (404 JSON); the metrics listener 404s the rest', async () => {
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'NOT_FOUND');
    const other = await scrapeMetrics(app, '/predict');
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'NOT_FOUND');
  });

  test('GET /openapi.json documents the routes from the validating schemas', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    const predict = doc.paths['/predict'].post;
    const body = predict.requestBody.content['application/json'].schema;
    assert.equal(body.properties.input.maxLength, 20000);
    for (const status of ['200', '400', '413', '415', '503'])
      assert.ok(predict.responses[status], `response ${status}`);
    for (const path of ['/readyz', '/livez', '/version', '/v2/models/{name}/infer']) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    assert.equal(doc.paths['/metrics'], undefined, '/metrics is not on the API port');
  });

  test('GET /docs serves Swagger UI', async () => {
    const res = await app.inject({ url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /swagger/i);
  });

  test('/readyz turns 503 the moment shutdown begins; /livez and /predict keep answering', async () => {
    const other = await buildApp();
    try {
      other.readiness.beginShutdown();
      const ready = await other.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.deepEqual(ready.json(), { status: 'not-ready', reason: 'shutting down' });
      assert.equal((await other.inject({ url: '/v2/health/ready' })).statusCode, 503);
      assert.equal((await other.inject({ url: '/livez' })).statusCode, 200);
      const predict = await other.inject({
        method: 'POST',
        url: '/predict',
        payload: { input: 'still serving' },
      });
      assert.equal(predict.statusCode, 200);
    } finally {
      await other.close();
    }
  });
});

describe('readiness gate on warm-up', () => {
  test('a model whose golden examples come out wrong stays not ready, and /predict says so', async () => {
    const dir = modelCopy((c) => {
      const golden = c.golden as { input: string; label: string }[];
      golden[0]!.label = golden[0]!.label === 'spam' ? 'ham' : 'spam';
    });
    const app = await buildApp({ MODEL_DIR: dir });
    try {
      assert.equal(app.model.status, 'failed');
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.match(ready.json().reason, /warm-up failed: golden example 0/);
      const predict = await app.inject({ method: 'POST', url: '/predict', payload: { input: 'x' } });
      assert.equal(predict.statusCode, 503);
      assert.equal(predict.json().error.code, 'MODEL_NOT_READY');
      assert.equal(predict.headers['retry-after'], '1');
      assert.equal((await app.inject({ url: '/livez' })).statusCode, 200, 'alive, just not ready');
    } finally {
      await app.close();
    }
  });

  test('/readyz is 503 while the model is still loading', async () => {
    // The warm-up batch waits up to BATCH_MAX_WAIT_MS for company: a long wait holds the model
    // in 'loading' well past ready().
    const app = await buildApp({ BATCH_MAX_WAIT_MS: '1000' }, false);
    try {
      assert.equal(app.model.status, 'loading');
      const res = await app.inject({ url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'not-ready', reason: 'model is loading' });
      await app.model.loaded;
      assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });

  test('a broken model card stops the app at boot with a message naming the field', async () => {
    const dir = modelCopy((c) => {
      c.labels = ['only-one'];
    });
    await assert.rejects(buildApp({ MODEL_DIR: dir }), /model card .*model\.json: \/labels/);
  });
});

describe('model bundle errors', () => {
  test('a card naming an ONNX input the model lacks keeps the service not ready, saying which', async () => {
    const dir = modelCopy((c) => {
      c.inputs = { ids: 'no_such_input', weights: 'token_weights' };
    });
    const app = await buildApp({ MODEL_DIR: dir });
    try {
      assert.equal(app.model.status, 'failed');
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.match(ready.json().reason, /input "no_such_input" is missing/);
    } finally {
      await app.close();
    }
  });
});
