#!/usr/bin/env bash
# Builds (once) and caches the binaries of the real Kubernetes control plane
# that test/k8s runs: kube-apiserver, kube-controller-manager, kube-scheduler
# (k8s.io/kubernetes through the wrapper module in tools/k8s), etcd (its Go
# module: Debian bookworm's etcd-server 3.4 is older than Kubernetes 1.37
# supports) and KWOK (fake nodes and kubelets, so pods turn Ready without a
# container runtime). Everything comes from the Go module proxy.
#
# Prints the directory holding the binaries on stdout (progress goes to
# stderr). Fast when the cache is complete; a failed build prints its log
# and exits non-zero. A cold build takes tens of minutes on 2 cores (see
# docs/k8s-tests.md), so CI machines keep the cache between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/tools.sh # K8S_VERSION, ETCD_VERSION, KWOK_VERSION, tools_cache, may_build, use_go
GO_MIN_MINOR=26        # k8s.io/kubernetes v1.37 and kwok v0.8 say `go 1.26.0`

cache_root="$tools_cache/k8s"
cache="$cache_root/$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
bin="$cache/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

is_complete() {
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
  [ -s "$cache/kwok-stages.yaml" ]
}

if is_complete; then
  echo "$bin"
  exit 0
fi

# A pipeline job (TOOLS_CACHE_ONLY=true) stops here with the fix instead of building.
may_build ensure-k8s "the Kubernetes control plane $K8S_VERSION (etcd $ETCD_VERSION, kwok $KWOK_VERSION)" "$cache" || exit 1
use_go
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -z "$go_minor" ] || [ "$go_minor" -lt "$GO_MIN_MINOR" ]; then
  echo "ensure-k8s: $(go env GOVERSION) is too old; Kubernetes $K8S_VERSION needs go1.$GO_MIN_MINOR (or export GOTOOLCHAIN=go1.$GO_MIN_MINOR.0)" >&2
  exit 1
fi

mkdir -p "$cache"
# Two test runs starting together must not build into the same directory.
exec 9>"$cache/.lock"
flock 9
if is_complete; then
  echo "$bin"
  exit 0
fi

log="$cache/build.log"
partial="$cache/bin.partial"
mkdir -p "$partial"
: >"$log"
start=$SECONDS

# fail STEP: prints the build log and stops; a half-built cache is never used.
fail() {
  echo "ensure-k8s: building $1 failed; build log ($log):" >&2
  cat "$log" >&2
  exit 1
}

build() {
  echo "ensure-k8s: building $1 (logging to $log)" >&2
  echo "=== $1" >>"$log"
}

# Static, stripped binaries; the version variables make the API server report
# v1.37.2 (helm and the emulation-version checks read it) instead of v0.0.0.
version_pkg=k8s.io/component-base/version
k8s_ldflags="-s -w -X $version_pkg.gitVersion=$K8S_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $version_pkg.gitTreeState=clean"
export CGO_ENABLED=0

build "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION"
(cd tools/k8s && nice -n 10 go build -ldflags "$k8s_ldflags" -o "$partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler) >>"$log" 2>&1 || fail "the Kubernetes control plane"

build "etcd $ETCD_VERSION"
(cd tools/k8s && nice -n 10 go build -ldflags "-s -w" -o "$partial/etcd" go.etcd.io/etcd/server/v3) \
  >>"$log" 2>&1 || fail etcd

build "kwok $KWOK_VERSION"
GOBIN="$partial" nice -n 10 go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
  >>"$log" 2>&1 || fail kwok

# KWOK's own "fast" stages (nodes Ready with a lease heartbeat, pods Ready at
# once, deleted pods removed), taken from the same module release.
kwok_dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" 2>>"$log" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || fail "kwok stages"
[ -d "$kwok_dir/kustomize/stage" ] || fail "kwok stages (no kustomize/stage in '$kwok_dir')"
stages="$cache/kwok-stages.yaml.partial"
: >"$stages"
for f in "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml \
  "$kwok_dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  "$kwok_dir"/kustomize/stage/pod/fast/pod-*.yaml; do
  { echo "---"; cat "$f"; } >>"$stages"
done

rm -rf "$bin"
mv "$partial" "$bin"
mv "$stages" "$cache/kwok-stages.yaml"
echo "ensure-k8s: built in $((SECONDS - start)) s into $bin" >&2
echo "$bin"
