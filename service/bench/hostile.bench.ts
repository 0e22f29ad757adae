/**
 * `npm run bench:hostile -w service`: the real server process (`node --import tsx src/server.ts`,
 * the same code the tests run) fed deeply nested ~1 MB JSON bodies (security review, issue 13,
 * point 7). Prints, per hostile body, the answer time (median and max over BENCH_HOSTILE_RUNS
 * sequential requests); then, while BENCH_HOSTILE_CLIENTS clients send the first body back to
 * back for BENCH_HOSTILE_SECONDS, /livez latency p50/p99/max and RSS before/peak/after.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startService } from '../../test/support/service-process.js';
import { attack, hostileBodies, percentile, post, rssMb } from './hostile.js';

const RUNS = Number(process.env.BENCH_HOSTILE_RUNS ?? 15);
const CLIENTS = Number(process.env.BENCH_HOSTILE_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_HOSTILE_SECONDS ?? 5);
const card = JSON.parse(readFileSync(new URL('../../model/model.json', import.meta.url), 'utf8')) as {
  name: string;
};

const fmt = (n: number, d = 1) => n.toFixed(d);

const service = await startService({
  env: { LOG_LEVEL: 'warn' },
  waitFor: '/readyz',
  pollMs: 20,
  stdout: 'ignore',
  stderr: 'inherit',
});
const { url: base, proc: server } = service;
try {
  const rssStartMb = rssMb(server.pid!);
  console.log(
    `load average: ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')} (the machine is shared: figures are only as quiet as the neighbours)`,
  );
  const bodies = hostileBodies(1_000_000, card.name);
  for (const { name, url, body } of bodies) {
    const times: number[] = [];
    const statuses = new Set<number>();
    for (let i = 0; i < RUNS; i++) {
      const answer = await post(base, url, body);
      times.push(answer.ms);
      statuses.add(answer.status);
    }
    console.log(
      `${name.padEnd(48)} ${(body.length / 1e6).toFixed(2)} MB → HTTP ${[...statuses].join('/')}` +
        `  median ${fmt(percentile(times, 50))} ms  max ${fmt(Math.max(...times))} ms  (${RUNS} runs)`,
    );
  }
  const first = bodies[0]!;
  const r = await attack({
    base,
    pid: server.pid!,
    url: first.url,
    body: first.body,
    clients: CLIENTS,
    durationMs: SECONDS * 1000,
  });
  console.log(
    `attack: ${CLIENTS} clients × ${first.name}, ${SECONDS} s: ${r.answered} answered ` +
      `(${Object.entries(r.statuses)
        .map(([s, n]) => `${n}× ${s}`)
        .join(', ')})`,
  );
  console.log(
    `  /livez during the attack (${r.livezMs.length} probes): p50 ${fmt(percentile(r.livezMs, 50))} ms` +
      `  p99 ${fmt(percentile(r.livezMs, 99))} ms  max ${fmt(Math.max(...r.livezMs))} ms`,
  );
  console.log(
    `  RSS at start ${fmt(rssStartMb, 0)} MB  before the attack ${fmt(r.rssBeforeMb, 0)} MB  peak ${fmt(r.rssPeakMb, 0)} MB  after (2 s) ${fmt(r.rssAfterMb, 0)} MB`,
  );
} finally {
  await service.stop();
}
