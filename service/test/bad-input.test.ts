import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './helpers.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('bad input gets a 4xx JSON error with a stable code, never a 5xx', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildApp({ MAX_INPUT_CHARS: '100', MAX_BATCH_ITEMS: '4', BODY_LIMIT_BYTES: '2048' });
  });
  after(() => app.close());

  const cases: {
    name: string;
    status: number;
    code: string;
    payload?: string | Buffer;
    headers?: Record<string, string>;
    method?: 'POST' | 'GET' | 'PUT' | 'DELETE' | 'QUERY' | 'PROPFIND';
    url?: string;
  }[] = [
    { name: 'non-JSON body', status: 400, code: 'INVALID_JSON', payload: '{"input": nope' },
    { name: 'empty body', status: 400, code: 'INVALID_JSON', payload: '' },
    { name: 'JSON that is not an object', status: 400, code: 'INVALID_REQUEST', payload: '"text"' },
    { name: 'JSON array', status: 400, code: 'INVALID_REQUEST', payload: '["a"]' },
    { name: 'JSON null', status: 400, code: 'INVALID_REQUEST', payload: 'null' },
    {
      name: 'wrong content type',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      payload: 'input=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      name: 'text/plain',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      payload: '{"input":"x"}',
      headers: { 'content-type': 'text/plain' },
    },
    { name: 'missing input', status: 400, code: 'MISSING_INPUT', payload: '{}' },
    {
      name: 'both input and inputs',
      status: 400,
      code: 'MISSING_INPUT',
      payload: '{"input":"a","inputs":["b"]}',
    },
    { name: 'unknown field', status: 400, code: 'INVALID_REQUEST', payload: '{"text":"a"}' },
    { name: 'number input', status: 400, code: 'INVALID_REQUEST', payload: '{"input":42}' },
    { name: 'null input', status: 400, code: 'INVALID_REQUEST', payload: '{"input":null}' },
    { name: 'object input', status: 400, code: 'INVALID_REQUEST', payload: '{"input":{"a":1}}' },
    { name: 'empty text', status: 400, code: 'EMPTY_INPUT', payload: '{"input":""}' },
    {
      name: 'text over MAX_INPUT_CHARS',
      status: 400,
      code: 'INPUT_TOO_LONG',
      payload: JSON.stringify({ input: 'a'.repeat(101) }),
    },
    { name: 'empty batch', status: 400, code: 'EMPTY_INPUT', payload: '{"inputs":[]}' },
    {
      name: 'too many batch items',
      status: 400,
      code: 'TOO_MANY_ITEMS',
      payload: JSON.stringify({ inputs: ['a', 'b', 'c', 'd', 'e'] }),
    },
    { name: 'wrong-typed batch item', status: 400, code: 'INVALID_REQUEST', payload: '{"inputs":["a",1]}' },
    { name: 'empty batch item', status: 400, code: 'EMPTY_INPUT', payload: '{"inputs":["a",""]}' },
    { name: 'inputs not an array', status: 400, code: 'INVALID_REQUEST', payload: '{"inputs":"a"}' },
    {
      name: 'body over BODY_LIMIT_BYTES',
      status: 413,
      code: 'BODY_TOO_LARGE',
      payload: JSON.stringify({ input: 'a'.repeat(4096) }),
    },
    {
      name: 'deeply nested JSON (over the limit)',
      status: 413,
      code: 'BODY_TOO_LARGE',
      payload: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    },
    {
      name: 'deeply nested JSON (under the size limit): refused before parsing',
      status: 400,
      code: 'JSON_TOO_COMPLEX',
      payload: `{"input":${'['.repeat(1000)}${']'.repeat(1000)}}`,
    },
    {
      name: 'a bare deeply nested array',
      status: 400,
      code: 'JSON_TOO_COMPLEX',
      payload: `${'['.repeat(33)}${']'.repeat(33)}`,
    },

    {
      name: 'invalid UTF-8',
      status: 400,
      code: 'INVALID_UTF8',
      payload: Buffer.from([
        0x7b, 0x22, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d,
      ]),
    },
    {
      name: 'prototype poisoning',
      status: 400,
      code: 'INVALID_JSON',
      payload: '{"input":"a","__proto__":{"x":1}}',
    },
    { name: 'unknown route', status: 404, code: 'NOT_FOUND', method: 'GET', url: '/nope' },
    { name: 'wrong method', status: 405, code: 'METHOD_NOT_ALLOWED', method: 'GET', url: '/predict' },
    {
      name: 'wrong method on a GET route',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      method: 'DELETE',
      url: '/readyz',
    },
    {
      name: 'QUERY, a method Fastify reads a body for',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      method: 'QUERY',
      url: '/livez',
    },
    {
      name: 'PROPFIND with a body',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      method: 'PROPFIND',
      url: '/predict',
      payload: '<propfind/>',
      headers: { 'content-type': 'text/xml' },
    },
    {
      name: 'QUERY on an unknown path',
      status: 404,
      code: 'NOT_FOUND',
      method: 'QUERY',
      url: '/nope',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    },
    {
      name: 'a missing /docs asset',
      status: 404,
      code: 'NOT_FOUND',
      method: 'GET',
      url: '/docs/static/nope.js',
    },
    ...['gzip', 'br', 'deflate', 'zstd', 'identity, gzip'].map((encoding) => ({
      name: `Content-Encoding: ${encoding}`,
      status: 415,
      code: 'UNSUPPORTED_CONTENT_ENCODING',
      payload: '{"input":"x"}',
      headers: { ...JSON_TYPE, 'content-encoding': encoding },
    })),
  ];

  for (const c of cases) {
    test(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await app.inject({
        method: c.method ?? 'POST',
        url: c.url ?? '/predict',
        headers: c.headers ?? (c.payload === undefined ? {} : JSON_TYPE),
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      });
      assert.equal(res.statusCode, c.status, res.body);
      assert.match(res.headers['content-type'] as string, /^application\/json/);
      const { error } = res.json();
      assert.equal(error.code, c.code);
      assert.ok(error.message.length > 10, 'the message says what to fix');
      assert.ok(!/at .*\.(js|ts):\d+/.test(res.body), 'no stack trace');
    });
  }

  test('a 405 lists the allowed methods', async () => {
    const res = await app.inject({ method: 'PUT', url: '/predict' });
    assert.equal(res.headers.allow, 'POST');
    const query = await app.inject({ method: 'QUERY', url: '/livez' });
    assert.equal(query.headers.allow, 'GET, HEAD');
  });

  test('Content-Encoding: identity is plain bytes; a 415 names what is accepted', async () => {
    const plain = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { ...JSON_TYPE, 'content-encoding': 'identity' },
      payload: '{"input":"x"}',
    });
    assert.equal(plain.statusCode, 200, plain.body);
    const gzip = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      payload: '{"input":"x"}',
    });
    assert.equal(gzip.headers['accept-encoding'], 'identity');
  });

  test('the limits are named in the messages', async () => {
    const long = await app.inject({ method: 'POST', url: '/predict', payload: { input: 'a'.repeat(101) } });
    assert.match(long.json().error.message, /100 characters/);
    const many = await app.inject({
      method: 'POST',
      url: '/predict',
      payload: { inputs: ['a', 'b', 'c', 'd', 'e'] },
    });
    assert.match(many.json().error.message, /at most 4/);
  });

  test('a bad URL encoding answers 400 in the same JSON shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/%zz' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'MALFORMED_REQUEST');
  });
});
