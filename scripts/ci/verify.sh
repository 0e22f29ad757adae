#!/usr/bin/env bash
# verify stage: one `deployctl verify --env` call makes every decision
# (docs/deployctl.md, "verify --env"): nothing to verify when the environment
# already runs a newer commit; otherwise wait until Argo CD has synced the
# release commit and is Healthy (if ARGOCD_SERVER is set; otherwise the
# webhook/polling syncs and verify simply waits longer), check that every
# replica serves this commit with correct golden predictions, and if not, roll
# the environment back with a new commit in Git, unless it has moved on to a
# newer release meanwhile. A failed verification fails the job either way.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA CI_COMMIT_BRANCH DEPLOY_ENV ARGOCD_APP SERVICE_URL

# The rollback's credentials, set up before the call because deployctl decides
# whether to roll back: the write-back push, and AWS for the check that the
# previous release's image is still in ECR.
setup_git_push
aws_assume_role

args=(--env "$DEPLOY_ENV" --branch "$CI_COMMIT_BRANCH" --commit "$CI_COMMIT_SHA"
  --url "$SERVICE_URL" --app "$ARGOCD_APP"
  --wait-timeout "${WAIT_TIMEOUT_SECONDS:-600}"
  --timeout "${VERIFY_TIMEOUT_SECONDS:-${WAIT_TIMEOUT_SECONDS:-600}}")
# Default: the HPA minimum or replicaCount of the environment's values.
[ -n "${VERIFY_REPLICAS:-}" ] && args+=(--replicas "$VERIFY_REPLICAS")
deployctl verify "${args[@]}" --rollback-on-failure --allow-skip
