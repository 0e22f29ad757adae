/**
 * `fastify.metrics`: a prom-client registry with the HTTP metrics (count and duration by
 * route and status, in flight), the default process metrics (CPU, memory, GC, event-loop
 * lag) and a place for the model's own metrics. Its own registry, not prom-client's global
 * one, so several app instances (tests) can live in one process.
 */
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry };
  }
}

export default fp(
  async (fastify) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const labelNames = ['method', 'route', 'status'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration (first byte in → response sent), by method, route and status',
      labelNames,
      // Sub-millisecond buckets: a prediction takes well under 1 ms when the server is not saturated.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests received and not yet answered',
      registers: [registry],
    });

    fastify.decorate('metrics', { registry });

    fastify.addHook('onRequest', (_request, _reply, done) => {
      inFlight.inc();
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      inFlight.dec();
      // The route template (never the raw URL) keeps the label set bounded.
      const labels = {
        method: request.method,
        route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
        status: reply.statusCode,
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'metrics' },
);
