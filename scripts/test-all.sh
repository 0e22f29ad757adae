#!/usr/bin/env bash
# The README's test command (`npm test`) and what `.ci/run` calls: every suite
# of the project, in dependency order (service → chart → image → deployctl →
# pipeline → infra → Kubernetes control plane). Each suite installs the system
# tools it needs through scripts/ensure-*.sh, so a fresh machine works.
set -euo pipefail
cd "$(dirname "$0")/.."

export ONNXRUNTIME_NODE_INSTALL=skip

# Every suite runs on the Node.js pinned in .node-version (the Active LTS the
# image ships), not on whatever `node` the machine has: `npm ci` installs that
# binary from the npm registry's `node` package (a root devDependency), and npm
# puts node_modules/.bin first on PATH for `npm test`.
want_node="v$(tr -d '[:space:]' <.node-version)"
have_node="$(node --version 2>/dev/null || echo none)"
if [ "$have_node" != "$want_node" ]; then
  echo "test-all: node is $have_node ($(command -v node || echo 'not on PATH')), but .node-version pins $want_node." >&2
  echo "test-all: run the tests through npm (\`npm ci && npm test\`), which puts node_modules/.bin/node first on PATH;" >&2
  echo "test-all: if node_modules/.bin/node is missing or another version, run \`npm ci\` (it installs the pinned node package)." >&2
  exit 1
fi
echo "test-all: running every suite on node $have_node ($(command -v node))"
summary_file=$(mktemp)
trap 'rm -f "$summary_file"' EXIT
failed_suites=()

# run_suite NAME COMMAND...: runs one suite, keeps its pass/fail counts.
run_suite() {
  local name=$1; shift
  local log; log=$(mktemp)
  local start=$SECONDS
  echo "=== suite: $name"
  if "$@" 2>&1 | tee "$log"; then status=ok; else status=FAILED; failed_suites+=("$name"); fi
  # node's test runner ends with "ℹ pass N" / "ℹ fail N" (spec reporter).
  local pass fail
  pass=$( (grep -aE '^(ℹ|#) pass [0-9]+' "$log" || true) | awk '{s+=$3} END {print s+0}')
  fail=$( (grep -aE '^(ℹ|#) fail [0-9]+' "$log" || true) | awk '{s+=$3} END {print s+0}')
  echo "$name $pass $fail $status $((SECONDS - start))" >> "$summary_file"
  rm -f "$log"
}

run_suite lint npm run lint
run_suite types npm run types:check
run_suite model-gate npm run model:check
run_suite training npm test -w training
run_suite service npm test -w service
run_suite chart npm run test:chart
run_suite image npm run test:image
run_suite deployctl npm run test:deployctl
run_suite pipeline npm run test:pipeline
run_suite infra npm run test:infra
run_suite k8s npm run test:k8s

echo
echo "=== summary (suite, passed, failed, status, seconds)"
column -t "$summary_file" || cat "$summary_file"
total_pass=$(awk '{s+=$2} END {print s+0}' "$summary_file")
total_fail=$(awk '{s+=$3} END {print s+0}' "$summary_file")
echo
echo "$total_pass passed, $total_fail failed"
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]}" >&2
  exit 1
fi
