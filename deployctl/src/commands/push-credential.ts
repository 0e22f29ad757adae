/**
 * `push-credential`: which credential and URL `release` and `rollback` will
 * push with (push-credential.ts decides), checked before a job does anything
 * else: scripts/ci/lib.sh `setup_git_push` calls it, so a missing deploy key
 * fails the verify job at its start, not when it needs to roll back. Offline:
 * it reads variables and files and contacts no server.
 */
import { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.js';
import { getPushPlan, type PushPlan, preparePush } from '../push-credential.js';
import { verifyRemote } from '../validate.js';
import { type Emit, printWarnings } from './output.js';

export interface PushCredentialResult {
  credential: PushPlan['credential'];
  destination: string;
  description: string;
  warnings: string[];
}

export async function checkPushCredential(
  options: { remote?: string; vars?: NodeJS.ProcessEnv } = {},
): Promise<PushCredentialResult> {
  const vars = options.vars ?? process.env;
  const plan = getPushPlan(verifyRemote(options.remote ?? 'origin'), vars);
  // Reads the key the way a push would (and refuses a .pub or an empty file), then forgets it.
  const prepared = await preparePush(plan, vars);
  await prepared.cleanup();
  return {
    credential: plan.credential,
    destination: plan.destination,
    description: plan.description,
    warnings: plan.warnings,
  };
}

export function pushCredentialCommand(emit: Emit): Command {
  return new Command('push-credential')
    .description(
      'which write-back credential and URL release/rollback push with (GITOPS_PUSH_SSH_KEY, GITOPS_PUSH_TOKEN, or the remote); fails (exit 2) when it is unusable; contacts no server',
    )
    .option('--remote <remote>', 'git remote used when no CI credential is set', 'origin')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await checkPushCredential(opts);
      printWarnings(result.warnings);
      emit({ text: `write-back: ${result.description}\n`, data: result, exitCode: EXIT_CODES.ok });
    });
}
