/** Swagger UI at GET /docs (the original FastAPI service had it there too). */
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

export default fp(
  async (fastify) => {
    await fastify.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { docExpansion: 'list', deepLinking: false },
    });
  },
  { name: 'swagger-ui', dependencies: ['swagger'] },
);
