#!/usr/bin/env bash
# Makes sure the real helm (HELM_VERSION, scripts/lib/tool-versions.sh) is in the
# tools cache (scripts/lib/tools.sh), building it from the Go module proxy when
# missing (a few minutes once per machine or CI cache; instant after). Prints the
# helm path on success. Tests find helm the same way (test/support/helm.ts).
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh" # HELM_VERSION, tools_cache, may_build, use_go

# helm v3.22.0 is built against client-go v0.37, i.e. Kubernetes 1.37: the default
# cluster version of `helm template` and the API-deprecation checks of `helm lint`.
K8S_MAJOR=1
K8S_MINOR=37

gobin="$tools_cache/helm/$HELM_VERSION"
helm="$gobin/helm"

installed_version() {
  { [ -x "$helm" ] && "$helm" version --template '{{ .Version }}' 2>/dev/null; } || true
}

if [ "$(installed_version)" != "$HELM_VERSION" ]; then
  # A pipeline job (TOOLS_CACHE_ONLY=true) stops here with the fix instead of building.
  may_build ensure-helm "helm $HELM_VERSION" "$gobin" || exit 1
  # `npm test` starts this early in the background and the chart suite calls it
  # again: the second caller waits for the first build instead of starting its own.
  mkdir -p "$tools_cache"
  exec 9>"$tools_cache/helm.lock"
  flock 9
fi
if [ "$(installed_version)" != "$HELM_VERSION" ]; then
  echo "ensure-helm: building helm $HELM_VERSION into $gobin (go install; takes a few minutes once)" >&2
  # The release ldflags from helm's Makefile. Without them a go-install build calls
  # itself "v3.22" and renders for Kubernetes v1.20, so `helm template` would reject
  # this chart's kubeVersion (>=1.27) and lint would check deprecations against 1.20.
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=$K8S_MAJOR -X $pkg.k8sVersionMinor=$K8S_MINOR"
  done
  # nice: the build is CPU-heavy and this machine is shared.
  use_go
  if ! GOBIN="$gobin" nice -n 10 go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2; then
    echo "ensure-helm: FAILED: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (is the Go module proxy reachable?)" >&2
    exit 1
  fi
  if [ "$(installed_version)" != "$HELM_VERSION" ]; then
    echo "ensure-helm: FAILED: $helm reports '$(installed_version)', expected $HELM_VERSION" >&2
    exit 1
  fi
fi

echo "$helm"
