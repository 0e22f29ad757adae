/**
 * What every command module hands the entry point: text for the CI log, data
 * for `--json`, and the exit code of an expected outcome. Thrown errors are
 * mapped to exit codes by cli.ts alone.
 */
export interface Output {
  text: string;
  data: unknown;
  exitCode: number;
}

export type Emit = (output: Output) => void;

export const toNumber = (value: string) => Number(value);
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Warnings go to stderr in text and JSON mode alike (a CI script may keep stdout in a file); JSON has them too. */
export function printWarnings(warnings: string[]) {
  for (const warning of warnings) process.stderr.write(`deployctl: warning: ${warning}\n`);
}
