// A real Prometheus (Debian's `prometheus`) for a test: on 127.0.0.1, a free port, storage in
// a temporary directory, scraping the targets the test sets through file-based service
// discovery (the test rewrites the file; Prometheus rereads it within a second).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForStatus } from './net.js';
import { stopProcess } from './process.js';

export interface TargetGroup {
  /** host:port of each /metrics endpoint. */
  targets: string[];
  labels?: Record<string, string>;
}

export interface Prometheus {
  url: string;
  /** Replaces every scraped target group. */
  setTargets(groups: TargetGroup[]): void;
  /** An instant query's values (one per series), or throws with Prometheus' error. */
  query(expr: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  scrapeInterval?: string;
  binary?: string;
  /** Rule groups (`{groups: [...]}`, a PrometheusRule's spec) Prometheus loads and evaluates. */
  rules?: unknown;
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
  const targetsFile = path.join(dir, 'targets.json');
  const interval = options.scrapeInterval ?? '1s';
  const setTargets = (groups: TargetGroup[]) => {
    // Written whole and renamed, so Prometheus never reads half a file.
    writeFileSync(`${targetsFile}.tmp`, JSON.stringify(groups));
    renameSync(`${targetsFile}.tmp`, targetsFile);
  };
  setTargets([]);
  // JSON is YAML: the rule file is the groups object as it is.
  const rulesFile = path.join(dir, 'rules.yaml');
  if (options.rules !== undefined) writeFileSync(rulesFile, JSON.stringify(options.rules));
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      `  evaluation_interval: ${interval}`,
      ...(options.rules === undefined ? [] : [`rule_files: [${JSON.stringify(rulesFile)}]`]),
      'scrape_configs:',
      '  - job_name: services',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(targetsFile)}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = new Error(
      `cannot run ${options.binary ?? 'prometheus'} (${error.message}); install Debian's prometheus: apt-get update && apt-get install -y --no-install-recommends prometheus`,
    );
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForStatus(`${url}/-/ready`, 200, 60_000, {
      giveUpIf: () =>
        spawnError ?? (child.exitCode === null ? undefined : new Error(`prometheus exited: ${output}`)),
    });
  } catch (error) {
    await stop();
    throw spawnError ?? new Error(`prometheus did not become ready on ${url}: ${output}`, { cause: error });
  }
  return {
    url,
    setTargets,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    logs: () => output,
    stop,
  };
}
