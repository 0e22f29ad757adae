/** Binary classification metrics; the positive class is label 1 (spam). */

export interface Metrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  testSize: number;
}

export const METRIC_NAMES = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * Metrics for scores p(spam): predicted spam when p > threshold (0.5), as the service's argmax
 * p(spam) > p(ham) does; ROC AUC from the ranks (ties averaged).
 */
export function computeMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): Metrics {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`${scores.length} scores for ${n} labels`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const predicted = scores[i]! > threshold;
    const actual = labels[i] === 1;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    accuracy: n === 0 ? 0 : (tp + tn) / n,
    precision,
    recall,
    f1,
    rocAuc: rocAuc(scores, labels),
    testSize: n,
  };
}

/** Mann–Whitney form of the ROC AUC (probability a random positive outranks a random negative). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]! || a - b,
  );
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Rounds metrics for the model card (6 decimals keeps them exact enough and stable). */
export function roundMetrics(m: Metrics): Metrics {
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    accuracy: r(m.accuracy),
    precision: r(m.precision),
    recall: r(m.recall),
    f1: r(m.f1),
    rocAuc: r(m.rocAuc),
    testSize: m.testSize,
  };
}
