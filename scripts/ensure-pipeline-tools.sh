#!/usr/bin/env bash
# Installs what the local pipeline rehearsal needs besides the image tools:
# rsync (gitlab-ci-local copies the project into its build dir with it) and
# Debian's docker-registry (the CNCF distribution registry, our local ECR).
# Idempotent and fast when everything is present; buildah comes from
# scripts/ensure-image-tools.sh, which the image part owns.
set -euo pipefail

missing=()
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-pipeline-tools: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "ensure-pipeline-tools: installing ${missing[*]} (apt-get)" >&2
# The lock keeps parallel installers (other ensure-*.sh scripts) from colliding.
lock=/tmp/apt.lock
install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock 9
fi
install
# docker-registry's Debian package starts a system service on :5000; the
# rehearsal runs its own instance on a free port, so the system one stays off.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
for tool in "${missing[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ensure-pipeline-tools: $tool still missing after apt-get install" >&2; exit 1; }
done
