/**
 * `npm run bench`: the real built server (`node dist/server.js`, one process) under autocannon
 * at 32 connections, single and batch POST /predict: requests/s, p50/p99 latency, peak RSS;
 * and the cold start (spawn → /readyz 200), median of several runs. Prints the machine's load
 * average too: on a shared machine the figures are only as quiet as the neighbours.
 * Env: BENCH_DURATION (s, default 10), BENCH_COLD_RUNS (default 5), BENCH_CONNECTIONS (32).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { SERVICE_DIR } from '../../test/support/paths.js';
import { type ServiceProcess, startService } from '../../test/support/service-process.js';
import { runWrk } from './wrk.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const card = JSON.parse(readFileSync(new URL('../../model/model.json', import.meta.url), 'utf8')) as {
  golden: { input: string }[];
};

/** The built server (`dist/server.js`), ready; logs dropped, errors printed. Polls every 5 ms: cold start is timed. */
function startServer(): Promise<ServiceProcess> {
  return startService({ entry: 'built', waitFor: '/readyz', pollMs: 5, stdout: 'ignore', stderr: 'inherit' });
}

function peakRssMb(pid: number): number {
  // VmHWM: the process's peak resident set size so far.
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return kb / 1024;
}

/** CPU seconds (user + system) the process has used: noise-robust, unlike wall-clock rates. */
function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name) are utime, stime in ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 1) => n.toFixed(d);

async function coldStart(): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    const server = await startServer();
    wall.push(performance.now() - started);
    cpu.push(cpuSeconds(server.proc.pid!) * 1000);
    await server.stop();
  }
  return { wall, cpu };
}

async function load(url: string, body: string): Promise<Result> {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json' },
    body,
  });
}

function report(name: string, r: Result, itemsPerRequest: number, rss: number, cpu: number): void {
  const failed = r.errors + r.timeouts + r.non2xx;
  const cpuPerRequestUs = (cpu / r.requests.total) * 1e6;
  console.log(
    `${name.padEnd(22)} ${fmt(r.requests.average, 0).padStart(7)} req/s` +
      (itemsPerRequest > 1 ? ` (${fmt(r.requests.average * itemsPerRequest, 0)} texts/s)` : '') +
      `  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms` +
      `  failed ${failed}/${r.requests.total}  peak RSS ${fmt(rss)} MB` +
      `\n${''.padEnd(22)} server CPU ${fmt(cpuPerRequestUs, 0)} µs/request ⇒ ~${fmt(1e6 / cpuPerRequestUs, 0)} req/s per core it gets to itself`,
  );
}

console.log('building the service (npm run build)...');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: SERVICE_DIR, stdio: 'inherit' });
console.log(
  `load average before: ${loadavg()
    .map((l) => fmt(l, 2))
    .join(' ')} (2 cores shared)`,
);

const cold = await coldStart();
console.log(
  `cold start (spawn → /readyz 200): median ${fmt(median(cold.wall), 0)} ms  runs ${cold.wall.map((t) => fmt(t, 0)).join(', ')} ms` +
    `  (server CPU until ready: median ${fmt(median(cold.cpu), 0)} ms)`,
);

const service = await startServer();
const { url } = service;
const server = service.proc;
const single = JSON.stringify({ input: card.golden[0]!.input });
const batchSize = 8;
const batch = JSON.stringify({
  inputs: Array.from({ length: batchSize }, (_, i) => card.golden[i % card.golden.length]!.input),
});
// Warm the JIT the way traffic would, then measure.
await autocannon({
  url: `${url}/predict`,
  method: 'POST',
  connections: CONNECTIONS,
  duration: 2,
  headers: { 'content-type': 'application/json' },
  body: single,
});
console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION} s each, POST /predict`);
let cpu = cpuSeconds(server.pid!);
const r1 = await load(url, single);
report('single {"input"}', r1, 1, peakRssMb(server.pid!), cpuSeconds(server.pid!) - cpu);
cpu = cpuSeconds(server.pid!);
const r2 = await load(url, batch);
report(
  `batch {"inputs"} x${batchSize}`,
  r2,
  batchSize,
  peakRssMb(server.pid!),
  cpuSeconds(server.pid!) - cpu,
);
// The same single-request load from wrk, a C client that needs a fraction of the CPU
// autocannon does: on 2 shared cores this is the closer measure of the server itself.
execFileSync('bash', [fileURLToPath(new URL('../../scripts/ensure-bench-tools.sh', import.meta.url))], {
  stdio: 'inherit',
});
const wrkRuns = [];
for (let i = 0; i < 3; i++) wrkRuns.push(runWrk(`${url}/predict`, single, CONNECTIONS, DURATION));
const byRate = [...wrkRuns].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
const mid = byRate[1]!;
console.log(
  `wrk: ${CONNECTIONS} connections, 1 thread, ${DURATION} s, 3 runs: single {"input"} median ${fmt(mid.requestsPerSecond, 0)} req/s` +
    `  p50 ${mid.p50Ms} ms  p99 ${mid.p99Ms} ms  failed ${mid.failed}` +
    `  (runs ${wrkRuns.map((r) => fmt(r.requestsPerSecond, 0)).join(', ')} req/s)  peak RSS ${fmt(peakRssMb(server.pid!))} MB`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => fmt(l, 2))
    .join(' ')}`,
);
await service.stop();
