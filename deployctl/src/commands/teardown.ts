/**
 * `teardown`: undoes `setup` in the order that frees the load balancers
 * (setup-plan.ts, getTeardownPlan; infra/README.md quotes it): the Argo CD
 * Applications first, whose finalizer deletes the service's Ingress and so
 * its ALB while the controller still runs, then the stacks, cluster first,
 * then what setup made in GitLab. `--dry-run` prints the plan; a real run
 * also needs `--yes`, since it deletes the cluster.
 */
import { Command } from 'commander';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatTeardownPlan, getTeardownPlan } from '../setup-plan.js';
import { formatStepResults, runTeardown } from '../setup-run.js';
import type { Emit } from './output.js';
import { addSetupOptions, getRunOptions, getSetupInput, type SetupCliOptions } from './setup.js';

export function teardownCommand(emit: Emit): Command {
  return addSetupOptions(
    new Command('teardown').description(
      'undo setup: Argo CD Applications (and their load balancers), the stacks, the GitLab settings (--dry-run prints the plan)',
    ),
  )
    .option('--yes', 'really delete the cluster, the stacks and the GitLab credentials')
    .action(async (opts: SetupCliOptions & { yes?: boolean }) => {
      const input = getSetupInput(opts);
      const steps = getTeardownPlan(input);
      if (opts.dryRun) {
        emit({ text: formatTeardownPlan(steps), data: steps, exitCode: EXIT_CODES.ok });
        return;
      }
      if (!opts.yes) {
        throw new DeployctlError(
          'input',
          `teardown deletes the EKS cluster, both stacks and the GitLab credentials of ${input.project}; read \`deployctl teardown --dry-run\` and rerun with --yes`,
        );
      }
      const results = await runTeardown(getRunOptions(opts, input), steps);
      emit({
        text: `${formatStepResults(results)}\n\nTeardown done.\n`,
        data: results,
        exitCode: EXIT_CODES.ok,
      });
    });
}
