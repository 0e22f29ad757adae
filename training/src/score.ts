/** Scoring a model bundle with onnxruntime-node, in padded batches. */
import * as ort from 'onnxruntime-node';
import { padRows, type SparseRows } from './features.js';

export interface OnnxNames {
  ids: string;
  weights: string;
  probabilities: string;
}

export async function createSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnx, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // errors reach the caller as exceptions; keep ORT's own stderr logging quiet
    logSeverityLevel: 4,
  });
}

/**
 * Returns the probability of class `positiveIndex` for every row, running the session on
 * batches of `batchSize` rows padded to their longest row.
 */
export async function scoreWithOnnx(
  session: ort.InferenceSession,
  rows: SparseRows,
  names: OnnxNames,
  positiveIndex: number,
  batchSize = 256,
): Promise<Float64Array> {
  const n = rows.rowStart.length - 1;
  const out = new Float64Array(n);
  for (let first = 0; first < n; first += batchSize) {
    const count = Math.min(batchSize, n - first);
    const batch = padRows(rows, first, count);
    const result = await session.run({
      [names.ids]: new ort.Tensor('int32', batch.ids, [count, batch.width]),
      [names.weights]: new ort.Tensor('float32', batch.weights, [count, batch.width]),
    });
    const probs = result[names.probabilities];
    if (probs === undefined) throw new Error(`the model has no output "${names.probabilities}"`);
    const classes = probs.dims[1] ?? 0;
    if (probs.dims.length !== 2 || probs.dims[0] !== count || positiveIndex >= classes) {
      throw new Error(
        `output "${names.probabilities}" has shape [${probs.dims.join(', ')}], expected [${count}, 2]`,
      );
    }
    const data = probs.data as Float32Array;
    for (let r = 0; r < count; r++) out[first + r] = data[r * classes + positiveIndex]!;
  }
  return out;
}
