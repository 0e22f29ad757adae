import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { startService, waitUntilReady } from '../../test/support/service-process.js';
import { card } from './helpers.js';
import { request } from './http.js';

const WORKERS = 16;

test('SIGTERM under continuous load: /readyz 503 at once, no request fails, exit 0 before the deadline', async () => {
  const server = await startService({
    env: { SHUTDOWN_DRAIN_DELAY_SECONDS: '4', SHUTDOWN_TIMEOUT_SECONDS: '15', LOG_LEVEL: 'info' },
  });
  try {
    await waitUntilReady(server.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
    const body = JSON.stringify({ input: card.golden[0]!.input });
    const failures: string[] = [];
    let ok = 0;
    let okAfterSigterm = 0;
    let sigtermSent = false;
    // The test plays the load balancer: it keeps routing traffic here until it has seen
    // /readyz 503, plus a propagation delay, as Kubernetes endpoints do.
    let routed = true;
    let sawNotReady = false;

    const worker = async () => {
      while (routed) {
        try {
          const res = await request(`${server.url}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            agent,
          });
          if (res.status === 200) {
            ok++;
            if (sigtermSent) okAfterSigterm++;
          } else failures.push(`HTTP ${res.status}: ${res.body}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const balancer = async () => {
      while (routed) {
        try {
          const res = await request(`${server.url}/readyz`);
          if (res.status === 503 && sigtermSent) {
            sawNotReady = true;
            await new Promise((r) => setTimeout(r, 300));
            routed = false;
            return;
          }
        } catch (error) {
          failures.push(`readyz: ${String(error)}`);
          routed = false;
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const load = Promise.all([...Array.from({ length: WORKERS }, worker), balancer()]);
    while (ok < 300 && failures.length === 0) await new Promise((r) => setTimeout(r, 20));
    sigtermSent = true;
    server.proc.kill('SIGTERM');
    await load;
    const code = await server.exited;
    agent.destroy();

    assert.deepEqual(failures, [], 'no request failed');
    assert.ok(sawNotReady, '/readyz answered 503 after SIGTERM');
    assert.ok(okAfterSigterm > 0, `requests were still served after SIGTERM (${okAfterSigterm})`);
    assert.equal(code, 0);
    const messages = server.logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(messages.includes('shutting down: /readyz is 503, still serving'));
    assert.ok(messages.includes('shutdown complete'));
  } finally {
    await server.stop();
  }
});

test('in-flight requests finish when the server closes', async () => {
  // No drain delay: SIGTERM lands while these requests wait in the batcher (a lone request
  // waits up to BATCH_MAX_WAIT_MS for company), so close() has in-flight work to finish.
  const server = await startService({
    env: { SHUTDOWN_DRAIN_DELAY_SECONDS: '0', SHUTDOWN_TIMEOUT_SECONDS: '15', BATCH_MAX_WAIT_MS: '1000' },
  });
  try {
    await waitUntilReady(server.url);
    const body = JSON.stringify({ input: card.golden[0]!.input });
    const inFlight = Array.from({ length: 4 }, () =>
      request(`${server.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const metrics = await request(`${server.metricsUrl}/metrics`);
      if (Number(/^model_queue_depth (\d+)/m.exec(metrics.body)?.[1] ?? 0) === 4) break;
      assert.ok(Date.now() < deadline, 'the 4 requests never showed up in the queue together');
      await new Promise((r) => setTimeout(r, 10));
    }
    server.proc.kill('SIGTERM');
    for (const res of await Promise.all(inFlight)) assert.equal(res.status, 200, res.body);
    assert.equal(await server.exited, 0);
  } finally {
    await server.stop();
  }
});
