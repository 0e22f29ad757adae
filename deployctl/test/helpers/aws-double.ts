/**
 * TEST DOUBLE for the AWS CLI (no AWS account here): an `aws` script first on
 * PATH that answers `aws ecr batch-get-image` the way the real CLI prints it
 * (images/failures JSON; RepositoryNotFoundException on stderr with exit 254),
 * from a list of images the test adds, and records every call's arguments.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$*" >>"$dir/calls.log"
[ "$1 $2" = "ecr batch-get-image" ] || { echo "aws double: unsupported: $*" >&2; exit 2; }
repo=""; id=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repository-name) repo=$2; shift ;;
    --image-ids) id=$2; shift ;;
  esac
  shift
done
if ! grep -q "^$repo " "$dir/images.txt"; then
  echo "An error occurred (RepositoryNotFoundException) when calling the BatchGetImage operation: The repository with name '$repo' does not exist" >&2
  exit 254
fi
image_id=$(printf '{"%s":"%s"}' "\${id%%=*}" "\${id#*=}")
if grep -qxF "$repo $id" "$dir/images.txt"; then
  printf '{"images":[{"registryId":"123456789012","repositoryName":"%s","imageId":%s,"imageManifest":"{}"}],"failures":[]}\\n' "$repo" "$image_id"
else
  printf '{"images":[],"failures":[{"imageId":%s,"failureCode":"ImageNotFound","failureReason":"Requested image not found"}]}\\n' "$image_id"
fi
`;

export interface AwsDouble {
  /** Prepend to PATH. */
  path: string;
  /** Creates the repository (with no images) if needed, and an image by `imageTag=` or `imageDigest=`. */
  addImage: (repository: string, imageId?: string) => void;
  calls: () => string[];
  cleanup: () => void;
}

export function createAwsDouble(): AwsDouble {
  const dir = mkdtempSync(join(tmpdir(), 'deployctl-aws-'));
  writeFileSync(join(dir, 'aws'), SCRIPT);
  chmodSync(join(dir, 'aws'), 0o755);
  writeFileSync(join(dir, 'images.txt'), '');
  writeFileSync(join(dir, 'calls.log'), '');
  return {
    path: `${dir}${delimiter}${process.env.PATH ?? ''}`,
    addImage: (repository, imageId = '') => {
      writeFileSync(join(dir, 'images.txt'), `${repository} ${imageId}\n`, { flag: 'a' });
    },
    calls: () => readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
