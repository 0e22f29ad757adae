import { DeployctlError } from './errors.js';

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
