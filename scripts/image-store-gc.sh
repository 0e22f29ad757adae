#!/usr/bin/env bash
# Keeps the local image store (vfs: every layer is a full copy) from filling the
# disk across test runs. Working containers left by interrupted runs are always
# removed; images and the layer cache only when the store is over its budget
# (IMAGE_STORE_BUDGET_GB, default 20), after which the next build is cold. The
# stand-in bases are kept (they are also cached as archives and reload in seconds).
#
# The store is shared by every run on the machine: suites that use it hold a
# shared lock for their whole run (scripts/with-image-store.sh), and this takes
# the lock exclusively without waiting, so it never removes another run's
# working containers or layers mid-build; it just skips while one is active.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/buildah-env.sh
. scripts/lib/buildah-env.sh
command -v buildah >/dev/null 2>&1 || exit 0
mkdir -p "$IMAGE_CACHE_DIR"
exec 9>"$IMAGE_CACHE_DIR/image-store.lock"
if ! flock -n -x 9; then
  echo "image-store-gc: another run is using the image store; not collecting now" >&2
  exit 0
fi

buildah rm --all >/dev/null 2>&1 || true
graphroot=$(sed -n 's/^graphroot = "\(.*\)"/\1/p' "$CONTAINERS_STORAGE_CONF")
[ -d "$graphroot" ] || exit 0
used_gb=$(du -s --block-size=1G "$graphroot" 2>/dev/null | cut -f1)
budget=${IMAGE_STORE_BUDGET_GB:-20}
if [ "${used_gb:-0}" -gt "$budget" ]; then
  echo "image store at ${used_gb} GB (> ${budget} GB): removing built images and the layer cache" >&2
  buildah images --format '{{.Name}}:{{.Tag}} {{.ID}}' 2>/dev/null | while read -r name id; do
    case "$name" in localhost/standin-*) ;; *) buildah rmi -f "$id" >/dev/null 2>&1 || true ;; esac
  done
  buildah rmi --prune >/dev/null 2>&1 || true
  echo "image store now $(du -sh "$graphroot" | cut -f1)" >&2
fi
