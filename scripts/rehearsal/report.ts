// What the rehearsal prints: section titles, one `ok:` line per passed check (the
// tests in test/pipeline/rehearsal.test.ts read them), `FAILED:` for the first
// failed one, and the table of stage durations.

/** A failed check: main.ts prints it as `pipeline-local: FAILED: ...` and exits 1. */
export class RehearsalFailure extends Error {}

export function say(title: string): void {
  process.stderr.write(`\n== ${title}\n`);
}

export function ok(message: string): void {
  process.stderr.write(`pipeline-local: ok: ${message}\n`);
}

export function fail(message: string): never {
  throw new RehearsalFailure(message);
}

export interface StageTime {
  pipeline: string;
  job: string;
  seconds: number;
}

/** `PIPELINE JOB SECONDS` lines under a header, one decimal. */
export function formatStages(times: StageTime[]): string {
  const width = Math.max(15, ...times.map((t) => t.job.length));
  const rows = times.map(
    (t) => `${t.pipeline.padEnd(9)} ${t.job.padEnd(width)} ${t.seconds.toFixed(1).padStart(8)}`,
  );
  return [`${'pipeline'.padEnd(9)} ${'job'.padEnd(width)} ${'seconds'.padStart(8)}`, ...rows].join('\n');
}

interface CriticalPath {
  /** The gate's checks and the build side by side: when publish can start. */
  firstPhase: number;
  slowest: StageTime | undefined;
  /** build-image plus the image test of its archive. */
  buildBranch: number;
  withImageTest: boolean;
  /** publish, release, verify. */
  rest: number[];
  total: number;
  /** Every job one after another (this machine). */
  serial: number;
}

const SEQUENCE = ['publish-image', 'release-prod', 'verify-prod'];

/**
 * The push-to-live critical path of one pipeline on a GitLab with enough
 * runners: the gate's check jobs, doctor and the build start together, so
 * the slowest of them decides when publish starts; then publish, release and
 * verify one after the other (the timeline job comes after live). Here the
 * jobs ran one after another on one machine, so the serial sum is printed too.
 */
function computeCriticalPath(times: StageTime[]): CriticalPath {
  const afterBuild = times.filter((t) => t.job.startsWith('image-test'));
  const parallel = times.filter(
    (t) => !SEQUENCE.includes(t.job) && t.job !== 'timeline' && !afterBuild.includes(t),
  );
  const slowest = parallel.reduce<StageTime | undefined>(
    (a, t) => (a && a.seconds >= t.seconds ? a : t),
    undefined,
  );
  const build = times.find((t) => t.job === 'build-image')?.seconds ?? 0;
  const buildBranch = build + afterBuild.reduce((sum, t) => sum + t.seconds, 0);
  const firstPhase = Math.max(slowest?.seconds ?? 0, buildBranch);
  const rest = SEQUENCE.map((job) => times.find((t) => t.job === job)?.seconds ?? 0);
  const total = firstPhase + rest.reduce((a, b) => a + b, 0);
  const serial = times.filter((t) => t.job !== 'timeline').reduce((sum, t) => sum + t.seconds, 0);
  return { firstPhase, slowest, buildBranch, withImageTest: afterBuild.length > 0, rest, total, serial };
}

/** Push to live of one pipeline, in seconds, on a GitLab with enough runners. */
export function criticalPathSeconds(times: StageTime[]): number {
  return computeCriticalPath(times).total;
}

export function criticalPath(times: StageTime[]): string {
  const { firstPhase, slowest, buildBranch, withImageTest, rest, total, serial } = computeCriticalPath(times);
  return [
    `checks and build side by side: ${firstPhase.toFixed(1)}s (slowest: ${slowest?.job ?? '-'} ${slowest?.seconds.toFixed(1) ?? '-'}s; build${withImageTest ? ' + image test' : ''} ${buildBranch.toFixed(1)}s)`,
    ...SEQUENCE.map((job, i) => `${job}: ${rest[i]?.toFixed(1)}s`),
    `push to live (critical path, enough runners): ${total.toFixed(1)}s = ${(total / 60).toFixed(1)} min`,
    `push to live (this machine, one job at a time): ${serial.toFixed(1)}s = ${(serial / 60).toFixed(1)} min`,
  ].join('\n');
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface MeasuredRun {
  pipeline: string;
  change: string;
  seconds: number;
}

/** One line per measured pipeline, then the p50 of each kind of change over its runs. */
export function formatRuns(runs: MeasuredRun[]): string {
  const lines = [`${'pipeline'.padEnd(9)} ${'change'.padEnd(11)} ${'push to live (s)'.padStart(16)}`];
  for (const r of runs) {
    lines.push(`${r.pipeline.padEnd(9)} ${r.change.padEnd(11)} ${r.seconds.toFixed(1).padStart(16)}`);
  }
  for (const change of [...new Set(runs.map((r) => r.change))]) {
    const of = runs.filter((r) => r.change === change).map((r) => r.seconds);
    const p50 = median(of);
    lines.push(`p50 ${change}: ${p50.toFixed(1)}s = ${(p50 / 60).toFixed(1)} min over ${of.length} run(s)`);
  }
  return lines.join('\n');
}
