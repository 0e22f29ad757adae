#!/usr/bin/env bash
# Manual rollback job: moves the environment back to the release before the
# current one, or to ROLLBACK_TO, with a new `release(<env>): roll back ...`
# commit. Git stays the truth and Argo CD's auto-sync stays on, so the cluster
# follows within seconds (webhook) and selfHeal cannot undo it.
. "$(dirname "$0")/lib.sh"
require DEPLOY_ENV
setup_git_push
# deployctl checks that the target's image is still in ECR before moving to it.
aws_assume_role
args=(--env "$DEPLOY_ENV")
[ -n "${CI_COMMIT_BRANCH:-}" ] && args+=(--branch "$CI_COMMIT_BRANCH")
[ -n "${ROLLBACK_TO:-}" ] && args+=(--to "$ROLLBACK_TO")
deployctl rollback "${args[@]}"
