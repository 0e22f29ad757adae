/**
 * `fastify.readiness`: whether this instance should receive traffic. Ready once the model has
 * loaded and passed warm-up; not ready again from the moment shutdown begins (SIGTERM), so the
 * load balancer stops sending while in-flight work drains.
 */
import fp from 'fastify-plugin';

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
    fastify.decorate('readiness', {
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
    } satisfies Readiness);
  },
  { name: 'readiness', dependencies: ['model'] },
);
