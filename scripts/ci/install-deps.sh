#!/usr/bin/env bash
# The node jobs' dependencies: `npm ci` from the lockfile, downloading through
# npm's cache ($npm_config_cache, kept by GitLab's `cache:` between pipelines).
# A tree that is already installed and matches package.json (a developer's
# checkout, the local rehearsal) is reused instead of being wiped.
. "$(dirname "$0")/lib.sh"

if [ -d node_modules ] && npm ls --workspaces --include-workspace-root --depth=0 >/dev/null 2>&1; then
  log "node_modules already matches package.json; reusing it"
  exit 0
fi
log "npm ci (cache: ${npm_config_cache:-npm default})"
npm ci --prefer-offline --no-audit --no-fund
