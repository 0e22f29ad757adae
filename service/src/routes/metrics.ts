/**
 * GET /metrics: Prometheus text format. Not part of the API app: server.ts serves it on its own
 * listener (METRICS_PORT, see ../metrics-app.ts), so the API port, which an ingress exposes,
 * never shows it, and a NetworkPolicy can open it to the monitoring namespace alone.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { errorResponses } from '../schemas/common.js';

export interface MetricsRoutesOptions {
  /** The API app's registry (`fastify.metrics.registry`). */
  registry: Registry;
}

const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (fastify, { registry }) => {
  fastify.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format' }),
          ...errorResponses([404, 500]),
        },
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
};

export default metricsRoutes;
