#!/usr/bin/env bash
# The build-image job (build stage): builds the image of this commit with
# buildah (no Docker daemon, no privileged runner) through the generic builder
# scripts/build-image.sh (which anyone runs by hand; this adds the job's part:
# registry login, layer cache, the GIT_COMMIT check), and saves
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
# scripts/build-image.sh stamps the commit itself (buildah 1.28's layer cache can
# otherwise reuse another commit's ENV step); this only guards that, because a
# wrong GIT_COMMIT would make `deployctl verify` check the wrong release.
image="$IMAGE_REPOSITORY:$CI_COMMIT_SHA"
# Read the whole env before matching: `buildah inspect | grep -q` under pipefail
# fails at random when grep exits on its match first (SIGPIPE).
image_env="$(buildah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$image")"
grep -qx "GIT_COMMIT=$CI_COMMIT_SHA" <<<"$image_env" ||
  die "$image does not carry GIT_COMMIT=$CI_COMMIT_SHA ($(grep '^GIT_COMMIT=' <<<"$image_env" || echo 'no GIT_COMMIT'))"
rm -f "$IMAGE_ARCHIVE"
buildah push --quiet "$(cat .image-id)" "oci-archive:$IMAGE_ARCHIVE"
log "saved $IMAGE_REPOSITORY:$CI_COMMIT_SHA as $IMAGE_ARCHIVE ($(du -h "$IMAGE_ARCHIVE" | cut -f1))"
