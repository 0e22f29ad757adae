#!/usr/bin/env bash
# Builds, once per machine, the stand-in base images that replace the pinned
# upstream Node.js images where no registry other than Debian's and npm's can
# be reached (see docs/image.md):
#   localhost/standin-node:<node version>        runtime: Debian bookworm minbase + this machine's `node`
#   localhost/standin-node-build:<node version>  builder: the same + npm
# They are committed into the local containers storage (vfs) and saved as OCI
# archives in $IMAGE_CACHE_DIR, so a later run (or a wiped storage) is instant.
# Prints the two image names as `RUNTIME=...` and `BUILDER=...` lines on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/buildah-env.sh
. "$here/lib/buildah-env.sh"

"$here/ensure-image-tools.sh"

node_bin="$(command -v node || true)"
if [ -z "$node_bin" ]; then
  echo "make-standin-base: no \`node\` on PATH; install Node.js (the stand-in copies this machine's node)" >&2
  exit 1
fi
node_version="$("$node_bin" --version)"
node_version="${node_version#v}"
runtime="localhost/standin-node:${node_version}"
builder="localhost/standin-node-build:${node_version}"
mkdir -p "$IMAGE_CACHE_DIR"

# Bump when the recipe below changes: images or archives of an older revision
# are rebuilt instead of reused.
revision=2
runtime_archive="$IMAGE_CACHE_DIR/standin-node-${node_version}-r${revision}.oci.tar"
builder_archive="$IMAGE_CACHE_DIR/standin-node-build-${node_version}-r${revision}.oci.tar"

is_current() {
  [ "$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "standin.revision"}}' "$1" 2>/dev/null)" = "$revision" ]
}
report() { echo "RUNTIME=$runtime"; echo "BUILDER=$builder"; }

# Two test runs may start at once; only one builds.
exec 9>"$IMAGE_CACHE_DIR/standin.lock"
flock 9

if is_current "$runtime" && is_current "$builder"; then
  report
  exit 0
fi

# Cached archives from an earlier run: load them back into storage.
if [ -s "$runtime_archive" ] && [ -s "$builder_archive" ]; then
  for pair in "$runtime_archive=$runtime" "$builder_archive=$builder"; do
    id="$(buildah pull --quiet "oci-archive:${pair%%=*}")"
    buildah tag "$id" "${pair#*=}"
  done
  report
  exit 0
fi

work="$(mktemp -d /var/tmp/standin.XXXXXX)"
containers=()
cleanup() {
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if ! is_current "$runtime"; then
  # debootstrap uses the same Debian mirror apt is configured with.
  mirror="$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d ' ' || true)"
  mirror="${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"
  echo "make-standin-base: debootstrap --variant=minbase bookworm from $mirror (takes a few minutes)" >&2
  rootfs="$work/rootfs"
  nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    echo "make-standin-base: debootstrap failed (log above)" >&2
    exit 1
  }
  # Slim it towards what a distroless/slim runtime base holds: no package
  # manager caches, docs, man pages or locales (they only add size).
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/log/* "$rootfs"/dev/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  chmod 1777 "$rootfs/tmp"

  # Runtime: node at /usr/local/bin like the official images. The entrypoint is
  # `node` like distroless, so the Dockerfile must reset it (it does).
  ctr="$(buildah from scratch)"
  containers+=("$ctr")
  mnt="$(buildah mount "$ctr")"
  cp -a "$rootfs/." "$mnt/"
  install -m 0755 "$node_bin" "$mnt/usr/local/bin/node"
  buildah umount "$ctr" >/dev/null
  buildah config --os linux --arch amd64 \
    --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" \
    --entrypoint '["/usr/local/bin/node"]' --cmd '' \
    --label standin.revision="$revision" \
    --label org.opencontainers.image.description="stand-in for the pinned Node.js runtime base (test only)" \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "$runtime" >/dev/null
  containers=()
fi

# Builder: the runtime plus npm (the production builder base is node:*-slim)
# and this machine's CA bundle: where npm's registry is reached through a
# TLS-inspecting egress proxy, npm inside the build trusts what npm outside does.
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
if [ ! -f "$npm_dir/package.json" ]; then
  echo "make-standin-base: cannot find npm's package folder (got $npm_dir); install npm" >&2
  exit 1
fi
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
ctr="$(buildah from "$runtime")"
containers+=("$ctr")
mnt="$(buildah mount "$ctr")"
mkdir -p "$mnt/usr/local/lib/node_modules" "$mnt/etc/ssl/certs"
cp -a "$npm_dir" "$mnt/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
if [ -s "$ca_bundle" ]; then
  cp "$ca_bundle" "$mnt/etc/ssl/certs/ca-certificates.crt"
fi
buildah umount "$ctr" >/dev/null
buildah config --entrypoint '[]' --cmd '["node"]' \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --env NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt \
  --label standin.revision="$revision" \
  --label org.opencontainers.image.description="stand-in for the pinned Node.js builder base (test only)" \
  "$ctr"
buildah commit --quiet --rm "$ctr" "$builder" >/dev/null
containers=()

rm -f "$IMAGE_CACHE_DIR"/standin-node-*.oci.tar
buildah push --quiet "$runtime" "oci-archive:$runtime_archive:$runtime"
buildah push --quiet "$builder" "oci-archive:$builder_archive:$builder"
report
