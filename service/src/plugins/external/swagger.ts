/**
 * OpenAPI document generated from the routes' TypeBox schemas (the same objects that
 * validate requests and serialize responses). Served at GET /openapi.json.
 */
import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The body schema to publish when it says more than Ajv can check cheaply (KServe infer:
     * see inferRequestSchema); the handler enforces the difference.
     */
    documentedBody?: { readonly schema: unknown };
  }
}

export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
      transform: ({ schema, url, route }) => {
        const documented = route.config?.documentedBody?.schema;
        return { schema: documented === undefined ? schema : { ...schema, body: documented }, url };
      },
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'mlops-inference-service',
          description:
            'Text classification (ham/spam) with the bundled ONNX model. `POST /predict` takes ' +
            '`{"input": "text"}` or `{"inputs": [...]}`; the Open Inference Protocol (KServe v2) lives under `/v2`. ' +
            'Errors are `{"error": {"code", "message"}}` (`{"error": "message"}` under `/v2`).',
          version: '1.0.0',
        },
        tags: [
          { name: 'inference', description: 'Predictions' },
          { name: 'kserve-v2', description: 'Open Inference Protocol (KServe v2)' },
          { name: 'operations', description: 'Health, version and metrics' },
        ],
      },
    });
  },
  { name: 'swagger' },
);
