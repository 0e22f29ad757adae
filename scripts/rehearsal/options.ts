/** The rehearsal's command line: `npm run pipeline:local -- [--with-checks] [--cold]`. */
import { parseArgs } from 'node:util';

export interface RehearsalOptions {
  /** Run the release gate's check jobs too (default: SKIP_CHECKS, `npm test` runs them). */
  withChecks: boolean;
  /** Every job as on a fresh runner: isolated build directory, empty HOME, only cache and artifacts. */
  cold: boolean;
}

export const USAGE = 'usage: npm run pipeline:local -- [--with-checks] [--cold]';

/** Throws a one-line error with the usage for anything else. */
export function parseRehearsalArgs(argv: string[]): RehearsalOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'with-checks': { type: 'boolean', default: false },
        cold: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { withChecks: values['with-checks'] === true, cold: values.cold === true };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
}
