/**
 * The cost of hostile JSON to a running server (security review, issue 13, point 7): how long
 * one deeply nested ~1 MB body takes to be answered, how /livez fares while 16 clients keep
 * sending such bodies, and the server's RSS before, at the peak and after. Shared by
 * `npm run bench:hostile` (prints the figures) and test/hostile.test.ts (asserts bounds).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

/** The hostile bodies: ~`bytes` long, nested as deep as that allows. */
export function hostileBodies(
  bytes: number,
  modelName: string,
): { name: string; url: string; body: string }[] {
  const depth = Math.floor((bytes - 64) / 2);
  const nest = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
  const infer = `/v2/models/${modelName}/infer`;
  return [
    { name: 'POST /predict {"input": [[[...]]]}', url: '/predict', body: `{"input":${nest(depth)}}` },
    { name: 'POST /predict [[[...]]]', url: '/predict', body: nest(depth) },
    {
      name: 'POST .../infer "parameters": {"p": [[[...]]]}',
      url: infer,
      body: `{"parameters":{"p":${nest(depth - 40)}},"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["hi"]}]}`,
    },
  ];
}

export interface Answer {
  status: number;
  ms: number;
}

/** POSTs one JSON body and times it until the whole answer has arrived. */
export function post(base: string, url: string, body: string, agent?: http.Agent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${url}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function get(url: string, agent: http.Agent): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', reject);
      })
      .on('error', reject);
  });
  return performance.now() - started;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

export interface AttackResult {
  /** Hostile requests answered during the attack, and their statuses. */
  answered: number;
  statuses: Record<number, number>;
  livezMs: number[];
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
}

/**
 * `clients` keep-alive clients send `body` to `url` back to back for `durationMs`, while
 * /livez is probed every `probeEveryMs` and RSS sampled every 50 ms; RSS "after" is read
 * `settleMs` after the attack stopped.
 */
export async function attack(options: {
  base: string;
  pid: number;
  url: string;
  body: string;
  clients: number;
  durationMs: number;
  probeEveryMs?: number;
  settleMs?: number;
}): Promise<AttackResult> {
  const { base, pid, url, body, clients, durationMs } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rssBeforeMb = rssMb(pid);
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
  }, 50);
  const statuses: Record<number, number> = {};
  let answered = 0;
  const until = performance.now() + durationMs;
  const client = async () => {
    while (performance.now() < until) {
      const { status } = await post(base, url, body, agent);
      statuses[status] = (statuses[status] ?? 0) + 1;
      answered++;
    }
  };
  const livezMs: number[] = [];
  const probe = async () => {
    // Let the attack get going first.
    await new Promise((r) => setTimeout(r, 100));
    while (performance.now() < until) {
      livezMs.push(await get(`${base}/livez`, probeAgent));
      await new Promise((r) => setTimeout(r, options.probeEveryMs ?? 20));
    }
  };
  try {
    await Promise.all([...Array.from({ length: clients }, client), probe()]);
  } finally {
    clearInterval(sampler);
    agent.destroy();
    probeAgent.destroy();
  }
  rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
  await new Promise((r) => setTimeout(r, options.settleMs ?? 2000));
  return { answered, statuses, livezMs, rssBeforeMb, rssPeakMb, rssAfterMb: rssMb(pid) };
}
