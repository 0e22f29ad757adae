/**
 * The whole service as one Fastify plugin: external plugin wrappers, then the app's own
 * decorators, then routes that use only those decorators. `server.ts` adds the process
 * wiring (logger, listen, signals); tests register this plugin on a bare Fastify instance
 * built with `serverOptions()`.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config.js';
import configPlugin from './plugins/app/config.js';
import errorsPlugin, { sendClientError, sendFrameworkError } from './plugins/app/errors.js';
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
import metricsRoutes from './routes/metrics.js';
import predictRoutes from './routes/predict.js';
import versionRoutes from './routes/version.js';

export interface AppOptions {
  config: Config;
}

/** Fastify options the app relies on; `server.ts` adds the logger and the HTTP timeouts. */
export function serverOptions(config: Config): FastifyServerOptions {
  return {
    bodyLimit: config.bodyLimitBytes,
    // Trust an incoming X-Request-Id (set by an ingress), else Fastify's per-process counter.
    requestIdHeader: 'x-request-id',
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
  await fastify.register(metricsRoutes);
  await fastify.register(docsRoutes);
}

// Not encapsulated: the process wiring and tests see the decorators (model, readiness), and
// the error and 404 handlers cover every URL.
export default fp(app, { name: 'app' });
