#!/usr/bin/env bash
# Installs the daemonless image tools the image tests and the build job need:
# buildah (build/run), skopeo (inspect/copy), docker-registry (the CNCF
# distribution registry, standing in for ECR) and debootstrap (the stand-in
# base image, see scripts/make-standin-base.sh). Idempotent and fast when
# everything is present; apt runs under /tmp/apt.lock because several engineers
# and suites share this machine's dpkg database.
set -euo pipefail

# command → Debian package that provides it.
declare -A wanted=(
  [buildah]=buildah
  [skopeo]=skopeo
  [docker-registry]=docker-registry
  [debootstrap]=debootstrap
  [newuidmap]=uidmap
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-image-tools: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "ensure-image-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
flock /tmp/apt.lock sh -c '
  # Package lists may be missing on a fresh machine; update once, then install.
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y --no-install-recommends "$@"
  }
' sh "${missing[@]}"

for cmd in "${!wanted[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "ensure-image-tools: \`$cmd\` still missing; install it with: apt-get install -y ${wanted[$cmd]}" >&2
    exit 1
  fi
done
