import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ServiceProcess, startService, waitUntilReady } from '../../test/support/service-process.js';
import { card } from './helpers.js';
import { request, rssMb } from './http.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

// Paths: the real routes (most requests should reach a handler), plus random junk.
const path = fc.oneof(
  fc.constantFrom(
    '/predict',
    '/readyz',
    '/livez',
    '/version',
    '/metrics',
    '/openapi.json',
    '/v2',
    `/v2/models/${card.name}`,
    `/v2/models/${card.name}/infer`,
    `/v2/models/${card.name}/versions/${card.version}/infer`,
    '/v2/models/x/infer',
    '/%zz',
    '/predict?x=1',
  ),
  fc
    .array(fc.string({ maxLength: 12 }), { maxLength: 4 })
    .map((parts) => `/${parts.map(encodeURIComponent).join('/')}`),
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '',
  ),
  fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,15}$/),
);
const text = fc.string({ unit: 'binary', maxLength: 300 });
const body = fc.oneof(
  fc.record({ input: fc.oneof(text, fc.jsonValue()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc
    .record({ inputs: fc.oneof(fc.array(text, { maxLength: 80 }), fc.jsonValue()) })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      id: fc.string(),
      inputs: fc.array(
        fc.record({
          name: fc.constantFrom('text', 'x'),
          shape: fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 3 }),
          datatype: fc.constantFrom('BYTES', 'FP32'),
          data: fc.array(fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 3 })), { maxLength: 6 }),
        }),
        { maxLength: 2 },
      ),
    })
    .map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 1, max: 3000 }).map((depth) => `{"input":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.constant(undefined),
);
const headers = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.stringMatching(/^[\x20-\x7e]{0,100}$/),
  { maxKeys: 5 },
);
const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path,
  contentType,
  body,
  headers,
});

describe('fuzzing the real server (fast-check)', () => {
  let server: ServiceProcess;
  before(async () => {
    server = await startService({ env: { LOG_LEVEL: 'warn', MAX_BATCH_ITEMS: '64' } });
    await waitUntilReady(server.url);
  });
  after(() => server.stop());

  test(`${RUNS} random requests: never a 5xx, always JSON errors, the process stays up, memory bounded`, async () => {
    // A fresh connection per request: a failing case then stands on its own.
    const agent = new http.Agent({ keepAlive: false });
    const rssBefore = rssMb(server.proc.pid!);
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const res = await request(`${server.url}${r.path}`, {
          method: r.method,
          headers: { ...r.headers, ...(r.contentType ? { 'content-type': r.contentType } : {}) },
          // Bodies only where Node's client frames them reliably (its DELETE/OPTIONS bodies are not).
          ...(r.body === undefined || !['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : { body: r.body }),
          agent,
        }).catch((error: unknown) => {
          throw new Error(`request failed: ${String(error)}`);
        });
        assert.ok(res.status < 500 || res.status === 503, `HTTP ${res.status}: ${res.body}`);
        if (res.status >= 400 && r.method !== 'HEAD') {
          const parsed = JSON.parse(res.body) as { error: unknown };
          assert.ok(parsed.error, `error body ${res.body}`);
        }
      }),
      { numRuns: RUNS, verbose: 1 },
    );
    agent.destroy();
    assert.equal(server.proc.exitCode, null, 'the process is still running');
    assert.equal((await request(`${server.url}/livez`)).status, 200);
    const rssAfter = rssMb(server.proc.pid!);
    assert.ok(rssAfter < 300, `RSS ${rssAfter.toFixed(0)} MB stays under 300 MB`);
    assert.ok(rssAfter - rssBefore < 100, `RSS grew ${(rssAfter - rssBefore).toFixed(0)} MB (bounded)`);
  });

  test('random bytes on a raw TCP connection never take the server down', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 500 }), async (bytes) => {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, '127.0.0.1', () => socket.end(Buffer.from(bytes)));
          socket.on('data', () => {});
          socket.on('close', () => resolve());
          socket.on('error', () => resolve());
          socket.setTimeout(5000, () => socket.destroy());
        });
      }),
      { numRuns: 50 },
    );
    assert.equal(server.proc.exitCode, null);
    assert.equal((await request(`${server.url}/livez`)).status, 200);
  });
});
