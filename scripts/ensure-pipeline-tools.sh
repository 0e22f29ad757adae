#!/usr/bin/env bash
# Installs what the local pipeline rehearsal needs besides the image tools:
# rsync (gitlab-ci-local copies the project into its build dir with it),
# Debian's docker-registry (the CNCF distribution registry, our local ECR) and
# curl. Idempotent and fast when everything is present (scripts/lib/apt.sh);
# buildah comes from scripts/ensure-image-tools.sh, which the image part owns.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"
apt_ensure ensure-pipeline-tools rsync=rsync docker-registry=docker-registry curl=curl
# The package enables a system registry on :5000 at boot; the rehearsal runs
# its own instance on a free port, so the system one stays off.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
