/**
 * `fastify.model`: the served model (../../model/model.ts), wired to the app's metrics and
 * lifecycle. Loading starts at registration and runs in the background, so /livez answers
 * (and /readyz says 503) while the session loads and warms up.
 */
import fp from 'fastify-plugin';
import { Gauge, Histogram } from 'prom-client';
import { createModel, type Model } from '../../model/model.js';

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

    const model = createModel({
      dir: config.modelDir,
      maxBatchSize: config.batchMaxSize,
      maxWaitMs: config.batchMaxWaitMs,
      maxQueue: config.maxQueue,
      onBatch(size, seconds) {
        batchSize.observe(size);
        inferenceDuration.observe(seconds);
      },
    });
    fastify.decorate('model', model);

    const info = new Gauge({
      name: 'model_info',
      help: 'The served model (value 1), labelled with its name and version',
      labelNames: ['name', 'version'],
      registers,
    });
    info.set({ name: model.card.name, version: model.card.version }, 1);
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
