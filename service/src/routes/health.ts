/** GET /livez (the process answers) and GET /readyz (send me traffic). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { COMMON_ERRORS, errorResponses } from '../schemas/common.js';
import { NotReady, Ok } from '../schemas/health.js';

const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { readiness } = fastify;

  fastify.get(
    '/livez',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up and its event loop turns',
        response: { 200: Ok, ...errorResponses(COMMON_ERRORS) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: model loaded, warm-up passed on the golden examples, not shutting down',
        response: { 200: Ok, 503: NotReady, ...errorResponses([404, 405, 500]) },
      },
    },
    async (_request, reply) => {
      const reason = readiness.notReadyReason();
      if (reason !== undefined) return reply.code(503).send({ status: 'not-ready' as const, reason });
      return { status: 'ok' as const };
    },
  );
};

export default healthRoutes;
