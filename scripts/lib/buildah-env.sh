# Sourced by the image scripts: one storage and isolation setting for every
# buildah/skopeo call, so the stand-in base, the build, the push and the tests
# all see the same local image store.
# - vfs storage needs no kernel overlay or /dev/fuse (works in unprivileged CI
#   containers, as GitLab documents for buildah); chroot isolation needs no OCI
#   runtime. Override with STORAGE_DRIVER=overlay where overlay works.
# - buildah 1.28 (Debian bookworm) ignores STORAGE_DRIVER, so the driver is put
#   into a storage.conf that CONTAINERS_STORAGE_CONF points every tool at.
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
# Cache for things built once per machine (the stand-in base archives).
export IMAGE_CACHE_DIR="${IMAGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain}"

if [ -z "${CONTAINERS_STORAGE_CONF:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    _graphroot=/var/lib/containers/storage
    _runroot=/run/containers/storage
  else
    _graphroot="${XDG_DATA_HOME:-$HOME/.local/share}/containers/storage"
    _runroot="${XDG_RUNTIME_DIR:-/tmp/containers-user-$(id -u)}/containers"
  fi
  mkdir -p "$IMAGE_CACHE_DIR"
  export CONTAINERS_STORAGE_CONF="$IMAGE_CACHE_DIR/storage-$STORAGE_DRIVER-$(id -u).conf"
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$STORAGE_DRIVER" "$_graphroot" "$_runroot" >"$CONTAINERS_STORAGE_CONF.$$"
  mv -f "$CONTAINERS_STORAGE_CONF.$$" "$CONTAINERS_STORAGE_CONF"
  unset _graphroot _runroot
fi
