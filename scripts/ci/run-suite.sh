#!/usr/bin/env bash
# Runs one suite of the README's test command by its name in
# scripts/test/suites.ts, so a check job runs exactly what `npm test` runs and
# the two cannot drift apart. Usage: scripts/ci/run-suite.sh NAME [--shard I/N]
# (a job with GitLab's `parallel: N` passes "$CI_NODE_INDEX/$CI_NODE_TOTAL";
# scripts/test/run.ts checks it).
. "$(dirname "$0")/lib.sh"
[ -n "${1:-}" ] || die "usage: scripts/ci/run-suite.sh NAME [--shard I/N] (a suite of scripts/test/suites.ts)" 2
export ONNXRUNTIME_NODE_INSTALL=skip
exec npx --no-install tsx scripts/test/run.ts "$@"
