/** GET /metrics: Prometheus text format. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { COMMON_ERRORS, errorResponses } from '../schemas/common.js';

const metricsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { registry } = fastify.metrics;
  fastify.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format' }),
          ...errorResponses(COMMON_ERRORS),
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
