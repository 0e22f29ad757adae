/**
 * The entry point: parses flags, runs one command, prints its result as text or
 * JSON, and is the only place that maps outcomes to exit codes (see EXIT_CODES).
 */
import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { doctor } from './commands/doctor.js';
import { type ReleaseResult, release, rollback } from './commands/release.js';
import { getTimeline, recordEvent } from './commands/timeline.js';
import { verify } from './commands/verify.js';
import { wait } from './commands/wait.js';
import { DeployctlError, EXIT_CODES, getExitCode } from './exit-codes.js';
import {
  formatDoctor,
  formatJson,
  formatRecord,
  formatRelease,
  formatReleaseDotenv,
  formatTimelineMarkdown,
  formatVerify,
  formatWait,
} from './format.js';

interface Output {
  text: string;
  data: unknown;
  exitCode: number;
}

const toNumber = (value: string) => Number(value);
const collect = (value: string, previous: string[] = []) => [...previous, value];

function releaseExitCode(result: ReleaseResult): number {
  return result.status === 'skipped' ? EXIT_CODES.skipped : EXIT_CODES.ok;
}

/** Warnings go to stderr in text and JSON mode alike (a CI script may keep stdout in a file); JSON has them too. */
function printWarnings(result: ReleaseResult) {
  for (const warning of result.warnings) process.stderr.write(`deployctl: warning: ${warning}\n`);
}

function addWriteOptions(command: Command): Command {
  return command
    .requiredOption('--env <env>', 'environment: dev or prod (DEPLOYCTL_ENV_BRANCHES adds more)')
    .option(
      '--branch <branch>',
      "override the env's branch (default: dev → develop, prod → $CI_DEFAULT_BRANCH or main)",
    )
    .option('--remote <remote>', 'git remote to fetch from and push to', 'origin')
    .option('--pipeline <url>', 'Release-Pipeline trailer (default: $CI_PIPELINE_URL)')
    .option('--max-attempts <n>', 'push attempts when the branch moved', toNumber, 8)
    .option('--push-option <option>', 'git push option, e.g. ci.skip (repeatable)', collect)
    .option('--events-file <path>', 'append a timeline event here (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--dotenv <path>', 'write DEPLOYCTL_RELEASE_STATUS/_COMMIT for later jobs (GitLab dotenv report)')
    .option('--cwd <dir>', 'the git checkout to work in (default: current directory)')
    .option('--dry-run', 'show the commit that would be pushed; write nothing')
    .option('--json', 'print the result as JSON');
}

export function buildProgram(emit: (output: Output) => void): Command {
  const program = new Command('deployctl')
    .description(
      'Release logic the GitLab jobs run: GitOps write-back, wait, verify, rollback, timeline, doctor',
    )
    .exitOverride()
    .showHelpAfterError();

  addWriteOptions(
    program
      .command('release')
      .description(
        "write the commit's image into helm/values-<env>.yaml on the env's branch (refuses to go backwards)",
      ),
  )
    .requiredOption('--commit <sha>', 'full 40-char source commit SHA (the image tag)')
    .option(
      '--image-repository <repo>',
      'image.repository (default: $ECR_REGISTRY/$ECR_REPOSITORY, else as in the file)',
    )
    .option('--digest <sha256:...>', 'image.digest of the pushed image')
    .option(
      '--force',
      'replace an image.tag that is not a commit SHA (`latest`, a hand-set tag), which skips the out-of-order check',
    )
    .action(async (opts) => {
      const result = await release({ ...opts, pushOptions: opts.pushOption });
      printWarnings(result);
      if (opts.dotenv) await writeFile(opts.dotenv, formatReleaseDotenv(result));
      emit({ text: formatRelease(result), data: result, exitCode: releaseExitCode(result) });
    });

  addWriteOptions(
    program
      .command('rollback')
      .description(
        'move the env back to the previous release (or --to) with a new commit; auto-sync stays on',
      ),
  )
    .option('--to <sha>', 'commit to roll back to (default: the release before the current one)')
    .option(
      '--skip-image-check',
      "do not ask the registry whether the target's image exists (prints a warning)",
    )
    .action(async (opts) => {
      const result = await rollback({ ...opts, pushOptions: opts.pushOption });
      printWarnings(result);
      if (opts.dotenv) await writeFile(opts.dotenv, formatReleaseDotenv(result));
      emit({ text: formatRelease(result), data: result, exitCode: releaseExitCode(result) });
    });

  program
    .command('wait')
    .description(
      'refresh the Argo CD Application, then wait until it is Synced at the release commit and Healthy',
    )
    .requiredOption('--app <name>', 'Argo CD Application name')
    .option('--revision <sha>', 'release commit Argo CD must report')
    .option('--commit <sha>', 'or: source commit, resolved to its release commit (needs --env)')
    .option('--env <env>', 'environment, to resolve --commit')
    .option('--branch <branch>', "override the env's branch")
    .option('--remote <remote>', 'git remote to resolve --commit from', 'origin')
    .option('--server <url>', 'Argo CD server (default: $ARGOCD_SERVER); token from $ARGOCD_AUTH_TOKEN')
    .option('--timeout <s>', 'give up after this many seconds', toNumber, 600)
    .option('--interval <s>', 'seconds between polls', toNumber, 5)
    .option('--degraded-grace <s>', 'fail when Degraded at the revision lasts this long', toNumber, 30)
    .addOption(
      new Option('--refresh <kind>', 'refresh to request first')
        .choices(['normal', 'hard'])
        .default('normal'),
    )
    .option('--events-file <path>', 'append a `synced` timeline event here (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--cwd <dir>', 'git checkout (to resolve revisions)')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await wait({
        ...opts,
        timeoutS: opts.timeout,
        intervalS: opts.interval,
        degradedGraceS: opts.degradedGrace,
      });
      emit({ text: formatWait(result), data: result, exitCode: EXIT_CODES.ok });
    });

  program
    .command('verify')
    .description('poll /version until N distinct instances report the commit, then check the golden examples')
    .requiredOption('--url <url>', 'service URL (through the Kubernetes Service or ingress)')
    .requiredOption('--commit <sha>', 'full commit SHA every replica must report')
    .option('--replicas <n>', 'distinct instances that must answer', toNumber, 1)
    .option('--timeout <s>', 'give up after this many seconds', toNumber, 300)
    .option('--interval <s>', 'seconds between rounds', toNumber, 2)
    .option('--model-card <path>', 'model card with golden examples (default: <repo root>/model/model.json)')
    .option(
      '--events-file <path>',
      'append a `verified` timeline event here (default: $DEPLOYCTL_EVENTS_FILE)',
    )
    .option('--cwd <dir>', 'directory inside the repository')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await verify({ ...opts, timeoutS: opts.timeout, intervalS: opts.interval });
      emit({ text: formatVerify(result), data: result, exitCode: EXIT_CODES.ok });
    });

  program
    .command('timeline')
    .description('print the push-to-live timeline (Markdown or JSON), or --record an event for it')
    .option('--record <event>', 'append an event (e.g. image-pushed) instead of printing')
    .option('--at <time>', 'ISO time of the recorded event (default: now)')
    .option('--data <key=value>', 'extra data for the recorded event (repeatable)', collect)
    .option('--events-file <path>', 'events file (default: $DEPLOYCTL_EVENTS_FILE)')
    .option('--dry-run', 'with --record: show the event, write nothing')
    .option('--json', 'print JSON instead of Markdown')
    .action(async (opts) => {
      if (opts.record) {
        const data = opts.data
          ? Object.fromEntries(
              (opts.data as string[]).map((pair) => [pair.split('=')[0], pair.split('=').slice(1).join('=')]),
            )
          : undefined;
        const result = await recordEvent({
          event: opts.record,
          at: opts.at,
          eventsFile: opts.eventsFile,
          data,
          dryRun: opts.dryRun,
        });
        emit({ text: formatRecord(result), data: result, exitCode: EXIT_CODES.ok });
        return;
      }
      const timeline = await getTimeline({ eventsFile: opts.eventsFile });
      emit({ text: formatTimelineMarkdown(timeline), data: timeline, exitCode: EXIT_CODES.ok });
    });

  program
    .command('doctor')
    .description('pre-flight checks for the whole chain, each pass or fail with its fix')
    .requiredOption('--env <env>', 'environment to check')
    .option('--branch <branch>', "override the env's branch")
    .option('--remote <remote>', 'git remote the write-back pushes to', 'origin')
    .option('--require-var <name>', 'required CI variable (repeatable; replaces the default list)', collect)
    .option('--oidc-var <name>', "the job's id_tokens variable", 'GITLAB_OIDC_TOKEN')
    .option('--app <name>', 'Argo CD Application to inspect through the API')
    .option('--server <url>', 'Argo CD server (default: $ARGOCD_SERVER)')
    .option('--app-file <path>', 'or: an Application manifest to inspect')
    .option('--ecr-repository <name>', 'ECR repository (default: $ECR_REPOSITORY or mlops-inference-service)')
    .option('--ecr-json <path>', '`aws ecr describe-repositories` output (default: run the AWS CLI)')
    .option(
      '--pushed-tag <tag>',
      'a tag the pipeline pushes (repeatable; default: <commit-sha> and latest)',
      collect,
    )
    .option('--cwd <dir>', 'the git checkout')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const result = await doctor({ ...opts, requiredVars: opts.requireVar, pushedTags: opts.pushedTag });
      emit({
        text: formatDoctor(result),
        data: result,
        exitCode: result.ok ? EXIT_CODES.ok : EXIT_CODES.checksFailed,
      });
    });

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
