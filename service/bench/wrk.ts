/** Runs wrk once against a POST endpoint and parses its summary (`--latency` distribution). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  failed: number;
}

/** wrk prints latencies as 812.00us, 1.52ms or 1.01s. */
function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value);
  if (!m) throw new Error(`cannot parse wrk latency ${JSON.stringify(value)}`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export function runWrk(url: string, body: string, connections: number, durationS: number): WrkResult {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
    const out = execFileSync(
      'wrk',
      ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', script, url],
      { encoding: 'utf8' },
    );
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
    const p50 = /^\s+50%\s+(\S+)/m.exec(out);
    const p99 = /^\s+99%\s+(\S+)/m.exec(out);
    if (!rate || !p50 || !p99) throw new Error(`unexpected wrk output:\n${out}`);
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    const failed =
      (errors ? errors.slice(1).reduce((s, n) => s + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
    return { requestsPerSecond: Number(rate[1]), p50Ms: toMs(p50[1]!), p99Ms: toMs(p99[1]!), failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
