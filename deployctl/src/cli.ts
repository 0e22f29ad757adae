/**
 * The entry point: assembles the commands (each module under commands/ exports
 * its own), prints a command's result as text or JSON, and is the only place
 * that maps thrown errors to exit codes (see EXIT_CODES in exit-codes.ts).
 */
import { Command, CommanderError } from 'commander';
import { doctorCommand } from './commands/doctor.js';
import { doraCommand } from './commands/dora.js';
import { imageStatusCommand } from './commands/image-status.js';
import type { Emit } from './commands/output.js';
import { pushCredentialCommand } from './commands/push-credential.js';
import { releaseCommand } from './commands/release.js';
import { rollbackCommand } from './commands/rollback.js';
import { setupCommand } from './commands/setup.js';
import { statusCommand } from './commands/status.js';
import { teardownCommand } from './commands/teardown.js';
import { timelineCommand } from './commands/timeline.js';
import { verifyCommand } from './commands/verify.js';
import { waitCommand } from './commands/wait.js';
import { DeployctlError, EXIT_CODES, getExitCode } from './exit-codes.js';
import { formatJson } from './format.js';

/** Each command module builds its own commander command; the order is the order of --help. */
const COMMANDS = [
  releaseCommand,
  rollbackCommand,
  waitCommand,
  verifyCommand,
  statusCommand,
  timelineCommand,
  doraCommand,
  doctorCommand,
  pushCredentialCommand,
  setupCommand,
  imageStatusCommand,
  teardownCommand,
];

export function buildProgram(emit: Emit): Command {
  const program = new Command('deployctl')
    .description(
      'Release logic the GitLab jobs run: GitOps write-back, wait, verify, rollback, status, timeline, dora, doctor',
    )
    .exitOverride()
    .showHelpAfterError();
  // addCommand (unlike .command()) does not inherit exitOverride and the help settings.
  for (const create of COMMANDS) program.addCommand(create(emit).copyInheritedSettings(program));
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  let exitCode: number = EXIT_CODES.ok;
  const program = buildProgram((output) => {
    process.stdout.write(json ? formatJson(output.data) : output.text);
    exitCode = output.exitCode;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too; only real usage errors are bad input.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.input;
    }
    const code = getExitCode(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`deployctl: ${message}\n`);
    if (!(error instanceof DeployctlError) && error instanceof Error && error.stack) {
      // An unexpected error is a bug: the stack helps a maintainer, but a CI log is read by
      // users first, so it is printed only on request.
      process.stderr.write(
        process.env.DEPLOYCTL_DEBUG
          ? `${error.stack}\n`
          : 'deployctl: this is unexpected; rerun with DEPLOYCTL_DEBUG=1 for the stack trace and report it\n',
      );
    }
    if (json) {
      const kind = error instanceof DeployctlError ? error.kind : 'internal';
      const evidence = error instanceof DeployctlError ? error.evidence : undefined;
      process.stdout.write(
        formatJson({ status: 'error', error: { kind, exitCode: code, message, evidence } }),
      );
    }
    return code;
  }
}
