/**
 * Test helpers: the app built from app.ts (for `inject`), and the real server process
 * (`node --import tsx src/server.ts`) on 127.0.0.1 with a random port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import app, { serverOptions } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import metricsApp, { metricsServerOptions } from '../src/metrics-app.js';

export const SERVICE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The bundled model (MODEL_DIR may point elsewhere, e.g. a freshly trained one). */
export const MODEL_DIR = process.env.MODEL_DIR || fileURLToPath(new URL('../../model/', import.meta.url));

export interface ModelCardJson {
  name: string;
  version: string;
  labels: string[];
  golden: { input: string; label: string }[];
}
export const card = JSON.parse(readFileSync(join(MODEL_DIR, 'model.json'), 'utf8')) as ModelCardJson;

/** The app from app.ts with test env (quiet logs), model loaded unless `waitForModel` is false. */
export async function buildApp(
  env: Record<string, string> = {},
  waitForModel = true,
): Promise<FastifyInstance> {
  const config = loadConfig({ MODEL_DIR, LOG_LEVEL: 'silent', ...env });
  const fastify = Fastify({ ...serverOptions(config), logger: { level: config.logLevel } });
  await fastify.register(app, { config });
  await fastify.ready();
  if (waitForModel) await fastify.model.loaded;
  return fastify;
}

/**
 * GET /metrics of an app built by buildApp, through the metrics listener's own plugin on a
 * second instance, as server.ts runs it (the API app does not serve /metrics).
 */
export async function scrapeMetrics(api: FastifyInstance, url = '/metrics') {
  const metrics = Fastify({ ...metricsServerOptions(), logger: false });
  await metrics.register(metricsApp, { registry: api.metrics.registry });
  try {
    return await metrics.inject({ url });
  } finally {
    await metrics.close();
  }
}

/** A copy of the model bundle with the card edited, for failure scenarios. */
export function modelCopy(edit: (card: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-'));
  cpSync(MODEL_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

export interface RunningServer {
  url: string;
  port: number;
  /** The metrics listener (METRICS_PORT): GET /metrics. */
  metricsUrl: string;
  proc: ChildProcess;
  /** Every stdout line so far (JSON logs). */
  logs: string[];
  stderr: () => string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** A port that was free a moment ago (the server binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts `node --import tsx src/server.ts` with `env` and waits until it listens (not until ready). */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const metricsPort = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: SERVICE_DIR,
    env: {
      ...process.env,
      MODEL_DIR,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  createInterface({ input: proc.stdout! }).on('line', (line) => logs.push(line));
  const url = `http://127.0.0.1:${port}`;
  // Listening = /livez answers (works at any LOG_LEVEL); the process may die first (bad config).
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (dead) throw new Error(`server exited with ${proc.exitCode} before listening: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`server did not listen on ${url} within 60 s: ${stderr}`);
    try {
      if ((await fetch(`${url}/livez`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    metricsUrl: `http://127.0.0.1:${env.METRICS_PORT ?? metricsPort}`,
    proc,
    logs,
    stderr: () => stderr,
    exited,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
}

/** Polls GET /readyz until 200 (generous deadline: the machine is shared). */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/readyz did not turn 200 within ${timeoutMs} ms`);
}
