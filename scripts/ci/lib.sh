# Sourced by the job scripts in scripts/ci/: shared helpers, kept tiny so each
# job script reads top to bottom. Every job script runs the same on GitLab, in
# the local rehearsal (scripts/rehearsal/main.ts) and by hand from the repo root.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

log() { echo "[$(basename "$0" .sh)] $*" >&2; }
die() { echo "[$(basename "$0" .sh)] error: $*" >&2; exit "${2:-1}"; }

# require VAR...: fails with the variable's name and where it is set.
require() {
  for name in "$@"; do
    [ -n "${!name:-}" ] || die "\`$name\` is not set; set it in Settings > CI/CD > Variables (see the header of .gitlab-ci.yml)" 2
  done
}

# The local rehearsal's switch. It counts only outside GitLab: GitLab always
# sets GITLAB_CI=true, so a stray LOCAL_REHEARSAL there changes nothing.
is_local_rehearsal() { [ "${LOCAL_REHEARSAL:-}" = true ] && [ "${GITLAB_CI:-}" != true ]; }

# The deployctl CLI of this checkout (workspace bin link, docs/contracts.md).
deployctl() { npx --no-install deployctl "$@"; }

now_utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# The registry half and the repository half of IMAGE_REPOSITORY
# (`<registry host>/<repository>`), as scripts/build-image.sh takes them.
image_registry() { echo "${IMAGE_REPOSITORY%%/*}"; }
image_repository_name() { echo "${IMAGE_REPOSITORY#*/}"; }

# TLS towards the registry: always on for ECR; the rehearsal's plain-HTTP
# registry on 127.0.0.1 sets REGISTRY_TLS_VERIFY=false.
tls_verify() { if [ "${GITLAB_CI:-}" = true ]; then echo true; else echo "${REGISTRY_TLS_VERIFY:-true}"; fi; }

# Gets a job ready for the write-back push of deployctl release/rollback. The
# CI job token can fetch but not push; which credential pushes, and to which
# URL, is deployctl's decision (deployctl/src/push-credential.ts): the deploy
# key GITOPS_PUSH_SSH_KEY over SSH (every GitLab tier), else the token
# GITOPS_PUSH_TOKEN over HTTPS, else, outside GitLab, origin as it is.
# deployctl hands the credential to each `git push` through that process's
# environment only (GIT_SSH_COMMAND with a private copy of the key, or a
# credential helper reading the token), so nothing is written into .git/config.
# `deployctl push-credential` checks it now, before the job does anything
# else: on GitLab, a job without a usable credential stops here with the fix.
setup_git_push() {
  git config user.name >/dev/null 2>&1 || git config user.name "${GITLAB_USER_NAME:-GitLab CI} (pipeline)"
  git config user.email >/dev/null 2>&1 || git config user.email "${GITLAB_USER_EMAIL:-ci@localhost}"
  # A push URL with a credential in it, left by an older version of this script
  # in a reused checkout, goes first.
  local pushurl
  pushurl="$(git config --get remote.origin.pushurl 2>/dev/null || true)"
  if [[ "$pushurl" == *@* ]]; then
    git config --unset-all remote.origin.pushurl
  fi
  deployctl push-credential >&2
}

# AWS credentials without any stored key: GitLab signs a short-lived OIDC token
# for this job (`id_tokens: GITLAB_OIDC_TOKEN`), STS trades it for the
# environment's role (AssumeRoleWithWebIdentity; the role trusts only its own
# branch, see infra/). Exports AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN into the
# calling shell only: they die with the job's shell and are never written.
# Does nothing in the local rehearsal (its registry needs no login).
aws_assume_role() {
  if is_local_rehearsal; then
    log "LOCAL_REHEARSAL: no AWS role (the local registry needs none)"
    return 0
  fi
  require GITLAB_OIDC_TOKEN AWS_ROLE_ARN AWS_REGION
  if ! command -v aws >/dev/null 2>&1; then
    log "installing the AWS CLI (Debian package awscli)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null
  fi
  # The call itself is unsigned: the web identity token is the credential.
  local credentials
  credentials="$(aws sts assume-role-with-web-identity \
    --region "$AWS_REGION" \
    --role-arn "$AWS_ROLE_ARN" \
    --role-session-name "gitlab-${CI_PROJECT_ID:-local}-${CI_PIPELINE_ID:-0}-${CI_JOB_ID:-0}" \
    --web-identity-token "$GITLAB_OIDC_TOKEN" \
    --duration-seconds 3600 \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' \
    --output text)" || die "STS refused $AWS_ROLE_ARN for this job; check the role's trust policy (infra/) matches this project and branch"
  read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<<"$credentials"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  [ -n "$AWS_SESSION_TOKEN" ] || die "STS returned no credentials for $AWS_ROLE_ARN; check the role's trust policy (infra/) matches this project and branch"
  log "assumed $AWS_ROLE_ARN"
}
