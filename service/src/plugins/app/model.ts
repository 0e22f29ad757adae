/**
 * `fastify.model`: the served model (../../model/model.ts), wired to the app's metrics and
 * lifecycle. Loading starts at registration and runs in the background, so /livez answers
 * (and /readyz says 503) while the session loads and warms up.
 *
 * The model owner's metrics (issue 15) follow KServe's and Seldon's labels, `model_name` and
 * `model_version`, on every per-prediction series, so a rollout shows old and new model side by
 * side; batch size is a histogram per ONNX run as BentoML's adaptive batching reports it. No
 * label ever carries request text: each series set is bounded by the card's labels.
 */
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram } from 'prom-client';
import { createModel, type Model } from '../../model/model.js';

/** Score buckets: the probability of the predicted label (≥ 1/labels, so ≥ 0.5 for two). */
const SCORE_BUCKETS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1];

/** Input-length buckets in characters: powers of two, then MAX_INPUT_CHARS when it is larger. */
function inputLengthBuckets(maxInputChars: number): number[] {
  const buckets = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
  if (maxInputChars > buckets.at(-1)!) buckets.push(maxInputChars);
  return buckets;
}

/**
 * Characters as MAX_INPUT_CHARS counts them (the schema's maxLength: Unicode code points, so an
 * emoji is one), so the histogram's last bucket is the limit itself.
 */
export function characterCount(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

declare module 'fastify' {
  interface FastifyInstance {
    model: Model;
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify;
    const registers = [fastify.metrics.registry];
    const batchSize = new Histogram({
      name: 'model_batch_size',
      help: 'Texts per ONNX Runtime run (dynamic micro-batching)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    const inferenceDuration = new Histogram({
      name: 'model_inference_duration_seconds',
      help: 'Time of one batch: featurize + pad + ONNX Runtime run',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });

    const modelLabels = ['model_name', 'model_version'] as const;
    const predictions = new Counter({
      name: 'model_predictions_total',
      help: 'Texts classified (POST /predict and KServe v2 infer, warm-up excluded), by predicted label',
      labelNames: [...modelLabels, 'label'],
      registers,
    });
    const score = new Histogram({
      name: 'model_prediction_score',
      help: 'Score of each prediction: the probability of the predicted label, by predicted label',
      labelNames: [...modelLabels, 'label'],
      buckets: SCORE_BUCKETS,
      registers,
    });
    const inputLength = new Histogram({
      name: 'model_input_length_characters',
      help: 'Length of each classified text in characters (Unicode code points, as MAX_INPUT_CHARS counts)',
      labelNames: modelLabels,
      buckets: inputLengthBuckets(config.maxInputChars),
      registers,
    });

    const model = createModel({
      dir: config.modelDir,
      maxBatchSize: config.batchMaxSize,
      maxWaitMs: config.batchMaxWaitMs,
      maxQueue: config.maxQueue,
      onBatch(size, seconds) {
        batchSize.observe(size);
        inferenceDuration.observe(seconds);
      },
      // Only called for served requests, after load: `served` (below) is set by then.
      onPrediction(text, prediction) {
        const labels = { ...served, label: prediction.label };
        predictions.inc(labels);
        score.observe(labels, prediction.score);
        inputLength.observe(served, characterCount(text));
      },
    });
    const served = { model_name: model.card.name, model_version: model.card.version };
    fastify.decorate('model', model);

    // Every label of the card starts at 0, so a share-of-labels query has all its series from
    // the first scrape on (a label the model never predicts shows as 0, not as missing).
    for (const label of model.card.labels) {
      predictions.inc({ ...served, label }, 0);
      score.zero({ ...served, label });
    }

    const info = new Gauge({
      name: 'model_info',
      help: 'The served model (value 1), labelled with its name and version',
      labelNames: ['name', 'version'],
      registers,
    });
    info.set({ name: model.card.name, version: model.card.version }, 1);
    // The Prometheus `*_build_info` idiom (value 1, what runs in the labels): which commit and
    // model each process serves. `instance_id`, not `instance`: Prometheus sets `instance` to
    // the scrape target's address and would rename ours to `exported_instance`.
    const buildInfo = new Gauge({
      name: 'inference_service_build_info',
      help: 'The running build (value 1): commit, model name and version, instance id, Node.js version',
      labelNames: ['commit', 'model_name', 'model_version', 'instance_id', 'node_version'],
      registers,
    });
    buildInfo.set(
      {
        commit: config.gitCommit,
        ...served,
        instance_id: config.instanceId,
        node_version: process.versions.node,
      },
      1,
    );
    new Gauge({
      name: 'model_queue_depth',
      help: 'Texts waiting for a batch (bounded by MAX_QUEUE)',
      registers,
      collect() {
        this.set(model.queueDepth);
      },
    });

    const started = performance.now();
    void model.load().then(() => {
      const ms = Math.round(performance.now() - started);
      if (model.status === 'ready') {
        fastify.log.info(
          { model: model.card.name, version: model.card.version, ms },
          'model loaded and warmed up',
        );
      } else {
        fastify.log.error({ model: model.card.name, reason: model.reason }, 'model is not ready');
      }
    });

    // onClose runs after the server stopped and in-flight requests finished.
    fastify.addHook('onClose', async () => {
      await model.loaded;
      await model.close();
    });
  },
  { name: 'model', dependencies: ['config', 'metrics'] },
);
