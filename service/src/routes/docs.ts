/** GET /openapi.json: the OpenAPI document (Swagger UI at /docs reads the same one). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const docsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
};

export default docsRoutes;
