#!/usr/bin/env bash
# Builds (once) and caches the real Argo CD that test/argocd and the rehearsal
# run: one `argocd` binary built from github.com/argoproj/argo-cd/v3 through the
# wrapper module tools/argocd, plus symlinks that make it the API server,
# application controller and repo server (Argo CD picks its role from argv[0],
# cmd/main.go), and the module's own manifests (CRDs, cluster RBAC, base) that
# the install applies. Also installs Debian's redis-server (Argo CD's cache).
# Everything comes from the Go module proxy and Debian.
#
# Prints the cache directory on stdout (bin/, manifests/; progress goes to
# stderr). Fast when the cache is complete; a failed build prints its log and
# exits non-zero. A cold build takes ~15-20 minutes of one core
# (docs/k8s-tests.md), so CI machines keep the cache between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/tools.sh # ARGOCD_VERSION, tools_cache, may_build, use_go
. scripts/lib/apt.sh   # apt_ensure
# Argo CD v3.6's go.mod says `go 1.27.0`. The toolchain comes from the module
# proxy (golang.org/toolchain) on first use and is cached like any module.
export GOTOOLCHAIN=${ARGOCD_GOTOOLCHAIN:-$GO_TOOLCHAIN_NEWER}

cache="$tools_cache/argocd/$ARGOCD_VERSION"
bin="$cache/bin"
# The roles the tests run; `argocd` itself is the CLI (and mints tokens).
roles=(argocd-server argocd-application-controller argocd-repo-server argocd-git-ask-pass)
# Scripts Argo CD's image puts on PATH beside the binary: the repo server runs
# git-verify-wrapper.sh on every checkout, even with GPG verification off.
scripts=(git-verify-wrapper.sh gpg-wrapper.sh)

is_complete() {
  [ -x "$bin/argocd" ] || return 1
  for r in "${roles[@]}"; do [ -L "$bin/$r" ] || return 1; done
  for f in "${scripts[@]}"; do [ -x "$bin/$f" ] || return 1; done
  [ -s "$cache/manifests/crds/application-crd.yaml" ] && [ -d "$cache/manifests/cluster-rbac" ]
}

ensure_redis() {
  apt_ensure ensure-argocd redis-server=redis-server || return 1
  # The package enables a system redis on :6379 at boot; the tests run their
  # own on a free port, so the system one stays off.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
}

if is_complete; then
  ensure_redis
  echo "$cache"
  exit 0
fi

# A pipeline job (TOOLS_CACHE_ONLY=true) stops here with the fix instead of building.
may_build ensure-argocd "Argo CD $ARGOCD_VERSION" "$cache" || exit 1
use_go

mkdir -p "$cache"
# Two test runs (or npm test's prefetch and a suite) must not build into the same directory.
exec 9>"$cache/.lock"
flock 9
if is_complete; then
  ensure_redis
  echo "$cache"
  exit 0
fi

log="$cache/build.log"
partial="$cache/bin.partial"
rm -rf "$partial" "$cache/manifests.partial"
mkdir -p "$partial"
: >"$log"
start=$SECONDS

fail() {
  echo "ensure-argocd: $1 failed; build log ($log):" >&2
  cat "$log" >&2
  exit 1
}

ensure_redis || exit 1

echo "ensure-argocd: building argocd $ARGOCD_VERSION with $GOTOOLCHAIN (logging to $log; ~15-20 min cold)" >&2
# Argo CD's release ldflags (its Makefile, common/version.go). The module
# proxy does not say which git commit the v3.6.1 tag points to, and without a
# commit common.GetVersion ignores gitTag: `argocd version` reports
# "v3.6.1+unknown" (the version is right; the commit is honestly unknown).
pkg=github.com/argoproj/argo-cd/v3/common
ldflags="-s -w -X $pkg.version=${ARGOCD_VERSION#v} -X $pkg.gitTag=$ARGOCD_VERSION -X $pkg.gitTreeState=clean"
ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags+=" -X $pkg.kubectlVersion=$(cd tools/argocd && go list -m -f '{{.Version}}' k8s.io/client-go 2>>"$log")"
export CGO_ENABLED=0
(cd tools/argocd && nice -n 10 go build -ldflags "$ldflags" -o "$partial/argocd" github.com/argoproj/argo-cd/v3/cmd) \
  >>"$log" 2>&1 || fail "go build of argocd $ARGOCD_VERSION"
for r in "${roles[@]}"; do ln -s argocd "$partial/$r"; done
"$partial/argocd" version --client --short >>"$log" 2>&1 || fail "running the built argocd"

# The install manifests and helper scripts of the same release, from the module source.
src=$(cd tools/argocd && go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3 2>>"$log") || fail "locating the argo-cd module"
[ -d "$src/manifests/crds" ] || fail "copying manifests (no manifests/crds in '$src')"
for f in "${scripts[@]}"; do install -m 755 "$src/hack/$f" "$partial/$f" || fail "copying hack/$f"; done
mkdir -p "$cache/manifests.partial"
cp -r "$src/manifests/crds" "$src/manifests/cluster-rbac" "$src/manifests/base" "$cache/manifests.partial/"
chmod -R u+w "$cache/manifests.partial"

rm -rf "$bin" "$cache/manifests"
mv "$partial" "$bin"
mv "$cache/manifests.partial" "$cache/manifests"
echo "ensure-argocd: built in $((SECONDS - start)) s into $bin ($(du -sh "$bin" | cut -f1))" >&2
echo "$cache"
