/**
 * Process wiring only: configuration (fail fast), logger, HTTP timeouts, listen, and the
 * graceful shutdown a rolling update needs. The service itself is the plugin in app.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import app, { serverOptions } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import metricsApp, { metricsServerOptions } from './metrics-app.js';

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const fastify = Fastify({
  ...serverOptions(config),
  logger: { level: config.logLevel, base: { pid: process.pid, instanceId: config.instanceId } },
  // Slow or stuck clients cannot hold a socket forever.
  requestTimeout: 30_000,
  // Longer than common load balancers' idle timeout (AWS ALB/NLB: 60 s), so the server is
  // never the side that closes a kept-alive connection the balancer is about to reuse.
  keepAliveTimeout: 65_000,
});

process.on('uncaughtException', (error) => {
  fastify.log.fatal({ err: error }, 'uncaught exception');
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  fastify.log.fatal({ err: reason }, 'unhandled rejection');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  const { shutdownDrainDelaySeconds: drain, shutdownTimeoutSeconds: timeout } = config;
  // Exit before the deadline (Kubernetes' terminationGracePeriodSeconds sends SIGKILL then).
  const force = setTimeout(
    () => {
      fastify.log.error({ timeoutSeconds: timeout }, 'shutdown deadline reached; cutting open connections');
      fastify.server.closeAllConnections();
      process.exit(1);
    },
    Math.max(0, timeout * 1000 - 250),
  );
  force.unref();
  // 1. Not ready at once: endpoints controllers take a few seconds to stop sending traffic.
  fastify.readiness.beginShutdown();
  fastify.log.info({ signal, drainDelaySeconds: drain }, 'shutting down: /readyz is 503, still serving');
  // 2. Keep serving during the drain delay.
  await sleep(drain * 1000);
  // 3. Stop accepting, close idle keep-alive sockets, let in-flight requests finish.
  await fastify.close();
  fastify.log.info('shutdown complete');
  process.exit(0);
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));

await fastify.register(app, { config });

// GET /metrics on its own port (METRICS_PORT): the API port is what an ingress exposes.
const metricsServer = Fastify({
  ...metricsServerOptions(),
  loggerInstance: fastify.log.child({ listener: 'metrics' }),
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
});
await metricsServer.register(metricsApp, { registry: fastify.metrics.registry });
// Closed with the API server, after its in-flight requests: scrapes work during the drain.
fastify.addHook('onClose', async () => {
  await metricsServer.close();
});

await fastify.listen({ host: config.host, port: config.port });
await metricsServer.listen({ host: config.host, port: config.metricsPort });
