# Sourced by scripts/ensure-*.sh: the one place that says where the project's
# tool builds are cached, whether this job may build one, and how a build
# script gets Go.
#
# tools_cache: ${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain. CI jobs
#   set XDG_CACHE_HOME inside the project directory, so GitLab's `cache:`
#   (key prefix `tools`, keyed on scripts/lib/tool-versions.sh) hands what the
#   `tools` job built to the check jobs (.gitlab-ci.yml `tools`, `.check-tools`).
# may_build: the one gate before a build from source. TOOLS_CACHE_ONLY=true
#   (every job of .gitlab-ci.yml but `tools`) turns a missing tool into an
#   error that names the fix, so no other pipeline job builds a tool; unset (a
#   laptop, `npm test`) the ensure script builds what is missing, as before.
# use_go: puts a Go toolchain on PATH (the machine's, else scripts/ensure-go.sh's).
tools_cache="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain"
tools_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$tools_repo_root/scripts/lib/tool-versions.sh"

# may_build WHO WHAT WHERE: returns 0 when WHO (ensure-helm, ...) may build
# WHAT ("helm v3.22.0") into WHERE. With TOOLS_CACHE_ONLY=true it prints the
# one message that names the fix and returns 1 instead. Call it after the
# "is it cached?" check and before anything that builds (use_go, go build).
may_build() {
  [ "${TOOLS_CACHE_ONLY:-}" = true ] || return 0
  cat >&2 <<EOF
$1: $2 is not in the tools cache ($3),
  and this job does not build tools from source (TOOLS_CACHE_ONLY=true).
  Pipeline jobs get the tools from GitLab's cache with key prefix \`tools\`
  (keyed on scripts/lib/tool-versions.sh), which only the \`tools\` job fills.
  That cache is missing here: the \`tools\` job has not run for these versions,
  or it failed, or this runner could not download the cache.
  Fix: run the pipeline again with the variable TOOLS_BUILD=true (Build >
  Pipelines > Run pipeline), which runs the \`tools\` job first (or retry the
  \`tools\` job if it failed); docs/pipeline.md, "The check jobs' tools".
EOF
  return 1
}

use_go() {
  local bin
  bin=$(bash "$tools_repo_root/scripts/ensure-go.sh") || return 1
  case ":$PATH:" in *":$bin:"*) ;; *) PATH="$bin:$PATH" ;; esac
  export PATH
}
