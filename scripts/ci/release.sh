#!/usr/bin/env bash
# release stage: GitOps write-back. `deployctl release` writes this commit's
# image (tag = commit SHA, plus the pushed digest) into helm/values-<env>.yaml
# on the environment's branch, as a `release(<env>): ...` commit pushed with
# `-o ci.skip`, so it starts no pipeline; Argo CD syncs that commit. deployctl decides
# everything; "a newer commit is already deployed" is an expected outcome
# (--allow-skip: the job passes), and release.env, a dotenv report, tells later
# jobs DEPLOYCTL_RELEASE_STATUS (released, unchanged, skipped) and the commits.
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
deployctl release "${args[@]}" --allow-skip --dotenv release.env
