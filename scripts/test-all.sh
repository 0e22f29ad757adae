#!/usr/bin/env bash
# The README's test command (`npm test`) and what `.ci/run` calls: every suite
# of the project, in dependency order (scripts/test/suites.ts). Each suite
# installs the system tools it needs through scripts/ensure-*.sh, so a fresh
# machine works.
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
# The suites, their order and what runs them are data (scripts/test/suites.ts),
# read by this runner, by the CI check jobs and by the test that keeps
# .gitlab-ci.yml in step. `npm test -- chart k8s` runs only those.
exec node --import tsx scripts/test/run.ts "$@"
