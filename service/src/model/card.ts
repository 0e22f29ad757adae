/**
 * The model card (`model/model.json`, format in docs/contracts.md): read and checked once at
 * boot by the contract's one validation (@mlops/model-contract), so a broken bundle fails
 * with a message naming the file and every bad field, exactly as training and deployctl do.
 */
import { readFileSync } from 'node:fs';
import { type ModelCard, parseModelCard } from '@mlops/model-contract';

export type { ModelCard };

export function readModelCard(path: string): ModelCard {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`model card ${path} is unreadable: ${(cause as Error).message}`, { cause });
  }
  return parseModelCard(text, path);
}
