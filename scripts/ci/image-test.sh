#!/usr/bin/env bash
# The image-test job (between build and publish): the image suite of `npm test`
# against the image that ships, not a second build (issue 11, item 3). On a
# deploying branch the job's rules set IMAGE_UNDER_TEST=oci-archive:$IMAGE_ARCHIVE,
# the build-image job's artifact, and test/image/image.test.ts tests that
# archive; elsewhere (merge requests, other branches: no build-image job) it is
# unset and the suite builds the image itself, as `npm test` does.
. "$(dirname "$0")/lib.sh"

# build-image reused this commit's image from the registry (build.env): it was
# tested by the image-test job of the pipeline that published it (publish
# waits for this job), and there is no archive to test.
if [ "${IMAGE_STATUS:-}" = present-same-revision ]; then
  log "reused: ${IMAGE_REPOSITORY:-the image}:${CI_COMMIT_SHA:-} (${IMAGE_STATUS_DIGEST:-}) was tested by the pipeline that published it; nothing to test"
  exit 0
fi
case "${IMAGE_UNDER_TEST:-}" in
  '') log "IMAGE_UNDER_TEST is not set: the image suite builds its own image" ;;
  oci-archive:*) log "testing $IMAGE_UNDER_TEST, the build-image job's artifact" ;;
  *) die "IMAGE_UNDER_TEST=$IMAGE_UNDER_TEST is not oci-archive:<path>; see docs/contracts.md" 2 ;;
esac
exec bash scripts/ci/run-suite.sh image
