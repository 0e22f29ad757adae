# Sourced by the job scripts in scripts/ci/: shared helpers, kept tiny so each
# job script reads top to bottom. Every job script runs the same on GitLab, in
# the local rehearsal (scripts/pipeline-local.sh) and by hand from the repo root.
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

# Lets `git push` (deployctl release/rollback) write to the GitLab project: the
# CI job token can fetch but not push, so the push URL carries the project
# access token GITOPS_PUSH_TOKEN. Without it (the rehearsal's local remote, a
# developer's checkout) origin is used as it is.
setup_git_push() {
  git config user.name >/dev/null 2>&1 || git config user.name "${GITLAB_USER_NAME:-GitLab CI} (pipeline)"
  git config user.email >/dev/null 2>&1 || git config user.email "${GITLAB_USER_EMAIL:-ci@localhost}"
  if [ -n "${GITOPS_PUSH_TOKEN:-}" ]; then
    require CI_SERVER_HOST CI_PROJECT_PATH
    git remote set-url --push origin "https://gitops:${GITOPS_PUSH_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"
  elif [ "${GITLAB_CI:-}" = true ]; then
    die "GITOPS_PUSH_TOKEN is not set: the job token cannot push the release commit; create a project access token (role Maintainer, scope write_repository) and store it as a masked, protected CI/CD variable" 2
  fi
}
