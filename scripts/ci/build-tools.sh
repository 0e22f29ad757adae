#!/usr/bin/env bash
# The `tools` job (.gitlab-ci.yml), the only pipeline job that builds tools
# from source: the ensure scripts that build from Go modules, each into the
# tools cache (scripts/lib/tools.sh), which GitLab's cache (key prefix `tools`)
# hands to the check jobs. What is already there (the restored cache) is kept;
# only what is missing is built. Go itself is only needed to build, so it is
# not kept: every check job would download it with the cache for nothing.
. "$(dirname "$0")/lib.sh"
export TOOLS_CACHE_ONLY=false # this job builds (scripts/lib/tools.sh, may_build)
. scripts/lib/tools.sh        # tools_cache

# Every ensure script that builds from source (the ones that call may_build;
# test/pipeline/tools-cache.test.ts keeps this list complete).
for script in ensure-helm.sh ensure-k8s.sh ensure-argocd.sh ensure-rollouts.sh; do
  log "$script"
  bash "scripts/$script" >/dev/null
done
rm -rf "$tools_cache/go" "$tools_cache"/go.partial.*
log "the tools cache holds: $(cd "$tools_cache" && ls -d helm/* k8s/* argocd/* rollouts/* | tr '\n' ' ')($(du -sh "$tools_cache" | cut -f1))"
