import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, card } from './helpers.js';

describe('KServe v2 (Open Inference Protocol)', () => {
  let app: FastifyInstance;
  const base = `/v2/models/${card.name}`;
  before(async () => {
    app = await buildApp({ MAX_BATCH_ITEMS: '8' });
  });
  after(() => app.close());

  test('GET /v2 and the health routes', async () => {
    const server = await app.inject({ url: '/v2' });
    assert.equal(server.statusCode, 200);
    assert.equal(server.json().name, 'mlops-inference-service');
    assert.deepEqual((await app.inject({ url: '/v2/health/live' })).json(), { live: true });
    assert.deepEqual((await app.inject({ url: '/v2/health/ready' })).json(), { ready: true });
    assert.deepEqual((await app.inject({ url: `${base}/ready` })).json(), { name: card.name, ready: true });
  });

  test('GET /v2/models/{name} describes the BYTES input and the outputs', async () => {
    const res = await app.inject({ url: base });
    assert.equal(res.statusCode, 200);
    const meta = res.json();
    assert.equal(meta.name, card.name);
    assert.deepEqual(meta.versions, [card.version]);
    assert.deepEqual(meta.inputs, [{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
    assert.deepEqual(
      meta.outputs.map((o: { name: string }) => o.name),
      ['label', 'score'],
    );
    assert.equal((await app.inject({ url: `${base}/versions/${card.version}` })).statusCode, 200);
  });

  test('POST /v2/models/{name}/infer with a BYTES input echoes the id and answers in order', async () => {
    const texts = card.golden.slice(0, 4).map((g) => g.input);
    const res = await app.inject({
      method: 'POST',
      url: `${base}/infer`,
      payload: {
        id: 'req-42',
        inputs: [{ name: 'text', shape: [texts.length], datatype: 'BYTES', data: texts }],
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.id, 'req-42');
    assert.equal(body.model_name, card.name);
    assert.equal(body.model_version, card.version);
    const label = body.outputs.find((o: { name: string }) => o.name === 'label');
    assert.deepEqual(label, {
      name: 'label',
      shape: [texts.length],
      datatype: 'BYTES',
      data: card.golden.slice(0, 4).map((g) => g.label),
    });
    const score = body.outputs.find((o: { name: string }) => o.name === 'score');
    assert.equal(score.datatype, 'FP32');
    assert.equal(score.data.length, texts.length);
  });

  test('accepts [n, 1] nested data and an outputs filter; no id means none in the answer', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `${base}/infer`,
      payload: {
        inputs: [{ name: 'text', shape: [2, 1], datatype: 'BYTES', data: [['hello'], ['FREE $$$ now!!!']] }],
        outputs: [{ name: 'label' }],
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.id, undefined);
    assert.deepEqual(
      body.outputs.map((o: { name: string }) => o.name),
      ['label'],
    );
  });

  const bad: [string, string, unknown, number][] = [
    [
      'unknown model',
      '/v2/models/nope/infer',
      { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] }] },
      404,
    ],
    [
      'wrong version',
      `${base}/versions/9.9.9/infer`,
      { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] }] },
      404,
    ],
    [
      'non-BYTES datatype',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [1], datatype: 'FP32', data: ['a'] }] },
      400,
    ],
    [
      'unknown input name',
      `${base}/infer`,
      { inputs: [{ name: 'x', shape: [1], datatype: 'BYTES', data: ['a'] }] },
      400,
    ],
    [
      'shape/data mismatch',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [3], datatype: 'BYTES', data: ['a'] }] },
      400,
    ],
    [
      'number in data',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [1] }] },
      400,
    ],
    ['no inputs', `${base}/infer`, { inputs: [] }, 400],
    [
      'unknown output',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] }], outputs: [{ name: 'x' }] },
      400,
    ],
    [
      'too many elements',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [9], datatype: 'BYTES', data: Array(9).fill('a') }] },
      400,
    ],
    [
      'nested too many elements',
      `${base}/infer`,
      { inputs: [{ name: 'text', shape: [3, 3], datatype: 'BYTES', data: Array(3).fill(['a', 'b', 'c']) }] },
      400,
    ],
  ];
  for (const [name, url, payload, status] of bad) {
    test(`${name} → ${status} {"error": "..."}`, async () => {
      const res = await app.inject({ method: 'POST', url, payload: payload as object });
      assert.equal(res.statusCode, status, res.body);
      const body = res.json();
      assert.equal(typeof body.error, 'string', 'the protocol error shape is {"error": "message"}');
      assert.ok(body.error.length > 10);
    });
  }

  for (const [name, tensor] of [
    ['nested data under shape [n]', { shape: [2], data: [['a'], ['b']] }],
    ['flat data under shape [n, 1]', { shape: [2, 1], data: ['a', 'b'] }],
    ['mixed flat and nested data', { shape: [2], data: ['a', ['b']] }],
    ['shape [n, 2]', { shape: [1, 2], data: [['a', 'b']] }],
    ['shape [0]', { shape: [0], data: ['a'] }],
  ] as const) {
    test(`${name} → 400 (the shape must fit the data)`, async () => {
      const res = await app.inject({
        method: 'POST',
        url: `${base}/infer`,
        payload: { inputs: [{ name: 'text', datatype: 'BYTES', ...tensor }] },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().error, /^(INVALID_REQUEST|EMPTY_INPUT|INPUT_TOO_LONG|TOO_MANY_ITEMS): /);
    });
  }

  test('/openapi.json states exactly what infer accepts: name, datatype, outputs, shape vs data', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    const body = doc.paths['/v2/models/{name}/infer'].post.requestBody.content['application/json'].schema;
    const [fields, forms] = body.properties.inputs.items.allOf;
    // @fastify/swagger writes a const as a one-value enum.
    assert.deepEqual(fields.properties.name.enum, ['text']);
    assert.deepEqual(fields.properties.datatype.enum, ['BYTES']);
    assert.deepEqual(body.properties.outputs.items.properties.name.enum, ['label', 'score']);
    // MAX_BATCH_ITEMS=8 here: shape [n] and [n, 1] for n in 1..8.
    assert.equal(forms.anyOf.length, 16);
    assert.deepEqual(forms.anyOf[0].properties.shape.enum, [[1]]);
    assert.deepEqual(forms.anyOf[15].properties.shape.enum, [[8, 1]]);
    assert.equal(body.properties.parameters.maxProperties, 32);
    const params = doc.paths['/v2/models/{name}/infer'].post.parameters;
    assert.equal(params.find((p: { name: string }) => p.name === 'name').example, card.name);
  });

  test('unknown /v2 routes and wrong methods answer in the protocol shape', async () => {
    const missing = await app.inject({ url: '/v2/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(typeof missing.json().error, 'string');
    const method = await app.inject({ method: 'GET', url: `${base}/infer` });
    assert.equal(method.statusCode, 405);
    assert.equal(typeof method.json().error, 'string');
  });
});
