// Loopback ports and HTTP readiness, for anything a test starts and then waits for.
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WaitOptions {
  /** Between attempts; default 250 ms. A bench timing a cold start polls faster. */
  intervalMs?: number;
  /** Checked before each attempt: an error ends the wait at once (e.g. the server process died). */
  giveUpIf?: () => Error | undefined;
}

/** Polls `url` until it answers with `status`; rejects after `timeoutMs` with the last answer. */
export async function waitForStatus(
  url: string,
  status: number,
  timeoutMs: number,
  { intervalMs = 250, giveUpIf }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const reason = giveUpIf?.();
    if (reason) throw reason;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.status === status) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms; last: ${last}`);
}
