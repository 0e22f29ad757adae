import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startService, waitUntilReady } from '../../test/support/service-process.js';
import { card } from './helpers.js';
import { request } from './http.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('the real server process (node src/server.ts)', () => {
  let server: ServiceProcess;
  before(async () => {
    server = await startService({ env: { LOG_LEVEL: 'debug', GIT_COMMIT: 'b'.repeat(40) } });
    await waitUntilReady(server.url);
  });
  after(() => server.stop());

  test('serves POST /predict over HTTP with the bundled model', async () => {
    const golden = card.golden[0]!;
    const res = await request(`${server.url}/predict`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({ input: golden.input }),
    });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).label, golden.label);
  });

  test('GET /metrics is served on METRICS_PORT only; the API port answers it 404 JSON', async () => {
    const metrics = await request(`${server.metricsUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] as string, /^text\/plain/);
    assert.match(metrics.body, /^http_requests_total\{method="POST",route="\/predict",status="200"\} \d+/m);
    const api = await request(`${server.url}/metrics`);
    assert.equal(api.status, 404);
    assert.equal(JSON.parse(api.body).error.code, 'NOT_FOUND');
  });

  test('GET /version reports the GIT_COMMIT it was started with', async () => {
    const res = await request(`${server.url}/version`);
    assert.equal(JSON.parse(res.body).commit, 'b'.repeat(40));
  });

  test('rejects invalid UTF-8 bytes with 400 INVALID_UTF8', async () => {
    const body = Buffer.concat([
      Buffer.from('{"input":"'),
      Buffer.from([0xff, 0xfe, 0xc0]),
      Buffer.from('"}'),
    ]);
    const res = await request(`${server.url}/predict`, { method: 'POST', headers: JSON_TYPE, body });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).error.code, 'INVALID_UTF8');
  });

  test('rejects a body over 1 MiB with 413', async () => {
    const body = JSON.stringify({ input: 'a'.repeat(1_100_000) });
    const res = await request(`${server.url}/predict`, { method: 'POST', headers: JSON_TYPE, body });
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.body).error.code, 'BODY_TOO_LARGE');
  });

  test('a malformed HTTP request gets a 400 JSON answer, and the server stays up', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let data = '';
      socket.on('data', (c) => {
        data += c.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400/);
    assert.match(raw, /"code":"MALFORMED_REQUEST"/);
    assert.equal((await request(`${server.url}/livez`)).status, 200);
  });

  test('a request without Host gets a JSON 400 MISSING_HOST; HTTP/1.0 needs none', async () => {
    const send = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(raw));
        let data = '';
        socket.on('data', (c) => {
          data += c.toString();
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
    const missing = await send('GET /livez HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(missing, /^HTTP\/1\.1 400/);
    assert.match(missing, /content-type: application\/json/i);
    assert.match(missing, /"code":"MISSING_HOST"/);
    const old = await send('GET /livez HTTP/1.0\r\n\r\n');
    assert.match(old, /^HTTP\/1\.1 200/);
  });

  test('an X-Request-Id that is too long or has odd characters is replaced by a generated id', async () => {
    const long = 'a'.repeat(8192);
    for (const sent of [long, 'a'.repeat(129), 'has space', 'new\u00e9line', '<script>']) {
      const res = await request(`${server.url}/nope-${sent.length}`, { headers: { 'x-request-id': sent } });
      assert.equal(res.status, 404);
    }
    const ok = await request(`${server.url}/nope-ok`, {
      headers: { 'x-request-id': `ok.ID_1:2-${'x'.repeat(118)}` },
    });
    assert.equal(ok.status, 404);
    await new Promise((r) => setTimeout(r, 200)); // let the log lines arrive over the pipe
    const ids = server.logs
      .map((l) => JSON.parse(l) as { reqId?: string; url?: string })
      .filter((l) => l.url?.startsWith('/nope-'))
      .map((l) => l.reqId ?? '');
    assert.ok(ids.includes(`ok.ID_1:2-${'x'.repeat(118)}`), 'a valid id of 128 characters is kept');
    assert.ok(!server.logs.some((l) => l.includes('a'.repeat(129))), 'the long ids are not logged');
    assert.ok(!server.logs.some((l) => l.includes('<script>') || l.includes('has space')));
    assert.equal(ids.filter((id) => /^req-[0-9a-z]+$/.test(id)).length, 5, ids.join(' '));
  });

  test('logs are JSON lines with the request id (X-Request-Id honoured) and never the body', async () => {
    const secret = 'confidential-text-4711';
    await request(`${server.url}/predict`, {
      method: 'POST',
      headers: { ...JSON_TYPE, 'x-request-id': 'trace-abc-123' },
      body: JSON.stringify({ input: secret }),
    });
    await new Promise((r) => setTimeout(r, 200)); // let the log line arrive over the pipe
    const lines = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.reqId === 'trace-abc-123');
    assert.ok(line, 'a line carries the request id');
    assert.equal(line.url, '/predict');
    assert.equal(line.statusCode, 200);
    assert.ok(!server.logs.some((l) => l.includes(secret)), 'the request body is not logged');
  });
});
