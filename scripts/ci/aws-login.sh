#!/usr/bin/env bash
# Logs buildah/skopeo in to ECR without any stored AWS key: GitLab signs a
# short-lived OIDC token for this job (`id_tokens: GITLAB_OIDC_TOKEN`), STS trades it
# for the role's temporary credentials (AssumeRoleWithWebIdentity; the role
# trusts only this project's protected branches, see infra/), and those fetch a
# 12-hour registry password. The credentials die with the job's shell.
. "$(dirname "$0")/lib.sh"

if is_local_rehearsal; then
  log "LOCAL_REHEARSAL: skipping OIDC and ECR login (the local registry needs none)"
  exit 0
fi
require GITLAB_OIDC_TOKEN AWS_ROLE_ARN AWS_REGION ECR_REGISTRY

if ! command -v aws >/dev/null 2>&1; then
  log "installing the AWS CLI (Debian package awscli)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null
fi

# The call itself is unsigned: the web identity token is the credential.
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN < <(
  aws sts assume-role-with-web-identity \
    --region "$AWS_REGION" \
    --role-arn "$AWS_ROLE_ARN" \
    --role-session-name "gitlab-${CI_PROJECT_ID:-local}-${CI_PIPELINE_ID:-0}-${CI_JOB_ID:-0}" \
    --web-identity-token "$GITLAB_OIDC_TOKEN" \
    --duration-seconds 3600 \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
    --output text
)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
[ -n "$AWS_SESSION_TOKEN" ] || die "STS returned no credentials for $AWS_ROLE_ARN; check the role's trust policy (infra/) matches this project and branch"

. "$repo_root/scripts/lib/buildah-env.sh"
aws ecr get-login-password --region "$AWS_REGION" |
  buildah login --username AWS --password-stdin "$ECR_REGISTRY" >/dev/null
log "logged in to $ECR_REGISTRY as $AWS_ROLE_ARN"
