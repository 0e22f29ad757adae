#!/usr/bin/env bash
# Runs one suite of the README's test command, by its name in
# scripts/test-all.sh (`run_suite NAME COMMAND...`), so the check jobs run
# exactly what `npm test` runs and the two cannot drift apart.
# Usage: scripts/ci/run-suite.sh NAME
. "$(dirname "$0")/lib.sh"

name="${1:-}"
[ -n "$name" ] || die "usage: scripts/ci/run-suite.sh NAME (a run_suite name in scripts/test-all.sh)" 2
line="$(grep -E "^run_suite ${name} " scripts/test-all.sh || true)"
if [ -z "$line" ]; then
  known="$(grep -E '^run_suite ' scripts/test-all.sh | awk '{print $2}' | paste -sd ' ' -)"
  die "no suite \`$name\` in scripts/test-all.sh (known: $known)" 2
fi
command="${line#run_suite "${name}" }"
export ONNXRUNTIME_NODE_INSTALL=skip
log "suite $name: $command"
eval "$command"
