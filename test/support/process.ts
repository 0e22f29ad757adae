// Ending child processes the tests started: by their own ChildProcess handle (its pid),
// never by name, so nothing else on a shared machine is touched.
import type { ChildProcess } from 'node:child_process';

/** Resolves with the exit code (or signal name) once a child process has ended. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Like `exited`, but gives up after `ms` and resolves with 'timeout'. */
export async function exitedWithin(child: ChildProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([exited(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a child process we started: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if ((await exitedWithin(child, graceMs)) === 'timeout') {
    child.kill('SIGKILL');
    await exited(child);
  }
}
