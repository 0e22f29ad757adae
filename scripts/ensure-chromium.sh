#!/usr/bin/env bash
# Installs Debian's chromium, the real browser the timeline page test drives
# headless through playwright-core (deployctl/test/timeline-browser.test.ts).
# Idempotent and instant when /usr/bin/chromium is there; apt runs under
# /tmp/apt.lock because several suites share this machine's dpkg database.
# On failure it says which command to run, and exits non-zero: the browser
# test must not pass without a browser.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

install_cmd="apt-get update && apt-get install -y --no-install-recommends chromium"
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; run as root: $install_cmd" >&2
  exit 1
fi

echo "ensure-chromium: installing chromium (Debian package)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! flock /tmp/apt.lock sh -c '
  # Package lists may be missing on a fresh machine; update once, then install.
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y --no-install-recommends chromium
  }
'; then
  echo "ensure-chromium: installing chromium failed; run as root: $install_cmd" >&2
  exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: chromium installed but $CHROMIUM is missing; check \`dpkg -L chromium\`" >&2
  exit 1
fi
