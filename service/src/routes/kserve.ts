/**
 * The Open Inference Protocol (KServe v2, REST) beside /predict, so KServe and Triton clients
 * work unchanged. The model takes one BYTES tensor named "text" and answers "label" (BYTES)
 * and "score" (FP32). Errors use the protocol's `{"error": "..."}` shape.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../errors.js';
import { BODY_ERRORS, errorResponses, KServeErrorBody } from '../schemas/common.js';
import {
  InferResponse,
  inferRequestSchema,
  Live,
  ModelMetadata,
  ModelParams,
  ModelReady,
  ModelVersionParams,
  Ready,
  ServerMetadata,
} from '../schemas/kserve.js';

const INPUT_NAME = 'text';
const OUTPUTS = ['label', 'score'] as const;

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
      },
      async (request) => {
        verifyModel(request.params);
        const body = request.body;
        const tensor = body.inputs[0]!;
        if (tensor.name !== INPUT_NAME) {
          throw new ApiError(
            'INVALID_REQUEST',
            `Unknown input "${tensor.name}"; this model takes one BYTES input named "${INPUT_NAME}".`,
          );
        }
        if (tensor.datatype !== 'BYTES') {
          throw new ApiError(
            'INVALID_REQUEST',
            `Input "${INPUT_NAME}" has datatype ${tensor.datatype}; send BYTES (strings).`,
          );
        }
        const texts = tensor.data.flat();
        if (texts.length > config.maxBatchItems) {
          throw new ApiError(
            'TOO_MANY_ITEMS',
            `Input "${INPUT_NAME}" has ${texts.length} elements; send at most ${config.maxBatchItems}.`,
          );
        }
        const elements = tensor.shape.reduce((a, b) => a * b, 1);
        if (elements !== texts.length) {
          throw new ApiError(
            'INVALID_REQUEST',
            `Shape [${tensor.shape.join(', ')}] holds ${elements} elements but data has ${texts.length}.`,
          );
        }
        const wanted = body.outputs?.map((o) => o.name) ?? [...OUTPUTS];
        for (const out of wanted) {
          if (!(OUTPUTS as readonly string[]).includes(out)) {
            throw new ApiError(
              'INVALID_REQUEST',
              `Unknown output "${out}"; this model has outputs ${OUTPUTS.join(', ')}.`,
            );
          }
        }
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
