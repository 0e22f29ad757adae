/**
 * AWS ECR, read-only: the repository's tag mutability, from the JSON that
 * `aws ecr describe-repositories` prints, whether an image exists
 * (`aws ecr batch-get-image`), and the registry password of the job's role
 * (`aws ecr get-login-password`, for reading manifests and image configs
 * through ECR's distribution API, registry.ts). The JSON comes from a file (a CI artifact, or a
 * test double fixture) or from running the AWS CLI, which uses the job's OIDC
 * role; deployctl holds no AWS credentials itself.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DeployctlError } from './exit-codes.js';

export const AWS_CLI_TIMEOUT_MS = 30_000;

export interface EcrRepository {
  repositoryName: string;
  imageTagMutability: string;
  exclusionFilters: string[];
}

interface DescribeRepositoriesOutput {
  repositories?: {
    repositoryName?: string;
    imageTagMutability?: string;
    imageTagMutabilityExclusionFilters?: { filterType?: string; filter?: string }[];
  }[];
}

class AwsCliError extends DeployctlError {
  readonly stderr: string;
  constructor(message: string, stderr: string, cause: unknown) {
    super('network', message, { cause });
    this.stderr = stderr;
  }
}

function runAwsCli(args: string[], whatToDo: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('aws', args, { timeout: AWS_CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new AwsCliError(
            `\`aws ${args.join(' ')}\` failed: ${stderr.trim() || error.message}; install the AWS CLI and assume the pipeline role, or ${whatToDo}`,
            stderr,
            error,
          ),
        );
        return;
      }
      resolve(stdout);
    });
  });
}

export async function getRepositoryDescription(options: {
  repository: string;
  region?: string | undefined;
  jsonFile?: string | undefined;
}): Promise<EcrRepository> {
  const source = options.jsonFile ?? 'aws ecr describe-repositories';
  const text = options.jsonFile
    ? await readFile(options.jsonFile, 'utf8').catch((cause: unknown) => {
        throw new DeployctlError('input', `cannot read --ecr-json ${options.jsonFile}`, { cause });
      })
    : await runAwsCli(
        [
          'ecr',
          'describe-repositories',
          '--repository-names',
          options.repository,
          '--output',
          'json',
          ...(options.region ? ['--region', options.region] : []),
        ],
        'pass --ecr-json <file>',
      );
  let parsed: DescribeRepositoriesOutput;
  try {
    parsed = JSON.parse(text) as DescribeRepositoriesOutput;
  } catch (cause) {
    throw new DeployctlError(
      'input',
      `${source} did not give JSON; expected \`aws ecr describe-repositories\` output`,
      {
        cause,
      },
    );
  }
  const found = parsed.repositories?.find((repo) => repo.repositoryName === options.repository);
  if (!found) {
    throw new DeployctlError(
      'input',
      `ECR repository \`${options.repository}\` is not in ${source}; check ECR_REPOSITORY or create it (infra/)`,
    );
  }
  return {
    repositoryName: options.repository,
    imageTagMutability: found.imageTagMutability ?? 'MUTABLE',
    exclusionFilters: (found.imageTagMutabilityExclusionFilters ?? [])
      .map((f) => f.filter ?? '')
      .filter(Boolean),
  };
}

function matchesWildcard(tag: string, filter: string): boolean {
  const pattern = filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/**
 * Immutable tags are what the pipeline wants (a commit tag never changes), but
 * they reject any tag pushed twice, such as `latest`. A commit tag pushed again
 * by a retried job is also rejected, which the pipeline treats as "already pushed".
 */
export function getMutabilityProblems(repo: EcrRepository, pushedTags: string[]): string[] {
  if (repo.imageTagMutability === 'MUTABLE') return [];
  const moving = pushedTags.filter((tag) => tag !== '<commit-sha>' && !/^[0-9a-f]{40}$/.test(tag));
  return moving.filter((tag) => !repo.exclusionFilters.some((filter) => matchesWildcard(tag, filter)));
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`: the registry host of a private ECR registry. */
export function getEcrRegistry(host: string): { accountId: string; region: string } | undefined {
  const match = /^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return match?.[1] && match[2] ? { accountId: match[1], region: match[2] } : undefined;
}

interface BatchGetImageOutput {
  images?: unknown[];
  failures?: { failureCode?: string; failureReason?: string }[];
}

/**
 * Whether ECR holds the image, by tag or digest. `batch-get-image` rather than
 * `describe-images`: the pipeline role already has ecr:BatchGetImage (it pushes
 * and reads back, infra/lib/registry-stack.ts), not ecr:DescribeImages.
 */
export async function hasEcrImage(options: {
  accountId: string;
  region: string;
  repository: string;
  reference: string;
}): Promise<boolean> {
  const imageId = options.reference.startsWith('sha256:')
    ? `imageDigest=${options.reference}`
    : `imageTag=${options.reference}`;
  let text: string;
  try {
    text = await runAwsCli(
      [
        'ecr',
        'batch-get-image',
        '--registry-id',
        options.accountId,
        '--region',
        options.region,
        '--repository-name',
        options.repository,
        '--image-ids',
        imageId,
        '--output',
        'json',
      ],
      'pass --skip-image-check if you know the image exists',
    );
  } catch (error) {
    // A repository that does not exist holds no image: an answer, not a failure to ask.
    if (error instanceof AwsCliError && /RepositoryNotFoundException/.test(error.stderr)) return false;
    throw error;
  }
  let parsed: BatchGetImageOutput;
  try {
    parsed = JSON.parse(text) as BatchGetImageOutput;
  } catch (cause) {
    throw new DeployctlError('network', '`aws ecr batch-get-image` did not print JSON; check the AWS CLI', {
      cause,
    });
  }
  if ((parsed.images ?? []).length > 0) return true;
  const failure = parsed.failures?.[0];
  if (failure?.failureCode === 'ImageNotFound' || failure?.failureCode === 'ImageTagDoesNotMatchDigest') {
    return false;
  }
  throw new DeployctlError(
    'network',
    `\`aws ecr batch-get-image\` answered neither an image nor "not found" for ${options.repository} ${options.reference}: ${failure?.failureCode ?? 'no failure code'} ${failure?.failureReason ?? ''}; retry, or pass --skip-image-check if you know the image exists`,
  );
}

/**
 * The 12-hour password of ECR's distribution API for the job's role (user `AWS`),
 * what `buildah login` gets too. Needs ecr:GetAuthorizationToken, which every
 * pipeline role has (it logs in to push).
 */
export async function getEcrPassword(region: string): Promise<string> {
  const password = (
    await runAwsCli(
      ['ecr', 'get-login-password', '--region', region],
      'assume the pipeline role first (scripts/ci/lib.sh `aws_assume_role`)',
    )
  ).trim();
  if (!password) {
    throw new DeployctlError(
      'network',
      '`aws ecr get-login-password` printed no password; check the AWS CLI and the role',
    );
  }
  return password;
}
