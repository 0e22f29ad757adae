#!/usr/bin/env bash
# Runs a command while holding a shared lock on the local image store, so that
# scripts/image-store-gc.sh (exclusive, non-blocking) never collects while a
# build or rehearsal of another run is using it. Usage: with-image-store.sh CMD...
set -euo pipefail
# shellcheck source=lib/buildah-env.sh
. "$(dirname "$0")/lib/buildah-env.sh"
mkdir -p "$IMAGE_CACHE_DIR"
exec flock -s "$IMAGE_CACHE_DIR/image-store.lock" "$@"
