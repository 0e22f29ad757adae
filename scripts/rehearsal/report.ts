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
  const rows = times.map(
    (t) => `${t.pipeline.padEnd(9)} ${t.job.padEnd(15)} ${t.seconds.toFixed(1).padStart(8)}`,
  );
  return [`${'pipeline'.padEnd(9)} ${'job'.padEnd(15)} ${'seconds'.padStart(8)}`, ...rows].join('\n');
}

/**
 * The push-to-live critical path of one pipeline on a GitLab with enough
 * runners: the gate's check jobs, doctor and the build start together, so
 * the slowest of them decides when publish starts; then publish, release and
 * verify one after the other (the timeline job comes after live). Here the
 * jobs ran one after another on one machine, so the serial sum is printed too.
 */
export function criticalPath(times: StageTime[]): string {
  const seq = ['publish-image', 'release-prod', 'verify-prod'];
  const afterBuild = times.filter((t) => t.job.startsWith('image-test'));
  const parallel = times.filter(
    (t) => !seq.includes(t.job) && t.job !== 'timeline' && !afterBuild.includes(t),
  );
  const slowest = parallel.reduce<StageTime | undefined>(
    (a, t) => (a && a.seconds >= t.seconds ? a : t),
    undefined,
  );
  const build = times.find((t) => t.job === 'build-image')?.seconds ?? 0;
  const afterBuildS = afterBuild.reduce((sum, t) => sum + t.seconds, 0);
  const firstPhase = Math.max(slowest?.seconds ?? 0, build + afterBuildS);
  const rest = seq.map((job) => times.find((t) => t.job === job)?.seconds ?? 0);
  const total = firstPhase + rest.reduce((a, b) => a + b, 0);
  const serial = times.filter((t) => t.job !== 'timeline').reduce((sum, t) => sum + t.seconds, 0);
  return [
    `checks and build side by side: ${firstPhase.toFixed(1)}s (slowest: ${slowest?.job ?? '-'} ${slowest?.seconds.toFixed(1) ?? '-'}s; build${afterBuild.length ? ' + image test' : ''} ${(build + afterBuildS).toFixed(1)}s)`,
    ...seq.map((job, i) => `${job}: ${rest[i]?.toFixed(1)}s`),
    `push to live (critical path, enough runners): ${total.toFixed(1)}s = ${(total / 60).toFixed(1)} min`,
    `push to live (this machine, one job at a time): ${serial.toFixed(1)}s = ${(serial / 60).toFixed(1)} min`,
  ].join('\n');
}
