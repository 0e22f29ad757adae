import { DeployctlError } from './exit-codes.js';

// The contract (docs/contracts.md) writes the full 40-char SHA as the image tag;
// a short SHA could become ambiguous later and would not match the pushed tag.
const FULL_SHA = /^[0-9a-f]{40}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isFullSha(value: string | undefined): value is string {
  return value !== undefined && FULL_SHA.test(value);
}

export function verifySha(value: string | undefined, flag: string): string {
  if (!isFullSha(value)) {
    throw new DeployctlError(
      'input',
      `${flag} \`${value ?? ''}\` is not a full 40-character lowercase commit SHA; pass the full SHA (in CI: $CI_COMMIT_SHA)`,
    );
  }
  return value;
}

export function verifyDigest(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!DIGEST.test(value)) {
    throw new DeployctlError(
      'input',
      `--digest \`${value}\` is not an image digest; pass it as sha256:<64 hex chars> (buildah push --digestfile writes it)`,
    );
  }
  return value;
}

export function verifyPositiveNumber(value: number, flag: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new DeployctlError('input', `${flag} \`${value}\` must be a positive number`);
  }
  return value;
}

/**
 * Values that reach git as arguments. A value starting with `-` would be read
 * as an option (`--upload-pack=<cmd>` on fetch, `--receive-pack=<cmd>` on push
 * run a command), so it is refused here, and git.ts also ends the options with
 * `--` / `--end-of-options` before every positional argument (issue 13, point 9).
 */
// A function, not a regexp range: the linter rightly flags control characters inside regexps.
function hasControlCharacter(value: string): boolean {
  return [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}

export function verifyRemote(value: string | undefined, flag = '--remote'): string {
  const remote = value ?? '';
  const problem =
    remote === ''
      ? 'is empty'
      : remote.startsWith('-')
        ? 'starts with `-`, so git would read it as an option (`--upload-pack=...` runs a command)'
        : hasControlCharacter(remote)
          ? 'contains a control character'
          : // git's `<transport>::<address>` runs a remote helper; `ext::` runs any command.
            /^[A-Za-z][A-Za-z0-9+.-]*::/.test(remote)
            ? 'uses the `<transport>::` remote-helper syntax, which can run commands'
            : undefined;
  if (problem) {
    throw new DeployctlError(
      'input',
      `${flag} \`${remote}\` ${problem}; pass a remote name such as origin, an https:// or ssh URL, or a path`,
    );
  }
  return remote;
}

/** Why `name` is not a branch name git accepts (git check-ref-format rules), or undefined. */
export function getBranchNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.startsWith('-')) return 'starts with `-`, so git would read it as an option';
  if (hasControlCharacter(name) || /[ ~^:?*[\\]/.test(name)) {
    return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  }
  if (/\.\.|@\{|\/\//.test(name)) return 'contains `..`, `@{` or `//`';
  if (name === '@' || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) {
    return 'is `@`, starts or ends with `/`, or ends with `.`';
  }
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) {
    return 'has a path component that starts with `.` or ends with `.lock`';
  }
  return undefined;
}

export function verifyBranchName(value: string, source: string): string {
  const problem = getBranchNameProblem(value);
  if (problem) {
    throw new DeployctlError(
      'input',
      `${source} \`${value}\` is not a branch name: it ${problem}; pass a branch such as main or develop`,
    );
  }
  return value;
}

/** Environment names end up in file names (`helm/values-<env>.yaml`) and in a `git log --grep` pattern. */
export function isEnvironmentName(value: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value);
}

// The chart's values.schema.json pattern for image.repository: host[:port]/path, lowercase, no tag.
const IMAGE_REPOSITORY = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;

export function isImageRepository(value: string): boolean {
  return IMAGE_REPOSITORY.test(value);
}

export function verifyImageRepository(value: string, source: string): string {
  if (!isImageRepository(value)) {
    throw new DeployctlError(
      'input',
      `${source} \`${value}\` is not an image repository (lowercase host[:port]/path, no tag or digest); pass e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service`,
    );
  }
  return value;
}

/** Argo CD Application names are Kubernetes resource names (DNS-1123 subdomain). */
export function verifyAppName(value: string): string {
  const valid =
    value.length <= 253 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(value);
  if (!valid) {
    throw new DeployctlError(
      'input',
      `--app \`${value}\` is not an Argo CD Application name (lowercase letters, digits, - and .); see \`argocd app list\``,
    );
  }
  return value;
}

/** ECR repository names (the API's pattern), e.g. mlops-inference-service or team/service. */
export function verifyEcrRepositoryName(value: string, source: string): string {
  if (!/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(value)) {
    throw new DeployctlError(
      'input',
      `${source} \`${value}\` is not an ECR repository name (lowercase letters, digits, . _ - and /); pass e.g. mlops-inference-service`,
    );
  }
  return value;
}
