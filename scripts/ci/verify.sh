#!/usr/bin/env bash
# verify stage: the release is done only when Argo CD has synced the release
# commit and is Healthy (`deployctl wait`, if ARGOCD_SERVER is set; otherwise
# the webhook/polling syncs and verify simply waits longer), and every replica
# serves this commit with correct golden predictions (`deployctl verify`).
# Otherwise: `deployctl rollback` (a new commit in Git; auto-sync stays on) and
# the job fails.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA DEPLOY_ENV ARGOCD_APP SERVICE_URL

if [ "${RELEASE_STATUS:-}" = skipped ]; then
  log "the release was skipped (a newer commit is deployed to $DEPLOY_ENV); nothing to verify"
  exit 0
fi

branch="${CI_COMMIT_BRANCH:?CI_COMMIT_BRANCH is not set}"
# Is this commit still the one the environment should run? A newer pipeline
# may have released after ours (resource groups serialise jobs, not
# release+verify pairs); then it verifies, and we must not roll it back.
still_ours() {
  git fetch --quiet origin "$branch"
  local deployed
  deployed="$(npx --no-install tsx scripts/ci/values.ts --env "$DEPLOY_ENV" --ref FETCH_HEAD image.tag)"
  [ "$deployed" = "$CI_COMMIT_SHA" ]
}

replicas="${VERIFY_REPLICAS:-$(npx --no-install tsx scripts/ci/values.ts --env "$DEPLOY_ENV" --expected-replicas)}"

failed=""
if [ -n "${ARGOCD_SERVER:-}" ]; then
  deployctl wait --app "$ARGOCD_APP" --env "$DEPLOY_ENV" --branch "$branch" --commit "$CI_COMMIT_SHA" \
    --timeout "${WAIT_TIMEOUT_SECONDS:-600}" || failed="Argo CD did not sync $ARGOCD_APP"
else
  log "ARGOCD_SERVER is not set: not asking Argo CD; verify waits for the webhook/poll-driven sync"
fi
if [ -z "$failed" ]; then
  deployctl verify --url "$SERVICE_URL" --commit "$CI_COMMIT_SHA" --replicas "$replicas" \
    --timeout "${VERIFY_TIMEOUT_SECONDS:-${WAIT_TIMEOUT_SECONDS:-600}}" ||
    failed="$SERVICE_URL does not serve $CI_COMMIT_SHA correctly on $replicas replica(s)"
fi
[ -z "$failed" ] && exit 0

log "verify failed: $failed"
if ! still_ours; then
  log "$DEPLOY_ENV has moved on to a newer release; not rolling back (the newer pipeline verifies it)"
  exit 1
fi
setup_git_push
# deployctl checks that the previous release's image is still in ECR.
aws_assume_role
log "rolling $DEPLOY_ENV back to the previous release"
deployctl rollback --env "$DEPLOY_ENV" --branch "$branch" || log "rollback failed too: run the manual rollback-$DEPLOY_ENV job"
exit 1
