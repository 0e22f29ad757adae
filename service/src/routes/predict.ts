/** POST /predict: the original request `{"input": "text"}`, plus batches `{"inputs": [...]}`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BODY_ERRORS, COMMON_ERRORS, errorResponses } from '../schemas/common.js';
import { BatchPredictResponse, PredictResponse, predictSchemas } from '../schemas/predict.js';

const predictRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { model, config } = fastify;
  const { body } = predictSchemas(config);
  // The same object in every answer: serialized by the compiled schema, never rebuilt.
  const modelRef = { name: model.card.name, version: model.card.version };

  fastify.post(
    '/predict',
    {
      schema: {
        tags: ['inference'],
        summary: 'Classify one text or a batch of texts',
        body,
        response: {
          200: Type.Union([PredictResponse, BatchPredictResponse]),
          ...errorResponses([...BODY_ERRORS, ...COMMON_ERRORS, 503]),
        },
      },
    },
    async (request) => {
      const { input, inputs } = request.body;
      if (input !== undefined) {
        const p = await model.predict(input);
        return { label: p.label, score: p.score, model: modelRef };
      }
      // The schema allows exactly one property, so this is the batch.
      return { predictions: await model.predictAll(inputs!), model: modelRef };
    },
  );
};

export default predictRoutes;
