/** The model card (`model/model.json`): its shape, and reading + validating one from disk. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PreprocessingParams, validatePreprocessingParams } from '../../service/src/model/preprocess.js';
import type { LogRegParams } from './logreg.js';
import type { Metrics } from './metrics.js';

export interface TrainingParams extends LogRegParams {
  algorithm: 'logistic-regression';
  optimizer: 'adam-full-batch';
  seed: number;
  testFraction: number;
  stratified: true;
  trainSize: number;
  testSize: number;
}

export interface GoldenExample {
  input: string;
  label: string;
}

export interface ModelCard {
  name: string;
  version: string;
  description: string;
  labels: string[];
  positiveLabel: string;
  inputs: { ids: string; weights: string };
  outputs: { probabilities: string };
  preprocessing: PreprocessingParams;
  metrics: Metrics;
  dataset: {
    name: string;
    version: string;
    digest: string;
    examples: number;
    ham: number;
    spam: number;
    source: string;
  };
  training: TrainingParams;
  golden: GoldenExample[];
  files: { onnx: string; sha256: string };
}

/** A problem with the bundle the user can fix; reported without a stack trace. */
export class BundleError extends Error {}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates the parts of a card the quality gate and the service rely on. */
export function validateCard(value: unknown, where = 'model.json'): ModelCard {
  const fail = (msg: string): never => {
    throw new BundleError(`${where}: ${msg}`);
  };
  if (!isObject(value)) return fail('expected a JSON object');
  const c = value;
  if (typeof c.name !== 'string' || c.name === '') fail('"name" must be a non-empty string');
  if (typeof c.version !== 'string' || !SEMVER.test(c.version)) {
    fail(`"version" must be a semantic version (got ${JSON.stringify(c.version)})`);
  }
  if (!Array.isArray(c.labels) || c.labels.length !== 2 || !c.labels.every((l) => typeof l === 'string')) {
    fail('"labels" must be an array of two strings');
  }
  const labels = c.labels as string[];
  if (typeof c.positiveLabel !== 'string' || !labels.includes(c.positiveLabel)) {
    fail('"positiveLabel" must be one of "labels"');
  }
  if (!isObject(c.inputs) || typeof c.inputs.ids !== 'string' || typeof c.inputs.weights !== 'string') {
    fail('"inputs" must be {"ids": "<onnx input>", "weights": "<onnx input>"}');
  }
  if (!isObject(c.outputs) || typeof c.outputs.probabilities !== 'string') {
    fail('"outputs" must be {"probabilities": "<onnx output>"}');
  }
  try {
    validatePreprocessingParams(c.preprocessing);
  } catch (e) {
    fail((e as Error).message);
  }
  if (!isObject(c.metrics)) fail('"metrics" must be an object');
  if (!isObject(c.dataset) || typeof c.dataset.name !== 'string' || typeof c.dataset.digest !== 'string') {
    fail('"dataset" must have "name", "version" and "digest"');
  }
  const t = c.training;
  if (
    !isObject(t) ||
    typeof t.seed !== 'number' ||
    typeof t.testFraction !== 'number' ||
    !(t.testFraction > 0 && t.testFraction < 1)
  ) {
    fail('"training" must have a numeric "seed" and a "testFraction" in (0, 1)');
  }
  if (
    !Array.isArray(c.golden) ||
    c.golden.length === 0 ||
    !c.golden.every((g) => isObject(g) && typeof g.input === 'string' && labels.includes(g.label as string))
  ) {
    fail('"golden" must be a non-empty array of {"input": string, "label": one of "labels"}');
  }
  return value as unknown as ModelCard;
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`${cardPath} is not valid JSON: ${(e as Error).message}`);
  }
  const card = validateCard(json, cardPath);
  let onnx: Uint8Array;
  try {
    onnx = readFileSync(onnxPath);
  } catch (e) {
    throw new BundleError(`cannot read the model ${onnxPath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return { card, onnx, cardPath, onnxPath };
}
