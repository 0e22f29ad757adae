/**
 * Open Inference Protocol (KServe v2) shapes, REST/JSON flavour:
 * https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
 */
import Type, { type Static } from 'typebox';

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

/** Path parameters; the examples (the served model) let generated requests reach the handler. */
export function modelParams(model: { name: string; version: string }) {
  const name = Type.String({ maxLength: 256, examples: [model.name] });
  return {
    ModelParams: Type.Object({ name }),
    ModelVersionParams: Type.Object({
      name,
      version: Type.String({ maxLength: 256, examples: [model.version] }),
    }),
  };
}

/**
 * The protocol's `$parameters`: a flat object of string, number or boolean values. Bounded
 * (keys, key length, value length) so an ignored field cannot carry unbounded work; nesting in
 * it is refused here and, deeper than a few levels, before parsing (json-body.ts).
 */
export const MAX_PARAMETERS = 32;
const Parameters = Type.Object(
  {},
  {
    additionalProperties: Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]),
    maxProperties: MAX_PARAMETERS,
    // __proto__ is refused by the JSON parser (prototype poisoning), so the schema says so too.
    propertyNames: { maxLength: 64, not: { const: '__proto__' } },
    description: `Ignored. At most ${MAX_PARAMETERS} entries, each a string (≤ 1024 characters), number or boolean`,
  },
);

export const INPUT_NAME = 'text';
export const OUTPUT_NAMES = ['label', 'score'] as const;

/**
 * The infer request, exactly as the handler accepts it: one BYTES tensor named "text" whose
 * `shape` is `[n]` with `n` texts in `data`, or `[n, 1]` with `n` one-text arrays (the column
 * vector some clients send), `n` in 1..maxBatchItems.
 *
 * JSON Schema cannot relate `shape` to the length of `data`; the document spells that rule out
 * as one `anyOf` branch per `n` (`forms: true`), so it says what the server does and a
 * schema-valid request is never refused (schemathesis checks this). Validation uses the same
 * schema without the branches (`forms: false`), because Ajv compiles them into nested code that
 * took ~0.4 s per route at 64 and overflowed the stack at 1024; the handler checks the rule.
 */
export function inferRequestSchema(
  limits: { maxInputChars: number; maxBatchItems: number },
  { forms = false }: { forms?: boolean } = {},
) {
  const text = Type.String({ minLength: 1, maxLength: limits.maxInputChars });
  const n = limits.maxBatchItems;
  const description = `One BYTES tensor: shape [n] with n texts, or [n, 1] with n one-text arrays; n in 1..${n}`;
  const fields = Type.Object(
    {
      name: Type.Literal(INPUT_NAME, { description: `The model's one input, "${INPUT_NAME}"` }),
      shape: Type.Array(Type.Integer({ minimum: 1, maximum: n }), { minItems: 1, maxItems: 2 }),
      datatype: Type.Literal('BYTES', { description: 'Texts are BYTES' }),
      parameters: Type.Optional(Parameters),
      data: Type.Array(Type.Union([text, Type.Array(text, { minItems: 1, maxItems: 1 })]), {
        minItems: 1,
        maxItems: n,
      }),
    },
    // Closed, as the protocol defines them (extensions go in parameters): an open object would
    // promise to take any extra JSON, which the parser refuses when it holds __proto__.
    { description, additionalProperties: false },
  );
  const shapeIs = (value: number[]) => Type.Unsafe<number[]>({ type: 'array', const: value });
  const branches = [];
  for (let i = 1; forms && i <= n; i++) {
    branches.push(
      Type.Object({
        shape: shapeIs([i]),
        data: Type.Array(Type.Unsafe<string>({ type: 'string' }), { minItems: i, maxItems: i }),
      }),
      Type.Object({
        shape: shapeIs([i, 1]),
        data: Type.Array(Type.Unsafe<string[]>({ type: 'array' }), { minItems: i, maxItems: i }),
      }),
    );
  }
  // Typed as the fields alone: the branches only narrow them (TypeBox infers never here).
  const tensor = forms
    ? Type.Unsafe<Static<typeof fields>>(Type.Intersect([fields, Type.Union(branches)], { description }))
    : fields;
  return Type.Object(
    {
      id: Type.Optional(Type.String({ maxLength: 256, description: 'Echoed in the response' })),
      parameters: Type.Optional(Parameters),
      inputs: Type.Array(tensor, { minItems: 1, maxItems: 1, description: 'One BYTES tensor of texts' }),
      outputs: Type.Optional(
        Type.Array(
          Type.Object(
            {
              name: Type.Enum([...OUTPUT_NAMES], { description: 'An output of the model' }),
              parameters: Type.Optional(Parameters),
            },
            { additionalProperties: false },
          ),
          { maxItems: 2 },
        ),
      ),
    },
    { additionalProperties: false },
  );
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
