#!/usr/bin/env bash
# Installs the daemonless image tools the image tests and the build job need:
# buildah (build/run), skopeo (inspect/copy), docker-registry (the CNCF
# distribution registry, standing in for ECR), debootstrap (the stand-in
# base image, see scripts/make-standin-base.sh) and newuidmap. Idempotent and
# fast when everything is present (scripts/lib/apt.sh).
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"
apt_ensure ensure-image-tools buildah=buildah skopeo=skopeo docker-registry=docker-registry \
  debootstrap=debootstrap newuidmap=uidmap
