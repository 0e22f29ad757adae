#!/usr/bin/env bash
# Installs wrk (Debian) for `npm run bench` when it is missing; instant when present.
# wrk is a C load generator: on a 2-core machine it leaves the server far more CPU
# than autocannon (a Node process) does, so it measures the server, not the client.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "wrk is missing; install it with: sudo apt-get install -y wrk" >&2
  exit 1
fi
echo "installing wrk (apt-get install -y wrk)..." >&2
{ apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; } >/dev/null
command -v wrk >/dev/null || { echo "wrk did not install; try: apt-get update && apt-get install -y wrk" >&2; exit 1; }
