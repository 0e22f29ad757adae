#!/usr/bin/env bash
# release stage: GitOps write-back. `deployctl release` writes this commit's
# image (tag = commit SHA, plus the pushed digest) into helm/values-<env>.yaml
# on the environment's branch, as a `release(<env>): ... [skip ci]` commit
# that starts no pipeline; Argo CD syncs that commit. Exit 10 ("a newer commit
# is already deployed") is an expected outcome, not a failure.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA DEPLOY_ENV IMAGE_REPOSITORY DEPLOYCTL_EVENTS_FILE
setup_git_push

# The push time comes from the publish job (dotenv report publish.env).
if [ -n "${IMAGE_PUSHED_AT:-}" ]; then
  deployctl timeline --record image-pushed --at "$IMAGE_PUSHED_AT" \
    --data "image=$IMAGE_REPOSITORY:$CI_COMMIT_SHA" --data "digest=${IMAGE_DIGEST:-}" >/dev/null
fi

args=(--env "$DEPLOY_ENV" --commit "$CI_COMMIT_SHA" --image-repository "$IMAGE_REPOSITORY")
[ -n "${CI_COMMIT_BRANCH:-}" ] && args+=(--branch "$CI_COMMIT_BRANCH")
[ -n "${IMAGE_DIGEST:-}" ] && args+=(--digest "$IMAGE_DIGEST")
mkdir -p .deployctl
set +e
deployctl release "${args[@]}" --json >.deployctl/release.json
status=$?
set -e
cat .deployctl/release.json
outcome="$(node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(r.status ?? "error")' <.deployctl/release.json)"
case "$status" in
  0) log "released $CI_COMMIT_SHA to $DEPLOY_ENV ($outcome)" ;;
  10) log "skipped: a newer commit is already deployed to $DEPLOY_ENV; nothing to verify" ;;
  *) die "deployctl release failed (exit $status)" "$status" ;;
esac
echo "RELEASE_STATUS=$outcome" >release.env
