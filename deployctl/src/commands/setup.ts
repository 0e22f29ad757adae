/**
 * `setup --dry-run`: prints the ordered plan from an empty AWS account and a
 * GitLab project to the first push (setup-plan.ts). Only the dry run exists:
 * the executor (idempotent, against GitLab's and Argo CD's APIs and the CDK
 * CLI) is not written yet (issue 17), so without --dry-run it refuses instead
 * of doing half a setup.
 */
import { Command } from 'commander';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatSetupPlan, getSetupPlan, type Tier } from '../setup-plan.js';
import type { Emit } from './output.js';

export function setupCommand(emit: Emit): Command {
  return new Command('setup')
    .description(
      'print the ordered setup plan: stacks, GitLab settings, Argo CD tokens, first push (--dry-run)',
    )
    .requiredOption('--project <group/project>', 'the GitLab project path')
    .requiredOption('--api-allowed-cidrs <cidrs>', 'who may reach the Kubernetes API (CDK apiAllowedCidrs)')
    .requiredOption('--cluster-admin-arn <arn>', 'your IAM role or user (CDK clusterAdminArns)')
    .option('--gitlab-url <url>', 'GitLab', 'https://gitlab.com')
    .option('--aws-profile <name>', 'AWS CLI profile', 'default')
    .option('--region <region>', 'AWS region', 'eu-central-1')
    .option(
      '--argocd-domain <host>',
      "Argo CD's DNS name (with --argocd-certificate-arn: webhook, ARGOCD_SERVER)",
    )
    .option('--argocd-certificate-arn <arn>', 'ACM certificate for --argocd-domain')
    .option('--tier <tier>', 'GitLab tier: free (bot user token) or premium (project access token)', 'free')
    .option('--default-branch <branch>', "the project's default branch", 'main')
    .option('--dry-run', 'print the plan; change nothing')
    .option('--json', 'print the plan as JSON')
    .action((opts) => {
      if (!['free', 'premium'].includes(opts.tier)) {
        throw new DeployctlError('input', `--tier ${opts.tier} is not free or premium`);
      }
      if (!opts.dryRun) {
        throw new DeployctlError(
          'input',
          'only `deployctl setup --dry-run` exists yet: run its steps in order (issue 17 tracks the executor)',
        );
      }
      const steps = getSetupPlan({ ...opts, tier: opts.tier as Tier, clusterAdminArn: opts.clusterAdminArn });
      emit({ text: formatSetupPlan(steps), data: steps, exitCode: EXIT_CODES.ok });
    });
}
