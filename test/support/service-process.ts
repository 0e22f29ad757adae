/**
 * The real inference service as a process (service/src/server.ts, or the built
 * dist/server.js), on 127.0.0.1 with random ports: the one spawner of the service
 * tests, the deployctl tests (instances like pods) and the benches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort, waitForStatus } from './net.js';
import { BUNDLED_MODEL_DIR, SERVICE_DIR } from './paths.js';
import { exited } from './process.js';

export interface ServiceOptions {
  /** Variables over the defaults (MODEL_DIR, HOST, PORT, METRICS_PORT, LOG_LEVEL=info). */
  env?: Record<string, string>;
  /** The API port; default a free one. */
  port?: number;
  /** `source` runs src/server.ts through tsx (what the tests run); `built` runs dist/server.js. */
  entry?: 'source' | 'built';
  /**
   * What to wait for: `/livez` answers as soon as it listens (the model may still load),
   * `/readyz` once the model is loaded.
   */
  waitFor?: '/livez' | '/readyz';
  /** Generous by default: the machine is shared. */
  timeoutMs?: number;
  pollMs?: number;
  /** `capture` keeps every stdout line in `logs` (JSON logs); `ignore` drops them (benches under load). */
  stdout?: 'capture' | 'ignore';
  /** `capture` keeps stderr for `stderr()` and errors; `inherit` prints it (benches). */
  stderr?: 'capture' | 'inherit';
}

export interface ServiceProcess {
  /** http://HOST:PORT (127.0.0.1 unless `env.HOST` names another address) */
  url: string;
  port: number;
  /** The metrics listener (METRICS_PORT): GET /metrics. */
  metricsUrl: string;
  proc: ChildProcess;
  /** Every stdout line so far (JSON logs); empty with `stdout: 'ignore'`. */
  logs: string[];
  stderr: () => string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGKILL) to this process unless it has ended; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the service with `options.env` and waits until `waitFor` answers 200.
 * Rejects (and stops the process) if it exits first or does not answer in time.
 */
export async function startService(options: ServiceOptions = {}): Promise<ServiceProcess> {
  const { env = {}, entry = 'source', waitFor = '/livez', timeoutMs = 60_000, pollMs = 50 } = options;
  const port = options.port ?? (await freePort());
  // A port of its own rather than 0, so that tests know where /metrics is.
  const metricsPort = env.METRICS_PORT ?? String(await freePort());
  const args = entry === 'source' ? ['--import', 'tsx', 'src/server.ts'] : ['dist/server.js'];
  const proc = spawn(process.execPath, args, {
    cwd: SERVICE_DIR,
    env: {
      ...process.env,
      MODEL_DIR: process.env.MODEL_DIR || BUNDLED_MODEL_DIR,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: metricsPort,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: [
      'ignore',
      options.stdout === 'ignore' ? 'ignore' : 'pipe',
      options.stderr === 'inherit' ? 'inherit' : 'pipe',
    ],
  });
  const logs: string[] = [];
  if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (line) => logs.push(line));
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close' comes after 'exit' once stdout and stderr are drained: the whole boot error.
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const exit = exited(proc).then((code) => (typeof code === 'number' ? code : null));
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exit;
  };
  // A test may bind another local address (test/k8s binds pod IPs added to lo).
  const host = env.HOST ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  let died: Error | undefined;
  try {
    await waitForStatus(`${url}${waitFor}`, 200, timeoutMs, {
      intervalMs: pollMs,
      giveUpIf: () => {
        if (proc.exitCode === null && proc.signalCode === null) return undefined;
        died = new Error(`server exited with ${proc.exitCode ?? proc.signalCode} before ${waitFor} answered`);
        return died;
      },
    });
  } catch (error) {
    await stop();
    if (died && error === died) {
      await closed;
      throw new Error(`${died.message}: ${stderr}`);
    }
    throw new Error(`server did not answer ${waitFor} on ${url} within ${timeoutMs} ms: ${stderr}`, {
      cause: error,
    });
  }
  return {
    url,
    port,
    metricsUrl: `http://${host}:${metricsPort}`,
    proc,
    logs,
    stderr: () => stderr,
    exited: exit,
    stop,
  };
}

/** Polls GET /readyz until 200 (generous deadline: the machine is shared). */
export function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  return waitForStatus(`${url}/readyz`, 200, timeoutMs, { intervalMs: 50 });
}
