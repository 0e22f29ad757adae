#!/usr/bin/env bash
# publish stage: pushes the checked image to ECR as :<commit SHA>, the
# immutable tag that releases deploy, and :latest, kept from the original
# design for humans (nothing deploys it). Writes publish.env (a dotenv report)
# with the digest and push time for the release job.
#
# Build once per commit (issue 11, item 5): `deployctl image-status` decides.
# An existing :<sha> built from this commit (its revision label) is reused:
# nothing is pushed, :latest stays where it is, and publish.env carries the
# existing digest (no IMAGE_PUSHED_AT: the timeline says `push-reused`).
# Another revision under the tag stops the job (exit 8), and so does a registry
# that cannot say whether the tag exists (exit 3); nothing is pushed either way.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA IMAGE_REPOSITORY IMAGE_ARCHIVE

record() { [ -z "${DEPLOYCTL_EVENTS_FILE:-}" ] || deployctl timeline --record "$@" >/dev/null; }
record publish-started

bash scripts/ensure-image-tools.sh
aws_assume_role
bash scripts/ci/aws-login.sh
tls="$(tls_verify)"
ref="$IMAGE_REPOSITORY:$CI_COMMIT_SHA"

# Asked again, not taken from build-image's answer: the registry may have
# changed since (another pipeline of this commit published it meanwhile).
rm -f image-status.env
status=0
deployctl image-status --image "$ref" --revision "$CI_COMMIT_SHA" --dotenv image-status.env || status=$?
[ "$status" = 0 ] || die "nothing pushed: deployctl image-status says why and what to do (exit $status)" "$status"
. ./image-status.env
if [ "$IMAGE_STATUS" = present-same-revision ]; then
  digest="$IMAGE_STATUS_DIGEST"
  log "reused: $ref ($digest) was built from this commit; pushing nothing"
  record push-reused --data "image=$ref" --data "digest=$digest"
  cat >publish.env <<ENV
IMAGE_TAG=$CI_COMMIT_SHA
IMAGE_DIGEST=$digest
ENV
  exit 0
fi

[ -s "$IMAGE_ARCHIVE" ] || die "$IMAGE_ARCHIVE is missing: the build-image job's artifact did not arrive; re-run the build-image job of this pipeline" 2
# The archive must be this commit's build: a stale or swapped artifact stops here.
built_revision="$(skopeo inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' \
  "oci-archive:$IMAGE_ARCHIVE")"
[ "$built_revision" = "$CI_COMMIT_SHA" ] ||
  die "$IMAGE_ARCHIVE was built from revision '${built_revision:-none}', not $CI_COMMIT_SHA; nothing pushed. Re-run the build-image job of this pipeline."

# skopeo copies the archive's blobs and manifest as they are (no local store, no
# recompression): the pushed digest is the one build-image computed, the same
# for every build of this commit (docs/image.md, "Two builders, one image").
skopeo copy --quiet --dest-tls-verify="$tls" --digestfile .image-digest \
  "oci-archive:$IMAGE_ARCHIVE" "docker://$ref"
digest="$(cat .image-digest)"
log "pushed $ref@$digest"
# :latest follows the commit tag's manifest (same digest, no second upload).
skopeo copy --quiet --src-tls-verify="$tls" --dest-tls-verify="$tls" \
  "docker://$ref" "docker://$IMAGE_REPOSITORY:latest"
log "moved $IMAGE_REPOSITORY:latest to $digest"

cat >publish.env <<ENV
IMAGE_TAG=$CI_COMMIT_SHA
IMAGE_DIGEST=$digest
IMAGE_PUSHED_AT=$(now_utc)
ENV
