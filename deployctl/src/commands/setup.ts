/**
 * `setup`: from an empty AWS account and a GitLab project to the first push
 * (issue 17). `--dry-run` prints the ordered plan (setup-plan.ts); without it
 * the same steps run, idempotently (setup-run.ts): the CDK deploys, GitLab's
 * environments, write-back credential, protected branches, CI/CD variables
 * and webhook, Argo CD's repository credential and the pipelines' tokens.
 * The GitLab token comes from GITLAB_TOKEN only, never a flag, so it stays
 * out of shell history and process lists.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { Command } from 'commander';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { GitLabClient } from '../gitlab-api.js';
import { ArgoCdSetupClient } from '../setup-argocd.js';
import {
  ENVIRONMENTS,
  formatSetupPlan,
  getArgoCdUrl,
  getSetupPlan,
  type SetupInput,
  TIERS,
  type Tier,
} from '../setup-plan.js';
import {
  createShellRunner,
  formatSetupRun,
  isProjectPath,
  runSetup,
  type SetupRunOptions,
} from '../setup-run.js';
import { getBranchNameProblem } from '../validate.js';
import { collect, type Emit } from './output.js';

/** The flags setup and teardown share: who, where, and the CDK settings `cdk destroy` synthesises with too. */
export function addSetupOptions(command: Command): Command {
  return command
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
    .option(
      '--tier <tier>',
      'GitLab tier: free (write-back over SSH with a deploy key; any tier) or premium (a project access token; GitLab.com Premium/Ultimate)',
      'free',
    )
    .option('--default-branch <branch>', "the project's default branch", 'main')
    .option(
      '--argocd-url <url>',
      "Argo CD's API (default: https://<--argocd-domain>, else https://localhost:8080 through kubectl port-forward)",
    )
    .option(
      '--state-dir <dir>',
      "where the stacks' outputs are kept (cdk --outputs-file)",
      '.deployctl/setup',
    )
    .option('--cwd <dir>', 'the checkout (its infra/ and argocd/)')
    .option('--dry-run', 'print the plan; change nothing')
    .option('--json', 'print the plan or the result as JSON');
}

export interface SetupCliOptions {
  project: string;
  apiAllowedCidrs: string;
  clusterAdminArn: string;
  gitlabUrl: string;
  awsProfile: string;
  region: string;
  argocdDomain?: string;
  argocdCertificateArn?: string;
  tier: string;
  defaultBranch: string;
  serviceUrl?: string[];
  argocdUrl?: string;
  gitRepoUrl?: string;
  stateDir: string;
  cwd?: string;
  dryRun?: boolean;
}

/** Checks the flags (exit 2 with what to pass) and builds the plan's input. */
export function getSetupInput(opts: SetupCliOptions): SetupInput {
  if (!TIERS.includes(opts.tier as Tier)) {
    throw new DeployctlError(
      'input',
      `--tier ${opts.tier} is not free or premium (free works on every GitLab tier)`,
    );
  }
  if (!isProjectPath(opts.project)) {
    throw new DeployctlError(
      'input',
      `--project \`${opts.project}\` is not a GitLab project path; pass it like my-group/mlops-inference-chain (the part of the project URL after the host)`,
    );
  }
  let gitlabUrl: URL;
  try {
    gitlabUrl = new URL(opts.gitlabUrl);
  } catch {
    throw new DeployctlError(
      'input',
      `--gitlab-url \`${opts.gitlabUrl}\` is not a URL; pass it like https://gitlab.com`,
    );
  }
  // http only on loopback: a GitLab on this machine (the tests' GitLab double); anything
  // that crosses a network carries the token, so it must be https.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(gitlabUrl.hostname);
  if (gitlabUrl.protocol !== 'https:' && !(gitlabUrl.protocol === 'http:' && loopback)) {
    throw new DeployctlError(
      'input',
      `--gitlab-url \`${opts.gitlabUrl}\` is not https; Argo CD reads the repository over https`,
    );
  }
  const branchProblem = getBranchNameProblem(opts.defaultBranch);
  if (branchProblem)
    throw new DeployctlError('input', `--default-branch \`${opts.defaultBranch}\`: ${branchProblem}`);
  if (Boolean(opts.argocdDomain) !== Boolean(opts.argocdCertificateArn)) {
    throw new DeployctlError(
      'input',
      '--argocd-domain and --argocd-certificate-arn go together; pass both or neither',
    );
  }
  if (opts.gitRepoUrl !== undefined && !/^https:\/\/[^\s/]+\/\S+\.git$/.test(opts.gitRepoUrl)) {
    throw new DeployctlError(
      'input',
      `--git-repo-url \`${opts.gitRepoUrl}\` is not https://<host>/<path>.git`,
    );
  }
  const serviceUrls: Record<string, string> = {};
  for (const entry of opts.serviceUrl ?? []) {
    const [env = '', url = ''] = [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)];
    if (!ENVIRONMENTS.some((candidate) => candidate.env === env) || !/^https?:\/\/\S+$/.test(url)) {
      throw new DeployctlError('input', `--service-url \`${entry}\` is not <prod|dev>=<http(s) URL>`);
    }
    serviceUrls[env] = url;
  }
  return {
    project: opts.project,
    gitlabUrl: gitlabUrl.origin,
    awsProfile: opts.awsProfile,
    region: opts.region,
    apiAllowedCidrs: opts.apiAllowedCidrs,
    clusterAdminArn: opts.clusterAdminArn,
    argocdDomain: opts.argocdDomain,
    argocdCertificateArn: opts.argocdCertificateArn,
    tier: opts.tier as Tier,
    defaultBranch: opts.defaultBranch,
    gitRepoUrl: opts.gitRepoUrl,
    serviceUrls,
  };
}

/** What a real run needs beyond the flags: the GitLab token (env only), the clients and the runner. */
export function getRunOptions(opts: SetupCliOptions, input: SetupInput): SetupRunOptions {
  const token = process.env.GITLAB_TOKEN;
  if (!token) {
    throw new DeployctlError(
      'input',
      'GITLAB_TOKEN is not set; export a GitLab token with the api scope of a Maintainer of the project (an environment variable, never a flag, so it stays out of shell history): read -rs GITLAB_TOKEN && export GITLAB_TOKEN',
    );
  }
  const cwd = resolve(opts.cwd ?? process.cwd());
  const log = (line: string) => process.stderr.write(`deployctl: ${line}\n`);
  return {
    input,
    cwd,
    stateDir: isAbsolute(opts.stateDir) ? opts.stateDir : join(cwd, opts.stateDir),
    gitlab: new GitLabClient({ url: input.gitlabUrl, token, project: input.project }),
    argocd: new ArgoCdSetupClient(opts.argocdUrl ?? getArgoCdUrl(input)),
    runner: createShellRunner(log),
    argocdAdminPassword: process.env.ARGOCD_ADMIN_PASSWORD,
    log,
  };
}

export function setupCommand(emit: Emit): Command {
  return addSetupOptions(
    new Command('setup').description(
      'set up AWS, GitLab and Argo CD for the first push, idempotently (--dry-run prints the plan)',
    ),
  )
    .option(
      '--service-url <env=url>',
      'SERVICE_URL_<ENV>: verify through this public URL instead of the cluster API (repeatable)',
      collect,
    )
    .action(async (opts: SetupCliOptions) => {
      const input = getSetupInput(opts);
      const steps = getSetupPlan(input);
      if (opts.dryRun) {
        emit({ text: formatSetupPlan(steps), data: steps, exitCode: EXIT_CODES.ok });
        return;
      }
      const result = await runSetup(getRunOptions(opts, input), steps);
      emit({ text: formatSetupRun(result), data: result, exitCode: EXIT_CODES.ok });
    });
}
