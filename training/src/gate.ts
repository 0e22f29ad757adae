/**
 * The model quality gate: re-evaluates a bundle (model.onnx + model.json) on the held-out
 * split, rebuilt from the dataset and the seed/split recorded in the card, and compares the
 * metrics with committed thresholds. `check.ts` is its CLI; tests call `runGate` directly.
 */
import { readFileSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { BundleError, readBundle } from './card.js';
import { type Dataset, loadDataset } from './data.js';
import { featurizeAll } from './features.js';
import { computeMetrics, METRIC_NAMES, type MetricName, type Metrics } from './metrics.js';
import { goldenFailures, heldOutSplit, sha256 } from './pipeline.js';
import { createSession, scoreWithOnnx } from './score.js';

export interface Thresholds {
  /** Minimum value of each metric on the held-out split. */
  metrics: Record<MetricName, number>;
  /** Golden examples must score at least this far from 0.5 on the right side. */
  goldenMinMargin: number;
  /** Largest allowed difference between a metric in the card and the measured one. */
  cardTolerance: number;
}

export interface GateResult {
  ok: boolean;
  measured: Metrics;
  failures: string[];
  lines: string[];
}

let cachedDataset: Dataset | undefined;
/** The corpus takes ~1.5 s to load and clean; one process needs it once. */
function dataset(): Dataset {
  cachedDataset ??= loadDataset();
  return cachedDataset;
}

export function readThresholds(path: string): Thresholds {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BundleError(
      `cannot read the thresholds ${path}: ${err.code ?? (e instanceof SyntaxError ? `not valid JSON (${err.message})` : err.message)}`,
    );
  }
  const t = json as Partial<Thresholds> | null;
  const bad = (what: string): never => {
    throw new BundleError(`${path}: ${what}`);
  };
  if (typeof t !== 'object' || t === null || typeof t.metrics !== 'object' || t.metrics === null) {
    return bad('expected {"metrics": {...}, "goldenMinMargin": n, "cardTolerance": n}');
  }
  for (const name of METRIC_NAMES) {
    const v = (t.metrics as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(`metrics.${name} must be a number in [0, 1]`);
  }
  if (typeof t.goldenMinMargin !== 'number' || !(t.goldenMinMargin >= 0 && t.goldenMinMargin < 0.5)) {
    bad('goldenMinMargin must be a number in [0, 0.5)');
  }
  if (typeof t.cardTolerance !== 'number' || !(t.cardTolerance >= 0))
    bad('cardTolerance must be a number ≥ 0');
  return t as Thresholds;
}

export async function runGate(options: { modelDir: string; thresholdsPath: string }): Promise<GateResult> {
  const thresholds = readThresholds(options.thresholdsPath);
  const { card, onnx, cardPath, onnxPath } = readBundle(options.modelDir);
  const failures: string[] = [];
  const lines: string[] = [];

  const recorded = card.files.sha256;
  if (recorded !== sha256(onnx)) {
    throw new BundleError(
      `${onnxPath} has sha256 ${sha256(onnx)}, but the card records ${recorded}: ` +
        'the card does not describe this model (retrain, or update files.sha256 in the card)',
    );
  }

  const data = dataset();
  if (card.dataset.name !== data.name) {
    throw new BundleError(
      `${cardPath}: dataset.name is "${card.dataset.name}", the gate evaluates on "${data.name}"`,
    );
  }
  if (card.dataset.digest !== data.digest) {
    throw new BundleError(
      `dataset digest mismatch: the card records ${card.dataset.digest} (${card.dataset.name}@${card.dataset.version}), ` +
        `the installed ${data.name}@${data.version} gives ${data.digest}. The data or its cleaning changed: retrain with npm run model:train`,
    );
  }
  lines.push(
    `dataset ${data.name}@${data.version} ${data.digest} (${data.examples.length} examples): digest ok`,
  );

  const split = heldOutSplit(data, card.training.seed, card.training.testFraction);
  const rows = featurizeAll(
    split.test.map((i) => data.examples[i]!.text),
    card.preprocessing,
  );
  const labels = split.test.map((i) => data.examples[i]!.label);

  let session: InferenceSession;
  try {
    session = await createSession(onnx);
  } catch (e) {
    throw new BundleError(`${onnxPath} is not a loadable ONNX model: ${firstLine(e)}`);
  }
  const names = {
    ids: card.inputs.ids,
    weights: card.inputs.weights,
    probabilities: card.outputs.probabilities,
  };
  for (const [kind, name, list] of [
    ['input', names.ids, session.inputNames],
    ['input', names.weights, session.inputNames],
    ['output', names.probabilities, session.outputNames],
  ] as const) {
    if (!list.includes(name)) {
      throw new BundleError(
        `${onnxPath} has no ${kind} "${name}" (the card's name); it has ${JSON.stringify(list)}`,
      );
    }
  }
  const positive = card.labels.indexOf(card.positiveLabel);
  let scores: Float64Array;
  let goldenScores: Float64Array;
  try {
    scores = await scoreWithOnnx(session, rows, names, positive);
    goldenScores = await scoreWithOnnx(
      session,
      featurizeAll(
        card.golden.map((g) => g.input),
        card.preprocessing,
      ),
      names,
      positive,
    );
  } catch (e) {
    throw new BundleError(`${onnxPath} failed to score the held-out split: ${firstLine(e)}`);
  } finally {
    await session.release();
  }
  // labels are 0 = ham, 1 = spam; the card may order its labels differently
  const positiveIs = card.positiveLabel === 'spam' ? 1 : 0;
  const measured = computeMetrics(
    scores,
    labels.map((l) => (l === positiveIs ? 1 : 0)),
  );

  lines.push(
    `held-out split: ${measured.testSize} examples (seed ${card.training.seed}, test ${card.training.testFraction})`,
  );
  lines.push('metric       measured   threshold  card');
  for (const name of METRIC_NAMES) {
    const value = measured[name];
    const min = thresholds.metrics[name];
    const claimed = (card.metrics as unknown as Record<string, unknown>)[name];
    const pass = value >= min;
    lines.push(
      `${name.padEnd(12)} ${value.toFixed(6)}   ${min.toFixed(6)}   ${typeof claimed === 'number' ? claimed.toFixed(6) : '-'}  ${pass ? 'ok' : 'FAIL'}`,
    );
    if (!pass) {
      failures.push(
        `${name} ${value.toFixed(6)} is below the threshold ${min} (${options.thresholdsPath}) on the held-out split`,
      );
    }
    if (typeof claimed !== 'number' || Math.abs(claimed - value) > thresholds.cardTolerance) {
      failures.push(
        `${name}: the card claims ${JSON.stringify(claimed)} but the bundle measures ${value.toFixed(6)} (tolerance ${thresholds.cardTolerance}): the card does not describe this model`,
      );
    }
  }
  if (card.metrics.testSize !== measured.testSize) {
    failures.push(
      `testSize: the card claims ${card.metrics.testSize}, the rebuilt held-out split has ${measured.testSize}`,
    );
  }

  const spamScores = Array.from(goldenScores, (p) => (card.positiveLabel === 'spam' ? p : 1 - p));
  const golden = goldenFailures(card.golden, spamScores, thresholds.goldenMinMargin);
  lines.push(
    `golden examples: ${card.golden.length - golden.length}/${card.golden.length} ok (margin ${thresholds.goldenMinMargin})`,
  );
  for (const g of golden) failures.push(`golden example ${g}`);

  return { ok: failures.length === 0, measured, failures, lines };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
