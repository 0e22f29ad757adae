/** Seeded randomness and the stratified train/test split (no Math.random anywhere). */

/** Mulberry32: a small, fast, seedable 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher–Yates shuffle driven by `random`. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

export interface Split {
  /** Indices into the examples, ascending. */
  train: number[];
  test: number[];
}

/**
 * Stratified split: per label (in label order), shuffle that label's indices with a PRNG
 * seeded from `seed` and the label, and put the first round(testFraction · count) into the
 * test set. Both index lists come back sorted ascending, so the split depends only on the
 * labels, the seed and the fraction.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1))
    throw new Error(`testFraction must be in (0, 1), got ${testFraction}`);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const list = byLabel.get(label) ?? [];
    list.push(i);
    byLabel.set(label, list);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const indices = shuffle(byLabel.get(label)!, mulberry32((seed ^ Math.imul(label + 1, 0x9e3779b1)) >>> 0));
    const nTest = Math.round(testFraction * indices.length);
    test.push(...indices.slice(0, nTest));
    train.push(...indices.slice(nTest));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train, test };
}
