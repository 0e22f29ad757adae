#!/usr/bin/env bash
# The build-image job (build stage): builds the image of this commit with
# buildah (no Docker daemon, no privileged runner) through the generic builder
# scripts/build-image.sh (which anyone runs by hand; this adds the job's part:
# registry login, layer cache, the GIT_COMMIT check), and saves
# it as an OCI archive artifact for the image-test and publish jobs. Nothing
# is pushed yet: publish waits for the checks, so an unchecked image never
# reaches ECR.
#
# Build once per commit (issue 11, item 5): `deployctl image-status` asks the
# environment's repository first. When :<commit sha> is there and its revision
# label is this commit (a re-run pipeline, a scheduled one), nothing is built:
# build.env says IMAGE_STATUS=present-same-revision and the later jobs reuse it.
# Another revision under this commit's tag stops the job (exit 8) before
# anything is built or pushed; a registry that cannot answer stops it too (exit 3).
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA IMAGE_REPOSITORY IMAGE_ARCHIVE

# Timeline events (deployctl/src/events.ts names them); by hand, without an
# events file, there is nothing to record.
record() { [ -z "${DEPLOYCTL_EVENTS_FILE:-}" ] || deployctl timeline --record "$@" >/dev/null; }
record build-started

# The registry login is for the layer cache (read and written in the registry);
# the role in this shell is for deployctl's look at the repository.
bash scripts/ensure-image-tools.sh
aws_assume_role
bash scripts/ci/aws-login.sh

image="$IMAGE_REPOSITORY:$CI_COMMIT_SHA"
rm -f "$IMAGE_ARCHIVE" build.env
status=0
deployctl image-status --image "$image" --revision "$CI_COMMIT_SHA" --dotenv build.env || status=$?
[ "$status" = 0 ] || die "stopped before building anything: deployctl image-status says why and what to do (exit $status)" "$status"
. ./build.env
if [ "$IMAGE_STATUS" = present-same-revision ]; then
  log "reused: $image ($IMAGE_STATUS_DIGEST) was built from this commit; not building it again"
  record build-reused --data "image=$image" --data "digest=$IMAGE_STATUS_DIGEST"
  exit 0
fi

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
# Read the whole env before matching: `buildah inspect | grep -q` under pipefail
# fails at random when grep exits on its match first (SIGPIPE).
image_env="$(buildah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$image")"
grep -qx "GIT_COMMIT=$CI_COMMIT_SHA" <<<"$image_env" ||
  die "$image does not carry GIT_COMMIT=$CI_COMMIT_SHA ($(grep '^GIT_COMMIT=' <<<"$image_env" || echo 'no GIT_COMMIT'))"
image_id="$(cat .image-id)"
buildah push --quiet "$image_id" "oci-archive:$IMAGE_ARCHIVE"
# The image id is the digest of its config: the image-test job prints the id of
# what it tests, so the two logs show it is this very archive.
echo "IMAGE_ID=$image_id" >>build.env
log "saved $image as $IMAGE_ARCHIVE (image id $image_id, $(du -h "$IMAGE_ARCHIVE" | cut -f1))"
record image-built --data "image=$image" --data "image-id=$image_id"
