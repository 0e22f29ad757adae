/**
 * The real inference service (service/src/server.ts), started as separate
 * processes like pods, behind a round-robin TCP proxy that stands in for the
 * Kubernetes Service (kube-proxy balances connections the same way).
 */
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { BUNDLED_MODEL_DIR } from '../../../test/support/paths.js';
import { type ServiceProcess, startService } from '../../../test/support/service-process.js';

export interface Instance {
  id: string;
  port: number;
  service: ServiceProcess;
  /** SIGTERM, as Kubernetes stops a pod, and waits for the exit. */
  stop: () => Promise<void>;
}

/** One pod: the service reporting `id` and `commit`, ready (model loaded) before it resolves. */
export async function startInstance(id: string, commit: string): Promise<Instance> {
  const service = await startService({
    env: {
      INSTANCE_ID: id,
      GIT_COMMIT: commit,
      MODEL_DIR: BUNDLED_MODEL_DIR,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
    },
    waitFor: '/readyz',
    // Generous: three model loads in a row on a shared 2-core machine.
    timeoutMs: 90_000,
    pollMs: 250,
  });
  return {
    id,
    port: service.port,
    service,
    stop: async () => {
      await service.stop('SIGTERM');
    },
  };
}

export interface Proxy {
  url: string;
  close: () => Promise<void>;
}

/** Round-robin per connection over the given ports, like a Kubernetes Service. */
export async function startRoundRobinProxy(ports: number[]): Promise<Proxy> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const port = ports[next++ % ports.length]!;
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
