/**
 * The metrics listener (METRICS_PORT) as one Fastify plugin: GET /metrics from the API app's
 * registry, and the API's JSON 404 for anything else. server.ts runs it on a second Fastify
 * instance, started after and closed with the API server; tests build it with
 * `metricsServerOptions()` like the API app.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { ApiError } from './error-codes.js';
import { sendError } from './plugins/app/error-handler.js';
import { RequestLogController } from './request-log.js';
import metricsRoutes from './routes/metrics.js';

export interface MetricsAppOptions {
  registry: Registry;
}

/** Fastify options of the metrics listener; server.ts adds the logger and timeouts. */
export function metricsServerOptions(): FastifyServerOptions {
  return {
    // As on the API: a scrape (2xx) logs at debug only, a 4xx at info, a 5xx at error.
    logController: new RequestLogController(),
    return503OnClosing: false,
  };
}

export default async function metricsApp(fastify: FastifyInstance, opts: MetricsAppOptions): Promise<void> {
  fastify.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new ApiError(
        'NOT_FOUND',
        `No route ${request.method} ${request.url.split('?')[0]}; this port serves GET /metrics.`,
      ),
    ),
  );
  await fastify.register(metricsRoutes, { registry: opts.registry });
}
