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
