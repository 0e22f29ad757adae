/**
 * The Open Inference Protocol (KServe v2, REST) beside /predict, so KServe and Triton clients
 * work unchanged. The model takes one BYTES tensor named "text" and answers "label" (BYTES)
 * and "score" (FP32). Errors use the protocol's `{"error": "..."}` shape.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../error-codes.js';
import { BODY_ERRORS, errorResponses, KServeErrorBody } from '../schemas/common.js';
import {
  INPUT_NAME,
  InferResponse,
  inferRequestSchema,
  Live,
  ModelMetadata,
  ModelReady,
  modelParams,
  OUTPUT_NAMES,
  Ready,
  ServerMetadata,
} from '../schemas/kserve.js';

const kserveRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { model, readiness, config } = fastify;
  const { name, version } = model.card;
  const errors = (statuses: number[]) => errorResponses(statuses, KServeErrorBody);
  const tags = ['kserve-v2'];

  // Throws the protocol's 404 unless the path names the served model (and version).
  function verifyModel(params: { name: string; version?: string }): void {
    if (params.name !== name || (params.version !== undefined && params.version !== version)) {
      const asked = params.version === undefined ? params.name : `${params.name}/${params.version}`;
      throw new ApiError(
        'MODEL_NOT_FOUND',
        `Model "${asked}" is not served here; this server serves "${name}" version "${version}".`,
      );
    }
  }

  fastify.get(
    '/v2',
    {
      schema: {
        tags,
        summary: 'Server metadata',
        response: { 200: ServerMetadata, ...errors([404, 405, 500]) },
      },
    },
    async () => ({ name: 'mlops-inference-service', version: config.gitCommit, extensions: [] }),
  );
  fastify.get(
    '/v2/health/live',
    { schema: { tags, summary: 'Server liveness', response: { 200: Live, ...errors([404, 405, 500]) } } },
    async () => ({ live: true }),
  );
  fastify.get(
    '/v2/health/ready',
    {
      schema: {
        tags,
        summary: 'Server readiness',
        response: { 200: Ready, 503: Ready, ...errors([404, 405, 500]) },
      },
    },
    async (_request, reply) => {
      const ready = readiness.notReadyReason() === undefined;
      return reply.code(ready ? 200 : 503).send({ ready });
    },
  );

  const metadata = {
    name,
    versions: [version],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: INPUT_NAME, datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'score', datatype: 'FP32', shape: [-1] },
    ],
  };
  const { ModelParams, ModelVersionParams } = modelParams(model.card);
  // Built when /openapi.json is first generated, not at boot (it grows with MAX_BATCH_ITEMS).
  let documented: unknown;
  const documentedBody = () => ({
    get schema() {
      documented ??= inferRequestSchema(config, { forms: true });
      return documented;
    },
  });
  for (const url of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    const params = url.includes(':version') ? ModelVersionParams : ModelParams;
    fastify.get(
      url,
      {
        schema: {
          tags,
          summary: 'Model metadata',
          params,
          response: { 200: ModelMetadata, ...errors([400, 404, 405, 500]) },
        },
      },
      async (request) => {
        verifyModel(request.params);
        return metadata;
      },
    );
    fastify.get(
      `${url}/ready`,
      {
        schema: {
          tags,
          summary: 'Model readiness',
          params,
          response: { 200: ModelReady, 503: ModelReady, ...errors([400, 404, 405, 500]) },
        },
      },
      async (request, reply) => {
        verifyModel(request.params);
        const ready = readiness.notReadyReason() === undefined;
        return reply.code(ready ? 200 : 503).send({ name, ready });
      },
    );
    fastify.post(
      `${url}/infer`,
      {
        schema: {
          tags,
          summary: 'Inference: one BYTES input "text", outputs "label" (BYTES) and "score" (FP32)',
          params,
          body: inferRequestSchema(config),
          response: { 200: InferResponse, ...errors([...BODY_ERRORS, 404, 405, 500, 503]) },
        },
        config: { documentedBody: documentedBody() },
      },
      async (request) => {
        verifyModel(request.params);
        const body = request.body;
        // The schema holds the tensor to what the model takes (name, datatype, at most
        // MAX_BATCH_ITEMS texts, known outputs); the one rule it cannot express for Ajv is
        // checked here, as the document's anyOf states it (see inferRequestSchema).
        const { shape, data } = body.inputs[0]!;
        const nested = data.filter((d) => Array.isArray(d)).length;
        const items = data.length;
        const fits =
          (nested === 0 && shape.length === 1 && shape[0] === items) ||
          (nested === items && shape.length === 2 && shape[0] === items && shape[1] === 1);
        if (!fits) {
          throw new ApiError(
            'INVALID_REQUEST',
            `Shape [${shape.join(', ')}] does not fit data (${items} items, ${nested} of them arrays); ` +
              'send shape [n] with n texts, or [n, 1] with n one-text arrays.',
          );
        }
        const texts = data.flat();
        const wanted = body.outputs?.map((o) => o.name) ?? [...OUTPUT_NAMES];
        const predictions = await model.predictAll(texts);
        const n = predictions.length;
        const outputs = wanted.map((out) =>
          out === 'label'
            ? { name: out, shape: [n], datatype: 'BYTES', data: predictions.map((p) => p.label) }
            : { name: out, shape: [n], datatype: 'FP32', data: predictions.map((p) => p.score) },
        );
        return {
          model_name: name,
          model_version: version,
          ...(body.id === undefined ? {} : { id: body.id }),
          outputs,
        };
      },
    );
  }
};

export default kserveRoutes;
