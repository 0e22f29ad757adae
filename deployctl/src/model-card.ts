/**
 * The model card (`model/model.json`): read and checked by the contract's one validation
 * (@mlops/model-contract) before `verify` uses its golden examples, so deployctl accepts and
 * rejects the same cards as the service and training, with the same message.
 */
import { readFile } from 'node:fs/promises';
import { type ModelCard, ModelCardError, parseModelCard } from '@mlops/model-contract';
import { DeployctlError } from './exit-codes.js';

export type { GoldenExample, ModelCard } from '@mlops/model-contract';

export async function readModelCard(path: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DeployctlError(
      'input',
      `cannot read the model card ${path} (${(cause as Error).message}); pass --model-card <path to model.json>`,
      { cause },
    );
  }
  try {
    return parseModelCard(text, path);
  } catch (cause) {
    if (cause instanceof ModelCardError) throw new DeployctlError('input', cause.message, { cause });
    throw cause;
  }
}
