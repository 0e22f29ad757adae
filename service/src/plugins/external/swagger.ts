/**
 * OpenAPI document generated from the routes' TypeBox schemas (the same objects that
 * validate requests and serialize responses). Served at GET /openapi.json.
 */
import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';

export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
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
