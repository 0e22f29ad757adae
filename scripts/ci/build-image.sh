#!/usr/bin/env bash
# build stage: builds the image of this commit with buildah (no Docker daemon,
# no privileged runner) through the project's scripts/build-image.sh, and saves
# it as an OCI archive artifact for the publish job. Nothing is pushed yet:
# publish waits for the checks, so an unchecked image never reaches ECR.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA IMAGE_REPOSITORY IMAGE_ARCHIVE

# The registry login is for the layer cache (read and written in the registry).
bash scripts/ensure-image-tools.sh
bash scripts/ci/aws-login.sh

build_time="$(now_utc)"
version="$(node -p 'require("./service/package.json").version')+${CI_COMMIT_SHA:0:12}"
args=(--registry "$(image_registry)" --repository "$(image_repository_name)"
  --tag "$CI_COMMIT_SHA" --commit "$CI_COMMIT_SHA" --build-time "$build_time" --version "$version"
  --tls-verify "$(tls_verify)" --iidfile .image-id)
# Overrides of the Dockerfile's pinned bases (the rehearsal's stand-ins).
[ -n "${BASE_IMAGE:-}" ] && args+=(--base-image "$BASE_IMAGE")
[ -n "${BUILD_BASE_IMAGE:-}" ] && args+=(--build-base-image "$BUILD_BASE_IMAGE")
# Layer cache in the registry: unchanged layers (npm ci of an unchanged lockfile)
# are pulled instead of rebuilt. Empty IMAGE_CACHE_REPOSITORY turns it off.
# A cache repository that is missing or unreadable would fail the build
# (buildah treats a failed --cache-to as an error), so it is probed first; the
# rehearsal's registry creates repositories on first push, so there is nothing
# to probe.
if [ -n "${IMAGE_CACHE_REPOSITORY:-}" ]; then
  if is_local_rehearsal ||
    skopeo list-tags --tls-verify="$(tls_verify)" "docker://$IMAGE_CACHE_REPOSITORY" >/dev/null 2>&1; then
    args+=(--cache-from "$IMAGE_CACHE_REPOSITORY" --cache-to "$IMAGE_CACHE_REPOSITORY")
  else
    log "warning: building without the layer cache: $IMAGE_CACHE_REPOSITORY is missing or unreadable (docs/pipeline.md, \"Layer cache\")"
  fi
fi

bash scripts/build-image.sh "${args[@]}"

. scripts/lib/buildah-env.sh
# buildah 1.28 (Debian 12) leaves build-argument values out of the layer-cache
# key of ENV and LABEL steps: with --layers, the image of a new commit reuses
# the previous commit's `ENV GIT_COMMIT=$GIT_COMMIT` step and reports the old
# commit on /version (the rehearsal caught it; reproduce with two
# `buildah bud --layers --build-arg GIT_COMMIT=...` of `ARG GIT_COMMIT` +
# `ENV GIT_COMMIT=$GIT_COMMIT`). So the metadata is checked, and re-stamped
# when the cache served a stale one; with a fixed buildah this is a no-op.
image="$IMAGE_REPOSITORY:$CI_COMMIT_SHA"
image_env() { buildah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$1"; }
# Read the whole env before matching: `buildah inspect | grep -q` under pipefail fails at
# random when grep exits on its match before inspect has finished writing (SIGPIPE).
has_commit() {
  local env
  env="$(image_env "$image")"
  grep -qx "GIT_COMMIT=$CI_COMMIT_SHA" <<<"$env"
}
if ! has_commit; then
  log "the layer cache gave $image stale metadata ($(image_env "$image" | grep '^GIT_COMMIT=' || echo 'no GIT_COMMIT')); re-stamping it"
  ctr="$(buildah from --pull=false --quiet "$image")"
  buildah config --env "GIT_COMMIT=$CI_COMMIT_SHA" --env "BUILD_TIME=$build_time" \
    --label "org.opencontainers.image.revision=$CI_COMMIT_SHA" \
    --label "org.opencontainers.image.created=$build_time" \
    --label "org.opencontainers.image.version=$version" "$ctr"
  buildah commit --quiet --rm --format oci --iidfile .image-id "$ctr" "$image" >/dev/null
fi
has_commit || die "$image does not carry GIT_COMMIT=$CI_COMMIT_SHA"
rm -f "$IMAGE_ARCHIVE"
buildah push --quiet "$(cat .image-id)" "oci-archive:$IMAGE_ARCHIVE"
log "saved $IMAGE_REPOSITORY:$CI_COMMIT_SHA as $IMAGE_ARCHIVE ($(du -h "$IMAGE_ARCHIVE" | cut -f1))"
