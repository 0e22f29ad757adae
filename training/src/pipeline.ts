/**
 * The training pipeline as a function (the CLI in train.ts and the tests call it):
 * dataset → stratified split → hashed features → logistic regression → ONNX + model card.
 * Deterministic: the same dataset and config give byte-identical model.onnx and model.json.
 */
import { createHash } from 'node:crypto';
import type { PreprocessingParams } from '@mlops/model-contract';
import { formatCardJson, type GoldenExample, type TrainedModelCard, type TrainingParams } from './card.js';
import { type Dataset, LABELS } from './data.js';
import { featurizeAll, selectRows } from './features.js';
import { type LinearModel, type LogRegParams, scoreRows, trainLogReg } from './logreg.js';
import { computeMetrics, type Metrics, roundMetrics } from './metrics.js';
import { exportOnnx, INPUT_IDS, INPUT_WEIGHTS, OUTPUT } from './onnx.js';
import { createSession, scoreWithOnnx } from './score.js';
import { type Split, stratifiedSplit } from './split.js';

export interface TrainConfig {
  name: string;
  version: string;
  seed: number;
  testFraction: number;
  preprocessing: PreprocessingParams;
  optimizer: LogRegParams;
  golden: GoldenExample[];
  /** Golden examples must score at least this far from 0.5 on the right side. */
  goldenMinMargin: number;
}

export interface TrainResult {
  card: TrainedModelCard;
  cardJson: string;
  onnx: Uint8Array;
  model: LinearModel;
  split: Split;
  metrics: Metrics;
  /** max |ONNX − JS reference| over the test split */
  onnxMaxAbsDiff: number;
  goldenScores: number[];
  seconds: { features: number; training: number; total: number };
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Rebuilds the held-out split of a dataset exactly as training made it. */
export function heldOutSplit(dataset: Dataset, seed: number, testFraction: number): Split {
  return stratifiedSplit(
    dataset.examples.map((e) => e.label),
    testFraction,
    seed,
  );
}

export async function trainModel(
  dataset: Dataset,
  config: TrainConfig,
  log: (msg: string) => void = () => {},
): Promise<TrainResult> {
  const t0 = performance.now();
  const split = heldOutSplit(dataset, config.seed, config.testFraction);
  const rows = featurizeAll(
    dataset.examples.map((e) => e.text),
    config.preprocessing,
  );
  const labels = dataset.examples.map((e) => e.label);
  const trainRows = selectRows(rows, split.train);
  const testRows = selectRows(rows, split.test);
  const trainLabels = split.train.map((i) => labels[i]!);
  const testLabels = split.test.map((i) => labels[i]!);
  const t1 = performance.now();
  log(
    `features: ${rows.ids.length} non-zeros for ${labels.length} examples in ${((t1 - t0) / 1000).toFixed(1)} s`,
  );

  const every = Math.max(1, Math.floor(config.optimizer.epochs / 10));
  const model = trainLogReg(trainRows, trainLabels, config.preprocessing.buckets, config.optimizer, (e) => {
    if (e.epoch % every === 0 || e.epoch === config.optimizer.epochs) {
      log(`epoch ${e.epoch}/${config.optimizer.epochs}: loss ${e.loss.toFixed(5)}`);
    }
  });
  const t2 = performance.now();

  const reference = scoreRows(model, testRows);
  const metrics = roundMetrics(computeMetrics(reference, testLabels));

  const training: TrainingParams = {
    algorithm: 'logistic-regression',
    optimizer: 'adam-full-batch',
    seed: config.seed,
    testFraction: config.testFraction,
    stratified: true,
    trainSize: split.train.length,
    testSize: split.test.length,
    ...config.optimizer,
  };
  const onnx = exportOnnx(model, { name: config.name, version: config.version, labels: LABELS });

  // the exported graph must score exactly like the reference scorer
  const session = await createSession(onnx);
  const names = { ids: INPUT_IDS, weights: INPUT_WEIGHTS, probabilities: OUTPUT };
  const viaOnnx = await scoreWithOnnx(session, testRows, names, 1);
  let onnxMaxAbsDiff = 0;
  for (let i = 0; i < viaOnnx.length; i++)
    onnxMaxAbsDiff = Math.max(onnxMaxAbsDiff, Math.abs(viaOnnx[i]! - reference[i]!));

  const goldenRows = featurizeAll(
    config.golden.map((g) => g.input),
    config.preprocessing,
  );
  const goldenScores = Array.from(await scoreWithOnnx(session, goldenRows, names, 1));
  await session.release();

  const card: TrainedModelCard = {
    name: config.name,
    version: config.version,
    // Kept word for word although featurize now lives in @mlops/model-contract: the text is part
    // of the committed model.json's bytes (retraining must reproduce them); update it with the
    // next model version.
    description:
      'Spam vs ham text classifier: hashed word uni+bigrams (service/src/model/preprocess.ts) → logistic regression, ' +
      'trained on the SpamAssassin public corpus (mail headers except Subject stripped) by training/src/train.ts.',
    labels: [...LABELS],
    positiveLabel: 'spam',
    inputs: { ids: INPUT_IDS, weights: INPUT_WEIGHTS },
    outputs: { probabilities: OUTPUT },
    preprocessing: config.preprocessing,
    metrics,
    dataset: {
      name: dataset.name,
      version: dataset.version,
      digest: dataset.digest,
      examples: dataset.examples.length,
      ham: dataset.stats.ham,
      spam: dataset.stats.spam,
      source: 'SpamAssassin public corpus (easy-ham-1/2, hard-ham-1, spam-1/2), via npm',
    },
    training,
    golden: config.golden,
    files: { onnx: 'model.onnx', sha256: sha256(onnx) },
  };
  const t3 = performance.now();
  return {
    card,
    cardJson: formatCardJson(card),
    onnx,
    model,
    split,
    metrics,
    onnxMaxAbsDiff,
    goldenScores,
    seconds: { features: (t1 - t0) / 1000, training: (t2 - t1) / 1000, total: (t3 - t0) / 1000 },
  };
}

/** Golden examples that are not on the right side of 0.5 by at least `margin`. */
export function goldenFailures(
  golden: readonly GoldenExample[],
  spamScores: readonly number[],
  margin: number,
): string[] {
  return golden.flatMap((g, i) => {
    const p = spamScores[i]!;
    const ok = g.label === 'spam' ? p >= 0.5 + margin : p <= 0.5 - margin;
    return ok ? [] : [`"${g.input}" expected ${g.label}, p(spam) = ${p.toFixed(4)} (needs margin ${margin})`];
  });
}
