#!/usr/bin/env bash
# Installs Debian's `prometheus` package for the observability suite: `prometheus` (run by the
# tests themselves on 127.0.0.1, never as the Debian service) and `promtool` (unit tests of the
# chart's alerts). Idempotent and instant when both are present (scripts/lib/apt.sh).
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"
apt_ensure ensure-prometheus prometheus=prometheus promtool=prometheus
