#!/usr/bin/env bash
# Installs wrk (Debian) for `npm run bench` when it is missing; instant when present.
# wrk is a C load generator: on a 2-core machine it leaves the server far more CPU
# than autocannon (a Node process) does, so it measures the server, not the client.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"
apt_ensure ensure-bench-tools wrk=wrk
