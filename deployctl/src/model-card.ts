/** The model card (`model/model.json`): the golden examples `verify` checks after a deploy. */
import { readFile } from 'node:fs/promises';
import { DeployctlError } from './exit-codes.js';

export interface GoldenExample {
  input: string;
  label: string;
}

export interface ModelCard {
  name: string | undefined;
  version: string | undefined;
  golden: GoldenExample[];
}

export async function readModelCard(path: string): Promise<ModelCard> {
  let parsed: { name?: unknown; version?: unknown; golden?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new DeployctlError(
      'input',
      `cannot read the model card ${path} (${(cause as Error).message}); pass --model-card <path to model.json>`,
      { cause },
    );
  }
  const golden = parsed.golden;
  const valid =
    Array.isArray(golden) &&
    golden.length > 0 &&
    golden.every((g) => typeof g?.input === 'string' && typeof g?.label === 'string');
  if (!valid) {
    throw new DeployctlError(
      'input',
      `model card ${path} has no usable \`golden\` list; it must be [{"input": "text", "label": "spam"}, ...] (docs/contracts.md)`,
    );
  }
  return {
    name: typeof parsed.name === 'string' ? parsed.name : undefined,
    version: typeof parsed.version === 'string' ? parsed.version : undefined,
    golden: golden as GoldenExample[],
  };
}
