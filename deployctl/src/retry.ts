/** Bounded exponential backoff with full jitter, so concurrent releases spread out. */
export const RELEASE_BACKOFF = { baseMs: 200, maxMs: 5_000 } as const;

export function getBackoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RELEASE_BACKOFF.maxMs, RELEASE_BACKOFF.baseMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
