/**
 * The served model: card + ONNX session + micro-batcher + warm-up. `createModel` reads and
 * checks the card at once (a broken bundle fails at boot); `load()` creates the session and
 * runs the card's golden examples, and only when they all come out as expected is the model
 * ready. HTTP-free: the app's model plugin adapts it to Fastify.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { featurize } from '@mlops/model-contract';
import { MicroBatcher } from './batcher.js';
import { type ModelCard, readModelCard } from './card.js';
import { createSession, type Session } from './session.js';

export interface Prediction {
  label: string;
  /** Probability of `label`. */
  score: number;
}

export type ModelStatus = 'loading' | 'ready' | 'failed';

export interface ModelOptions {
  /** Directory holding model.onnx and model.json. */
  dir: string;
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
  /** Called after every batch (for metrics). */
  onBatch?(size: number, seconds: number): void;
}

export class ModelNotReadyError extends Error {
  override name = 'ModelNotReadyError';
}

export interface Model {
  readonly card: ModelCard;
  readonly status: ModelStatus;
  /** Why the model is not ready (loading, or what failed). */
  readonly reason: string;
  /** Items waiting for a batch. */
  readonly queueDepth: number;
  /** Creates the session and runs the warm-up; never rejects (failures set `status`). */
  load(): Promise<void>;
  /** Settles when `load()` has finished, ready or failed. */
  readonly loaded: Promise<void>;
  /** Throws ModelNotReadyError before warm-up passed, QueueFullError when the queue is full. */
  predict(text: string): Promise<Prediction>;
  predictAll(texts: readonly string[]): Promise<Prediction[]>;
  close(): Promise<void>;
}

export function createModel(options: ModelOptions): Model {
  const card = readModelCard(join(options.dir, 'model.json'));
  const onnxPath = join(options.dir, 'model.onnx');
  const { preprocessing, labels } = card;
  const [label0, label1] = labels as [string, string];

  let session: Session | undefined;
  let status: ModelStatus = 'loading';
  let reason = 'model is loading';
  let settle: () => void = () => {};
  const loaded = new Promise<void>((resolve) => {
    settle = resolve;
  });

  // One batch: featurize every text, pad to the longest row (id 0, weight 0), one run.
  async function infer(texts: string[]): Promise<Prediction[]> {
    if (session === undefined) throw new Error('model session is not loaded');
    const started = performance.now();
    const n = texts.length;
    const features = new Array<ReturnType<typeof featurize>>(n);
    let width = 1; // ONNX Runtime rejects zero-sized dims; an all-padding row scores the bias.
    for (let i = 0; i < n; i++) {
      const f = featurize(texts[i]!, preprocessing);
      features[i] = f;
      if (f.ids.length > width) width = f.ids.length;
    }
    const ids = new Int32Array(n * width);
    const weights = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      const f = features[i]!;
      ids.set(f.ids, i * width);
      weights.set(f.weights, i * width);
    }
    const probabilities = await session.run(ids, weights, n, width);
    const out = new Array<Prediction>(n);
    for (let i = 0; i < n; i++) {
      const p0 = probabilities[2 * i]!;
      const p1 = probabilities[2 * i + 1]!;
      out[i] = p1 > p0 ? { label: label1, score: p1 } : { label: label0, score: p0 };
    }
    options.onBatch?.(n, (performance.now() - started) / 1000);
    return out;
  }

  const batcher = new MicroBatcher<string, Prediction>({
    maxBatchSize: options.maxBatchSize,
    maxWaitMs: options.maxWaitMs,
    maxQueue: options.maxQueue,
    run: infer,
  });

  async function warmUp(): Promise<string | undefined> {
    const texts = card.golden.map((g) => g.input);
    // Once as one batch through the batcher (the padding path), once one by one (the common
    // single-request path); neither is subject to MAX_QUEUE.
    const batched = await batcher.submitAll(texts, true);
    const single: Prediction[] = [];
    for (const text of texts) single.push((await infer([text]))[0]!);
    for (const [i, example] of card.golden.entries()) {
      for (const got of [batched[i]!, single[i]!]) {
        if (got.label !== example.label) {
          return `warm-up failed: golden example ${i} (${JSON.stringify(example.input.slice(0, 60))}) was predicted ${got.label}, expected ${example.label}`;
        }
      }
    }
    return undefined;
  }

  return {
    card,
    get status() {
      return status;
    },
    get reason() {
      return reason;
    },
    get queueDepth() {
      return batcher.depth;
    },
    loaded,
    async load() {
      try {
        session = await createSession(onnxPath, {
          ids: card.inputs.ids,
          weights: card.inputs.weights,
          probabilities: card.outputs.probabilities,
        });
        const failure = await warmUp();
        if (failure === undefined) {
          status = 'ready';
          reason = '';
        } else {
          status = 'failed';
          reason = failure;
        }
      } catch (error) {
        status = 'failed';
        reason = `model failed to load from ${onnxPath}: ${(error as Error).message}`;
      } finally {
        settle();
      }
    },
    predict(text) {
      if (status !== 'ready') throw new ModelNotReadyError(reason);
      return batcher.submit(text);
    },
    predictAll(texts) {
      if (status !== 'ready') throw new ModelNotReadyError(reason);
      return batcher.submitAll(texts);
    },
    async close() {
      status = 'failed';
      reason = 'model is closed';
      await session?.release();
      session = undefined;
    },
  };
}
