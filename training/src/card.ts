/**
 * The model card (`model/model.json`) on training's side: the card it writes and the bundle
 * the quality gate reads, both checked by the contract's one validation
 * (@mlops/model-contract), so training never writes a card the service or deployctl would
 * reject, and rejects the same cards they do with the same message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ModelCard, ModelCardError, parseModelCard, validateModelCard } from '@mlops/model-contract';
import type { LogRegParams } from './logreg.js';

export type { GoldenExample, ModelCard } from '@mlops/model-contract';

export interface TrainingParams extends LogRegParams {
  algorithm: 'logistic-regression';
  optimizer: 'adam-full-batch';
  seed: number;
  testFraction: number;
  stratified: true;
  trainSize: number;
  testSize: number;
}

/** The card training writes: the contract's, with its dataset counts and hyper-parameters. */
export interface TrainedModelCard extends ModelCard {
  description: string;
  dataset: ModelCard['dataset'] & { examples: number; ham: number; spam: number; source: string };
  training: TrainingParams;
}

/** A problem with the bundle the user can fix; reported without a stack trace. */
export class BundleError extends Error {}

/** The contract's verdict as a BundleError (same message). */
function asBundleError(error: unknown): unknown {
  return error instanceof ModelCardError ? new BundleError(error.message, { cause: error }) : error;
}

/**
 * The text of `model.json` for `card` (2-space JSON and a final newline, so retraining gives
 * the same bytes); throws BundleError when the card breaks the contract. `source` names it.
 */
export function formatCardJson(card: TrainedModelCard, source = 'model.json'): string {
  try {
    validateModelCard(card, source);
  } catch (error) {
    throw asBundleError(error);
  }
  return `${JSON.stringify(card, null, 2)}\n`;
}

/** Reads `<dir>/model.json` and `<dir>/model.onnx`; throws BundleError with a readable message. */
export function readBundle(dir: string): {
  card: ModelCard;
  onnx: Uint8Array;
  cardPath: string;
  onnxPath: string;
} {
  const cardPath = join(dir, 'model.json');
  const onnxPath = join(dir, 'model.onnx');
  let text: string;
  try {
    text = readFileSync(cardPath, 'utf8');
  } catch (e) {
    throw new BundleError(
      `cannot read the model card ${cardPath}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  let card: ModelCard;
  try {
    card = parseModelCard(text, cardPath);
  } catch (error) {
    throw asBundleError(error);
  }
  let onnx: Uint8Array;
  try {
    onnx = readFileSync(onnxPath);
  } catch (e) {
    throw new BundleError(`cannot read the model ${onnxPath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return { card, onnx, cardPath, onnxPath };
}
