#!/usr/bin/env bash
# Runs one suite of the README's test command, by its name in
# scripts/test-all.sh (`run_suite NAME COMMAND...`), so the check jobs run
# exactly what `npm test` runs and the two cannot drift apart.
# Usage: scripts/ci/run-suite.sh NAME
. "$(dirname "$0")/lib.sh"

name="${1:-}"
[ -n "$name" ] || die "usage: scripts/ci/run-suite.sh NAME (a run_suite name in scripts/test-all.sh)" 2
line="$(grep -E "^run_suite ${name} " scripts/test-all.sh || true)"
if [ -n "$line" ]; then
  command="${line#run_suite "${name}" }"
elif node -e 'process.exit(require("./package.json").scripts["test:" + process.argv[1]] ? 0 : 1)' "$name"; then
  # A suite with its root script that scripts/test-all.sh does not list (yet).
  command="npm run test:$name"
else
  known="$(grep -E '^run_suite ' scripts/test-all.sh | awk '{print $2}' | paste -sd ' ' -)"
  die "no suite \`$name\` in scripts/test-all.sh (known: $known) and no root script test:$name" 2
fi
export ONNXRUNTIME_NODE_INSTALL=skip
log "suite $name: $command"
eval "$command"
