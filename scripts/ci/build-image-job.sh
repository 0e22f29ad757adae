#!/usr/bin/env bash
# The build-image job (build stage): assembles the image of this commit from
# the Dockerfile's final stage with scripts/image/assemble.ts (no container
# build, no Docker daemon, no privileged runner; docs/image.md, "Two builders,
# one image"), straight into an OCI archive artifact for the image-test and
# publish jobs. Nothing is pushed yet: publish waits for the checks, so an
# unchecked image never reaches ECR. The production packages' layers and the
# base come from GitLab's cache (.gitlab-ci.yml), so a code-only change only
# compiles the service and tars a few small layers.
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

# The role in this shell is for deployctl's look at the repository; the registry
# login for reading the base image when it lives there (ECR pull-through).
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

version="$(node -p 'require("./service/package.json").version')+${CI_COMMIT_SHA:0:12}"
# No --build-time: the assembler stamps the commit's own time, so the same
# commit gives the same image digest on every run (reproducible).
args=(--output "$IMAGE_ARCHIVE" --tag "$image" --commit "$CI_COMMIT_SHA" --version "$version"
  --tls-verify "$(tls_verify)")
# Overrides of the Dockerfile's pinned base (the rehearsal's stand-in).
[ -n "${BASE_IMAGE:-}" ] && args+=(--base-image "$BASE_IMAGE")
[ -n "${CI_PROJECT_URL:-}" ] && args+=(--source "$CI_PROJECT_URL")
. scripts/lib/buildah-env.sh # the image store a local base (containers-storage:) is read from
result="$(npx --no-install tsx scripts/image/assemble.ts "${args[@]}")" ||
  die "the image was not built (the assembler's message is above)"
image_id="$(sed -n 's/^IMAGE_ID=//p' <<<"$result")"
image_digest="$(sed -n 's/^IMAGE_DIGEST=//p' <<<"$result")"

# The assembler stamps the commit itself; this guards it, because a wrong
# GIT_COMMIT would make `deployctl verify` check the wrong release.
image_env="$(skopeo inspect --format '{{range .Env}}{{println .}}{{end}}' "oci-archive:$IMAGE_ARCHIVE")"
grep -qx "GIT_COMMIT=$CI_COMMIT_SHA" <<<"$image_env" ||
  die "$IMAGE_ARCHIVE does not carry GIT_COMMIT=$CI_COMMIT_SHA ($(grep '^GIT_COMMIT=' <<<"$image_env" || echo 'no GIT_COMMIT'))"
# The image id is the digest of its config: the image-test job prints the id of
# what it tests, so the two logs show it is this very archive.
echo "IMAGE_ID=$image_id" >>build.env
log "saved $image as $IMAGE_ARCHIVE (digest $image_digest, image id $image_id, $(du -h "$IMAGE_ARCHIVE" | cut -f1))"
record image-built --data "image=$image" --data "image-id=$image_id"
