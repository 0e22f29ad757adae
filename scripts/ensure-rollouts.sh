#!/usr/bin/env bash
# Builds (once) and caches the real Argo Rollouts controller that the canary
# tests (test/rollouts) run against the control plane from tools/k8s: one
# `rollouts-controller` binary built from github.com/argoproj/argo-rollouts
# through the wrapper module tools/rollouts, and the CRDs of the same release.
# Everything comes from the Go module proxy.
#
# Prints the cache directory on stdout (bin/, crds/; progress goes to stderr).
# Fast when the cache is complete; a failed build prints its log and exits
# non-zero. A cold build takes ~8-15 minutes of one core, so CI machines keep
# the cache between runs (docs/k8s-tests.md).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/tools.sh # ROLLOUTS_VERSION, tools_cache, may_build, use_go
# Argo Rollouts v1.10 says `go 1.26.10`; newer than the machine's Go, so the
# toolchain comes from the module proxy on first use and is cached.
export GOTOOLCHAIN=${ROLLOUTS_GOTOOLCHAIN:-$GO_TOOLCHAIN_NEWER}

cache="$tools_cache/rollouts/$ROLLOUTS_VERSION"

is_complete() {
  [ -x "$cache/bin/rollouts-controller" ] && [ -s "$cache/crds/rollout-crd.yaml" ] &&
    [ -s "$cache/crds/analysis-template-crd.yaml" ]
}

if is_complete; then echo "$cache"; exit 0; fi

# A pipeline job (TOOLS_CACHE_ONLY=true) stops here with the fix instead of building.
may_build ensure-rollouts "Argo Rollouts $ROLLOUTS_VERSION" "$cache" || exit 1
use_go

mkdir -p "$cache"
# The prefetch of `npm test` and a suite must not build into the same directory.
exec 9>"$cache/.lock"
flock 9
if is_complete; then echo "$cache"; exit 0; fi

log="$cache/build.log"
: >"$log"
rm -rf "$cache/bin.partial" "$cache/crds.partial"
mkdir -p "$cache/bin.partial"
start=$SECONDS
fail() {
  echo "ensure-rollouts: $1 failed; build log ($log):" >&2
  cat "$log" >&2
  exit 1
}

echo "ensure-rollouts: building rollouts-controller $ROLLOUTS_VERSION with $GOTOOLCHAIN (logging to $log)" >&2
# The release's ldflags (its Makefile, utils/version): without a commit the
# controller reports v1.10.2 as "v1.10.2" from `version` alone.
pkg=github.com/argoproj/argo-rollouts/utils/version
ldflags="-s -w -X $pkg.version=${ROLLOUTS_VERSION#v} -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
export CGO_ENABLED=0
(cd tools/rollouts && nice -n 10 go build -ldflags "$ldflags" -o "$cache/bin.partial/rollouts-controller" \
  github.com/argoproj/argo-rollouts/cmd/rollouts-controller) >>"$log" 2>&1 || fail "go build of rollouts-controller"

src=$(cd tools/rollouts && go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts 2>>"$log") ||
  fail "locating the argo-rollouts module"
[ -d "$src/manifests/crds" ] || fail "copying the CRDs (no manifests/crds in '$src')"
cp -r "$src/manifests/crds" "$cache/crds.partial"
chmod -R u+w "$cache/crds.partial"

rm -rf "$cache/bin" "$cache/crds"
mv "$cache/bin.partial" "$cache/bin"
mv "$cache/crds.partial" "$cache/crds"
echo "ensure-rollouts: built in $((SECONDS - start)) s into $cache/bin ($(du -sh "$cache/bin" | cut -f1))" >&2
echo "$cache"
