#!/usr/bin/env bash
# publish stage: pushes the checked image to ECR as :<commit SHA>, the
# immutable tag that releases deploy, and :latest, kept from the original
# design for humans (nothing deploys it). Writes publish.env (a dotenv report)
# with the digest and push time for the release job.
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA IMAGE_REPOSITORY IMAGE_ARCHIVE
[ -s "$IMAGE_ARCHIVE" ] || die "$IMAGE_ARCHIVE is missing: the build-image job's artifact did not arrive"

bash scripts/ensure-image-tools.sh
bash scripts/ci/aws-login.sh
. scripts/lib/buildah-env.sh
tls="$(tls_verify)"
ref="$IMAGE_REPOSITORY:$CI_COMMIT_SHA"

image_id="$(buildah pull --quiet "oci-archive:$IMAGE_ARCHIVE")"

# Commit tags are immutable in ECR (infra/): a retried pipeline of the same
# commit keeps the image already pushed instead of failing on the tag.
digest="$(skopeo inspect --tls-verify="$tls" --format '{{.Digest}}' "docker://$ref" 2>/dev/null || true)"
if [ -n "$digest" ]; then
  log "$ref already exists ($digest): tags are immutable, keeping it"
else
  buildah push --quiet --tls-verify="$tls" --digestfile .image-digest "$image_id" "docker://$ref"
  digest="$(cat .image-digest)"
  log "pushed $ref@$digest"
fi
# :latest follows the commit tag's manifest (same digest, no second upload).
skopeo copy --quiet --src-tls-verify="$tls" --dest-tls-verify="$tls" \
  "docker://$ref" "docker://$IMAGE_REPOSITORY:latest"
log "moved $IMAGE_REPOSITORY:latest to $digest"

cat >publish.env <<ENV
IMAGE_TAG=$CI_COMMIT_SHA
IMAGE_DIGEST=$digest
IMAGE_PUSHED_AT=$(now_utc)
ENV
