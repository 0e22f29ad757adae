/** The rehearsal's command line: `npm run pipeline:local -- [--with-checks] [--cold] [--change KIND ...]`. */
import { parseArgs } from 'node:util';
import { CHANGE_KINDS, type Change } from './changes.js';

export interface RehearsalOptions {
  /** Run the release gate's check jobs too (default: SKIP_CHECKS, `npm test` runs them). */
  withChecks: boolean;
  /** Every job as on a fresh runner: isolated build directory, empty HOME, only cache and artifacts. */
  cold: boolean;
  /**
   * The pushes after the project's first pipeline, one pipeline each, in order
   * (scripts/rehearsal/changes.ts). Default: one code-only change. Repeat a kind
   * for several runs of it (`--change code --change code --change code`: a p50 of 3).
   */
  changes: Change[];
}

export const USAGE = `usage: npm run pipeline:local -- [--with-checks] [--cold] [--change ${CHANGE_KINDS.join('|')} ...]`;

/** Throws a one-line error with the usage for anything else. */
export function parseRehearsalArgs(argv: string[]): RehearsalOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'with-checks': { type: 'boolean', default: false },
        cold: { type: 'boolean', default: false },
        change: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    });
    const changes = values.change ?? ['code'];
    for (const change of changes) {
      if (!(CHANGE_KINDS as readonly string[]).includes(change)) {
        throw new Error(`--change ${change}: not one of ${CHANGE_KINDS.join(', ')}`);
      }
    }
    return {
      withChecks: values['with-checks'] === true,
      cold: values.cold === true,
      changes: changes as Change[],
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
}
