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
# The archive must be this commit's build: a stale or swapped artifact stops here.
built_revision="$(buildah inspect --type image \
  --format '{{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}' "$image_id")"
[ "$built_revision" = "$CI_COMMIT_SHA" ] ||
  die "$IMAGE_ARCHIVE was built from revision '${built_revision:-none}', not $CI_COMMIT_SHA; nothing pushed. Re-run the build-image job of this pipeline."

# Commit tags are immutable (infra/). An existing :<sha> is kept only when it
# was built from this very commit (its revision label says so): a retried
# pipeline, or a second pipeline of the same commit, then publishes nothing
# new. Anything else under this tag was not built by this commit's pipeline;
# keeping "whatever is there" would deploy it, so it is a hard failure.
existing="$(skopeo inspect --tls-verify="$tls" \
  --format '{{.Digest}} {{index .Labels "org.opencontainers.image.revision"}}' "docker://$ref" 2>&1)" &&
  found=true || found=false
if [ "$found" = true ]; then
  read -r digest existing_revision <<<"$existing"
  if [ "${existing_revision:-}" != "$CI_COMMIT_SHA" ]; then
    die "$ref already exists ($digest) with revision '${existing_revision:-none}', not $CI_COMMIT_SHA: refusing to publish or deploy it; nothing pushed. Find out who pushed it (CloudTrail: ecr PutImage), delete the tag, and re-run this job." 3
  fi
  log "$ref already exists ($digest), built from this commit: keeping it"
elif grep -qiE 'manifest unknown|not found|name unknown|NAME_UNKNOWN|MANIFEST_UNKNOWN' <<<"$existing"; then
  buildah push --quiet --tls-verify="$tls" --digestfile .image-digest "$image_id" "docker://$ref"
  digest="$(cat .image-digest)"
  log "pushed $ref@$digest"
else
  # Neither "exists" nor "missing" (registry down, login expired, no
  # permission): pushing blind could hide a tag collision.
  die "cannot tell whether $ref exists; the registry answered: $existing" 4
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
