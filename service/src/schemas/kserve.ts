/**
 * Open Inference Protocol (KServe v2) shapes, REST/JSON flavour:
 * https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
 */
import Type from 'typebox';

export const ServerMetadata = Type.Object({
  name: Type.String(),
  version: Type.String(),
  extensions: Type.Array(Type.String()),
});
export const Live = Type.Object({ live: Type.Boolean() });
export const Ready = Type.Object({ ready: Type.Boolean() });
export const ModelReady = Type.Object({ name: Type.String(), ready: Type.Boolean() });

const TensorMetadata = Type.Object({
  name: Type.String(),
  datatype: Type.String(),
  shape: Type.Array(Type.Integer()),
});
export const ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(TensorMetadata),
  outputs: Type.Array(TensorMetadata),
});

export const ModelParams = Type.Object({ name: Type.String({ maxLength: 256 }) });
export const ModelVersionParams = Type.Object({
  name: Type.String({ maxLength: 256 }),
  version: Type.String({ maxLength: 256 }),
});

const Parameters = Type.Object({}, { additionalProperties: true, description: 'Ignored' });

export function inferRequestSchema(limits: { maxInputChars: number; maxBatchItems: number }) {
  const text = Type.String({ minLength: 1, maxLength: limits.maxInputChars });
  return Type.Object({
    id: Type.Optional(Type.String({ maxLength: 256, description: 'Echoed in the response' })),
    parameters: Type.Optional(Parameters),
    inputs: Type.Array(
      Type.Object({
        name: Type.String({ description: 'Must be "text"' }),
        shape: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 2 }),
        datatype: Type.String({ description: 'Must be "BYTES"' }),
        parameters: Type.Optional(Parameters),
        // Flat (row-major) or nested one level, as the protocol allows for shape [n, 1].
        data: Type.Array(Type.Union([text, Type.Array(text, { maxItems: limits.maxBatchItems })]), {
          minItems: 1,
          maxItems: limits.maxBatchItems,
        }),
      }),
      { minItems: 1, maxItems: 1, description: 'One BYTES tensor of texts' },
    ),
    outputs: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Parameters) }), {
        maxItems: 2,
      }),
    ),
  });
}

const OutputTensor = Type.Object({
  name: Type.String(),
  shape: Type.Array(Type.Integer()),
  datatype: Type.String(),
  data: Type.Array(Type.Union([Type.String(), Type.Number()])),
});
export const InferResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.Optional(Type.String()),
  outputs: Type.Array(OutputTensor),
});
