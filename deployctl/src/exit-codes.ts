/**
 * One table of failure kinds and the exit codes the entry point maps them to.
 * Commands throw `DeployctlError` with a kind; only `cli.ts` turns it into an exit code,
 * so the GitLab jobs (and the README's table) can rely on stable numbers.
 */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  input: 2,
  network: 3,
  refused: 4,
  unhealthy: 5,
  timeout: 6,
  checksFailed: 7,
  conflict: 8,
  // Not a failure: a newer commit is already deployed. Distinct so CI can tell it apart.
  skipped: 10,
} as const;

export type ErrorKind = Exclude<keyof typeof EXIT_CODES, 'ok' | 'skipped'>;

export class DeployctlError extends Error {
  readonly kind: ErrorKind;
  /** Structured evidence (last seen state, per-instance reports) for `--json` output. */
  readonly evidence: unknown;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; evidence?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeployctlError';
    this.kind = kind;
    this.evidence = options.evidence;
  }
}

export function getExitCode(error: unknown): number {
  return error instanceof DeployctlError ? EXIT_CODES[error.kind] : EXIT_CODES.internal;
}
