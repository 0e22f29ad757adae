/**
 * The whole service as one Fastify plugin: external plugin wrappers, then the app's own
 * decorators, then routes that use only those decorators. `server.ts` adds the process
 * wiring (logger, listen, signals); tests register this plugin on a bare Fastify instance
 * built with `serverOptions()`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config.js';
import configPlugin from './plugins/app/config.js';
import errorsPlugin, { sendClientError, sendFrameworkError } from './plugins/app/error-handler.js';
import jsonBodyPlugin from './plugins/app/json-body.js';
import metricsPlugin from './plugins/app/metrics.js';
import modelPlugin from './plugins/app/model.js';
import readinessPlugin from './plugins/app/readiness.js';
import swagger from './plugins/external/swagger.js';
import swaggerUi from './plugins/external/swagger-ui.js';
import { RequestLogController } from './request-log.js';
import docsRoutes from './routes/docs.js';
import healthRoutes from './routes/health.js';
import kserveRoutes from './routes/kserve.js';
import predictRoutes from './routes/predict.js';
import versionRoutes from './routes/version.js';

/**
 * Request ids end up in every log line: an incoming X-Request-Id is kept only if it is short
 * and plain (a client must not be able to write 8 KB or control characters into the logs);
 * otherwise, or without one, the id is `req-<n>`, a per-process counter as Fastify's own.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
let requestCount = 0;
export function requestId(request: IncomingMessage): string {
  const sent = request.headers['x-request-id'];
  if (typeof sent === 'string' && REQUEST_ID.test(sent)) return sent;
  requestCount = (requestCount + 1) % Number.MAX_SAFE_INTEGER;
  return `req-${requestCount.toString(36)}`;
}

export interface AppOptions {
  config: Config;
}

/** Fastify options the app relies on; `server.ts` adds the logger and the HTTP timeouts. */
export function serverOptions(config: Config): FastifyHttpOptions<Server> {
  return {
    bodyLimit: config.bodyLimitBytes,
    // An incoming X-Request-Id (set by an ingress) if it is a sane id, else a generated one.
    requestIdHeader: false,
    genReqId: requestId,
    // A request without Host (HTTP/1.1) gets our JSON 400 (errors plugin), not Node's bare one.
    http: { requireHostHeader: false },
    // One log line per request instead of two.
    logController: new RequestLogController(),
    // During shutdown, requests already on an open connection are served (with
    // `Connection: close`) instead of Fastify's non-JSON 503: they count as in-flight work.
    return503OnClosing: false,
    // Errors raised before routing answer in the same JSON shape as everything else.
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: sendClientError,
    ajv: {
      customOptions: {
        // A number is not a string: never coerce types, never drop unknown fields silently.
        coerceTypes: false,
        removeAdditional: false,
        allErrors: false,
      },
    },
  };
}

async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(configPlugin, { config: opts.config });
  // First, so its onRoute hook sees every route (404 vs 405).
  await fastify.register(errorsPlugin);
  await fastify.register(swagger);
  await fastify.register(swaggerUi);
  await fastify.register(metricsPlugin);
  await fastify.register(jsonBodyPlugin);
  await fastify.register(modelPlugin);
  await fastify.register(readinessPlugin);

  await fastify.register(predictRoutes);
  await fastify.register(kserveRoutes);
  await fastify.register(healthRoutes);
  await fastify.register(versionRoutes);
  await fastify.register(docsRoutes);
}

// Not encapsulated: the process wiring and tests see the decorators (model, readiness), and
// the error and 404 handlers cover every URL.
export default fp(app, { name: 'app' });
