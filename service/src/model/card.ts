/**
 * The model card (`model/model.json`, format in docs/contracts.md): read and checked once at
 * boot, so a broken bundle fails with a message naming the file and the field.
 */
import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { type PreprocessingParams, validatePreprocessingParams } from './preprocess.js';

// Only the fields the service uses are checked; the rest of the card (metrics, dataset,
// training) is carried along untouched.
const CardSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+' }),
  labels: Type.Array(Type.String({ minLength: 1 }), { minItems: 2, maxItems: 2 }),
  positiveLabel: Type.Optional(Type.String()),
  preprocessing: Type.Object({}, { additionalProperties: true }),
  // ONNX tensor names; the contract's names (docs/contracts.md) when absent.
  inputs: Type.Optional(
    Type.Object({ ids: Type.String({ minLength: 1 }), weights: Type.String({ minLength: 1 }) }),
  ),
  outputs: Type.Optional(Type.Object({ probabilities: Type.String({ minLength: 1 }) })),
  golden: Type.Array(Type.Object({ input: Type.String(), label: Type.String() }), { minItems: 1 }),
});

export interface ModelCard extends Omit<Static<typeof CardSchema>, 'preprocessing'> {
  preprocessing: PreprocessingParams;
}

export function readModelCard(path: string): ModelCard {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new Error(`model card ${path} is unreadable or not JSON: ${(cause as Error).message}`, { cause });
  }
  const [first] = Value.Errors(CardSchema, json);
  if (first) {
    throw new Error(`model card ${path}: ${first.instancePath || '/'} ${first.message}`);
  }
  const card = json as Static<typeof CardSchema>;
  let preprocessing: PreprocessingParams;
  try {
    preprocessing = validatePreprocessingParams(card.preprocessing);
  } catch (cause) {
    throw new Error(`model card ${path}: ${(cause as Error).message}`, { cause });
  }
  for (const example of card.golden) {
    if (!card.labels.includes(example.label)) {
      throw new Error(
        `model card ${path}: golden label ${JSON.stringify(example.label)} is not one of labels`,
      );
    }
  }
  return { ...card, preprocessing };
}
