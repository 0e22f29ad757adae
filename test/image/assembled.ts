// The pipeline's image builder (scripts/image/assemble.ts) as the image suite
// runs it, and what "the same image" means when two builders made it: the
// same files (fileManifest: paths, types, modes, owners, content hashes) and
// the same runtime config (env as a set, since builders order it differently).
import { REPO_ROOT } from '../support/paths.js';
import { imageEnv, parseKeyValues, type Result, run } from './commands.js';
import type { ImageConfig } from './container.js';

export const ASSEMBLE_TIMEOUT_MS = 15 * 60_000;

/** Runs the assembler with `args`; the result, and its KEY=VALUE lines. */
export async function assemble(args: string[]): Promise<Result & { values: Map<string, string> }> {
  const result = await run('node', ['--import', 'tsx', 'scripts/image/assemble.ts', ...args], {
    cwd: REPO_ROOT,
    env: await imageEnv(),
    timeoutMs: ASSEMBLE_TIMEOUT_MS,
  });
  return { ...result, values: parseKeyValues(result.stdout) };
}

/** The parts of an image config a container runtime acts on, comparable across builders. */
export function runtimeConfig(config: ImageConfig): Record<string, unknown> {
  return {
    User: config.User ?? '',
    Env: [...(config.Env ?? [])].sort(),
    Entrypoint: config.Entrypoint ?? [],
    Cmd: config.Cmd ?? [],
    WorkingDir: config.WorkingDir ?? '',
    ExposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    StopSignal: config.StopSignal ?? '',
    Labels: config.Labels ?? {},
  };
}

/** Paths whose entry differs between two file manifests, with both sides. */
export function manifestDifferences(a: Map<string, string>, b: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const [file, entry] of a) {
    if (b.get(file) !== entry) differences.push(`${file}: ${entry} ≠ ${b.get(file) ?? 'absent'}`);
  }
  for (const [file, entry] of b) if (!a.has(file)) differences.push(`${file}: absent ≠ ${entry}`);
  return differences;
}
