/**
 * `fastify.readiness`: whether this instance should receive traffic. Ready once the model has
 * loaded and passed warm-up; not ready again from the moment shutdown begins (SIGTERM), so the
 * load balancer stops sending while in-flight work drains.
 */
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';

export interface Readiness {
  readonly shuttingDown: boolean;
  /** Called by the process wiring on SIGTERM; /readyz turns 503 at once. */
  beginShutdown(): void;
  /** `undefined` when ready, else why not. */
  notReadyReason(): string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness;
  }
}

export default fp(
  async (fastify) => {
    let shuttingDown = false;
    const { model } = fastify;
    const readiness: Readiness = {
      get shuttingDown() {
        return shuttingDown;
      },
      beginShutdown() {
        shuttingDown = true;
      },
      notReadyReason() {
        if (shuttingDown) return 'shutting down';
        return model.status === 'ready' ? undefined : model.reason;
      },
    };
    fastify.decorate('readiness', readiness);
    // /readyz as a series (read at scrape time): the dashboard counts ready pods from the
    // service's own view, which a cluster without kube-state-metrics has too.
    new Gauge({
      name: 'inference_service_ready',
      help: '1 while GET /readyz answers 200 (model loaded and warmed up, not shutting down), else 0',
      registers: [fastify.metrics.registry],
      collect() {
        this.set(readiness.notReadyReason() === undefined ? 1 : 0);
      },
    });
  },
  { name: 'readiness', dependencies: ['model', 'metrics'] },
);
