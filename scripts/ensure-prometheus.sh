#!/usr/bin/env bash
# Installs Debian's `prometheus` package for the observability suite: `prometheus` (run by the
# tests themselves on 127.0.0.1, never as the Debian service) and `promtool` (unit tests of the
# chart's alerts). Idempotent and instant when both are present; apt runs under /tmp/apt.lock
# because several engineers and suites share this machine's dpkg database.
set -euo pipefail

install_hint="apt-get update && apt-get install -y --no-install-recommends prometheus"

have_both() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

if have_both; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-prometheus: prometheus/promtool missing; run as root: $install_hint" >&2
  exit 1
fi

echo "ensure-prometheus: installing Debian's prometheus (prometheus + promtool)" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101 keeps dpkg from starting the Debian service: the tests run the binary
# themselves on a free loopback port with a temporary data directory.
flock /tmp/apt.lock sh -c '
  policy=/usr/sbin/policy-rc.d
  created=""
  if [ ! -e "$policy" ]; then
    printf "#!/bin/sh\nexit 101\n" >"$policy" && chmod +x "$policy" && created=1
  fi
  status=0
  { apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y --no-install-recommends prometheus
  }; } || status=$?
  [ -z "$created" ] || rm -f "$policy"
  exit $status
' || true

if ! have_both; then
  echo "ensure-prometheus: FAILED: prometheus/promtool still missing; install them with: $install_hint" >&2
  exit 1
fi
