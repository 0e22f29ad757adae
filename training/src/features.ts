/** Featurized examples in CSR form, and batches padded for the ONNX model. */
import { featurize, type PreprocessingParams } from '@mlops/model-contract';

export interface SparseRows {
  /** rowStart[i]..rowStart[i+1] are row i's entries. */
  rowStart: Int32Array;
  ids: Int32Array;
  values: Float32Array;
}

export function featurizeAll(texts: readonly string[], params: PreprocessingParams): SparseRows {
  const rows = texts.map((t) => featurize(t, params));
  const rowStart = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) rowStart[i + 1] = rowStart[i]! + rows[i]!.ids.length;
  const ids = new Int32Array(rowStart[rows.length]!);
  const values = new Float32Array(ids.length);
  rows.forEach((r, i) => {
    ids.set(r.ids, rowStart[i]!);
    values.set(r.weights, rowStart[i]!);
  });
  return { rowStart, ids, values };
}

export interface PaddedBatch {
  /** [n, width] row-major, padded with id 0 / weight 0. */
  ids: Int32Array;
  weights: Float32Array;
  n: number;
  width: number;
}

/** Pads rows first..first+count−1 to the longest of them (at least 1 column). */
export function padRows(rows: SparseRows, first: number, count: number): PaddedBatch {
  let width = 1;
  for (let i = first; i < first + count; i++)
    width = Math.max(width, rows.rowStart[i + 1]! - rows.rowStart[i]!);
  const ids = new Int32Array(count * width);
  const weights = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const start = rows.rowStart[first + r]!;
    const end = rows.rowStart[first + r + 1]!;
    ids.set(rows.ids.subarray(start, end), r * width);
    weights.set(rows.values.subarray(start, end), r * width);
  }
  return { ids, weights, n: count, width };
}

export function selectRows(rows: SparseRows, indices: readonly number[]): SparseRows {
  const rowStart = new Int32Array(indices.length + 1);
  indices.forEach((row, i) => {
    rowStart[i + 1] = rowStart[i]! + rows.rowStart[row + 1]! - rows.rowStart[row]!;
  });
  const ids = new Int32Array(rowStart[indices.length]!);
  const values = new Float32Array(ids.length);
  indices.forEach((row, i) => {
    const s = rows.rowStart[row]!;
    const e = rows.rowStart[row + 1]!;
    ids.set(rows.ids.subarray(s, e), rowStart[i]!);
    values.set(rows.values.subarray(s, e), rowStart[i]!);
  });
  return { rowStart, ids, values };
}
