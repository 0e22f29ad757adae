#!/usr/bin/env bash
# Installs Debian's chromium, the real browser the timeline page test drives
# headless through playwright-core (deployctl/test/timeline-browser.test.ts).
# Idempotent and instant when it is there (scripts/lib/apt.sh). On failure it
# says which command to run, and exits non-zero: the browser test must not
# pass without a browser.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"
apt_ensure ensure-chromium chromium=chromium
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: chromium is installed but /usr/bin/chromium is missing; check \`dpkg -L chromium\`" >&2
  exit 1
fi
