#!/usr/bin/env bash
# Logs buildah/skopeo in to ECR without any stored AWS key: the environment's
# role through the job's OIDC token (lib.sh `aws_assume_role`), then a 12-hour
# registry password. The credentials die with the job's shell.
. "$(dirname "$0")/lib.sh"

if is_local_rehearsal; then
  log "LOCAL_REHEARSAL: skipping OIDC and ECR login (the local registry needs none)"
  exit 0
fi
require ECR_REGISTRY
aws_assume_role
. "$repo_root/scripts/lib/buildah-env.sh"
aws ecr get-login-password --region "$AWS_REGION" |
  buildah login --username AWS --password-stdin "$ECR_REGISTRY" >/dev/null
log "logged in to $ECR_REGISTRY as $AWS_ROLE_ARN"
