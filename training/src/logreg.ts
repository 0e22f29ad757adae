/**
 * Logistic regression on hashed sparse features, trained deterministically: full-batch Adam
 * with L2 regularisation, every loop in index order, no randomness at all — the same rows in
 * give bit-identical weights out.
 */
import type { SparseRows } from './features.js';

export interface LogRegParams {
  epochs: number;
  learningRate: number;
  /** L2 penalty λ in  mean log-loss + λ/2 · ‖w‖² (the bias is not penalised). */
  l2: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface LinearModel {
  /** One weight per bucket (float32, as exported to ONNX). */
  weights: Float32Array;
  bias: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export interface TrainLog {
  epoch: number;
  loss: number;
}

export function trainLogReg(
  rows: SparseRows,
  labels: ArrayLike<number>,
  buckets: number,
  params: LogRegParams,
  onEpoch?: (log: TrainLog) => void,
): LinearModel {
  const n = labels.length;
  const { rowStart, ids, values } = rows;
  const w = new Float64Array(buckets);
  const m = new Float64Array(buckets);
  const v = new Float64Array(buckets);
  const grad = new Float64Array(buckets);
  let b = 0;
  let mb = 0;
  let vb = 0;
  const { learningRate, l2, beta1, beta2, epsilon } = params;
  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    grad.fill(0);
    let gradB = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) z += w[ids[k]!]! * values[k]!;
      const p = sigmoid(z);
      const y = labels[i]!;
      loss += y === 1 ? -Math.log(Math.max(p, 1e-15)) : -Math.log(Math.max(1 - p, 1e-15));
      const g = (p - y) / n;
      gradB += g;
      for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) grad[ids[k]!]! += g * values[k]!;
    }
    let penalty = 0;
    const c1 = 1 - beta1 ** epoch;
    const c2 = 1 - beta2 ** epoch;
    for (let j = 0; j < buckets; j++) {
      const wj = w[j]!;
      penalty += wj * wj;
      const gj = grad[j]! + l2 * wj;
      const mj = beta1 * m[j]! + (1 - beta1) * gj;
      const vj = beta2 * v[j]! + (1 - beta2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      w[j] = wj - (learningRate * (mj / c1)) / (Math.sqrt(vj / c2) + epsilon);
    }
    mb = beta1 * mb + (1 - beta1) * gradB;
    vb = beta2 * vb + (1 - beta2) * gradB * gradB;
    b -= (learningRate * (mb / c1)) / (Math.sqrt(vb / c2) + epsilon);
    onEpoch?.({ epoch, loss: loss / n + (l2 / 2) * penalty });
  }
  return { weights: Float32Array.from(w), bias: Math.fround(b) };
}

/** Reference scorer: p(spam) for each row, computed the way the ONNX graph does. */
export function scoreRows(model: LinearModel, rows: SparseRows): Float64Array {
  const n = rows.rowStart.length - 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let k = rows.rowStart[i]!; k < rows.rowStart[i + 1]!; k++)
      z += model.weights[rows.ids[k]!]! * rows.values[k]!;
    out[i] = sigmoid(z + model.bias);
  }
  return out;
}
