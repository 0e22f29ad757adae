/** POST /predict: request and response shapes, limits from the configuration. */
import Type, { type Static } from 'typebox';

export const ModelRef = Type.Object(
  { name: Type.String({ examples: ['spam-classifier'] }), version: Type.String({ examples: ['1.0.0'] }) },
  { description: 'The model that answered' },
);

export const Label = Type.String({
  description: 'The predicted label (from the model card)',
  examples: ['spam'],
});
export const Score = Type.Number({
  minimum: 0,
  maximum: 1,
  description: 'Probability of the label',
  examples: [0.98],
});

export const PredictResponse = Type.Object(
  { label: Label, score: Score, model: ModelRef },
  { description: 'One text' },
);
export const BatchPredictResponse = Type.Object(
  {
    predictions: Type.Array(Type.Object({ label: Label, score: Score }), {
      description: 'In the order of inputs',
    }),
    model: ModelRef,
  },
  { description: 'A batch of texts' },
);

export function predictSchemas(limits: { maxInputChars: number; maxBatchItems: number }) {
  const text = {
    minLength: 1,
    maxLength: limits.maxInputChars,
    description: `Text to classify, 1..${limits.maxInputChars} characters`,
  };
  const body = Type.Object(
    {
      input: Type.Optional(Type.String({ ...text, examples: ['WIN a FREE cruise, click now!!!'] })),
      inputs: Type.Optional(
        Type.Array(Type.String(text), {
          minItems: 1,
          maxItems: limits.maxBatchItems,
          description: `A batch of 1..${limits.maxBatchItems} texts, answered in order`,
        }),
      ),
    },
    {
      // Exactly one of the two: the original request {"input": "..."} or a batch.
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      description: 'Either {"input": "text"} or {"inputs": ["text", ...]}',
    },
  );
  return { body };
}
export type PredictBody = Static<ReturnType<typeof predictSchemas>['body']>;
