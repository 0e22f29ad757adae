/**
 * The real inference service (service/src/server.ts), started as separate
 * processes like pods, behind a round-robin TCP proxy that stands in for the
 * Kubernetes Service (kube-proxy balances connections the same way).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STARTUP_TIMEOUT_MS = 90_000;

export async function getFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Instance {
  id: string;
  port: number;
  process: ChildProcess;
  stop: () => Promise<void>;
}

export async function startInstance(id: string, commit: string, port?: number): Promise<Instance> {
  const listenPort = port ?? (await getFreePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'service/src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(listenPort),
      // Any free port for /metrics: several instances run side by side.
      METRICS_PORT: '0',
      INSTANCE_ID: id,
      GIT_COMMIT: commit,
      MODEL_DIR: `${REPO_ROOT}model`,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
      ONNXRUNTIME_NODE_INSTALL: 'skip',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service instance ${id} exited: ${stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${listenPort}/readyz`);
      if (response.status === 200) return { id, port: listenPort, process: child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`service instance ${id} not ready after ${STARTUP_TIMEOUT_MS}ms: ${stderr}`);
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
