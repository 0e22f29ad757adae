/**
 * AWS ECR, read-only: the repository's tag mutability, from the JSON that
 * `aws ecr describe-repositories` prints. The JSON comes from a file (a CI
 * artifact, or a test double fixture) or from running the AWS CLI, which uses
 * the job's OIDC role; deployctl holds no AWS credentials itself.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DeployctlError } from './errors.js';

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

function runAwsCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('aws', args, { timeout: AWS_CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new DeployctlError(
            'network',
            `\`aws ${args.join(' ')}\` failed: ${stderr.trim() || error.message}; install the AWS CLI and assume the pipeline role, or pass --ecr-json <file>`,
            { cause: error },
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
    : await runAwsCli([
        'ecr',
        'describe-repositories',
        '--repository-names',
        options.repository,
        '--output',
        'json',
        ...(options.region ? ['--region', options.region] : []),
      ]);
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
