# Sourced by scripts/ensure-*.sh: the one place that says where the project's
# tool builds are cached and how a build script gets Go.
#
# tools_cache: ${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain. CI jobs
#   set XDG_CACHE_HOME inside the project directory, so GitLab's `cache:`
#   (keyed on scripts/lib/tool-versions.sh, .gitlab-ci.yml `.tools-cache`)
#   keeps the builds between pipelines and no job builds a tool twice.
# use_go: puts a Go toolchain on PATH (the machine's, else scripts/ensure-go.sh's).
tools_cache="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain"
tools_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$tools_repo_root/scripts/lib/tool-versions.sh"

use_go() {
  local bin
  bin=$(bash "$tools_repo_root/scripts/ensure-go.sh") || return 1
  case ":$PATH:" in *":$bin:"*) ;; *) PATH="$bin:$PATH" ;; esac
  export PATH
}
