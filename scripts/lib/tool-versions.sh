# The versions of every tool the project builds or installs into its tools
# cache (scripts/lib/tools.sh), in one file: the ensure-*.sh scripts read them
# from here, and the CI jobs' tools cache is keyed on this file's content
# (.gitlab-ci.yml `.tools-cache`), so changing a version here is what starts
# a new cache. The wrapper modules under tools/ pin the same versions in their
# go.mod (test/pipeline/tool-versions.test.ts keeps the two in step).

# Go, when the machine has none (scripts/ensure-go.sh): golang.org/toolchain
# from the Go module proxy, checked by sha256.
GO_VERSION=1.26.8
GO_ZIP_SHA256_LINUX_AMD64=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
GO_ZIP_SHA256_LINUX_ARM64=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99
# Modules whose go.mod asks for a newer Go get it through GOTOOLCHAIN.
GO_TOOLCHAIN_NEWER=go1.27.3

HELM_VERSION=v3.22.0      # helm.sh/helm/v3
K8S_VERSION=v1.37.2       # k8s.io/kubernetes (tools/k8s/go.mod); staging modules v0.37.2
ETCD_VERSION=v3.7.0       # the etcd that k8s.io/kubernetes v1.37.2 requires
KWOK_VERSION=v0.8.0       # sigs.k8s.io/kwok
ARGOCD_VERSION=v3.6.1     # github.com/argoproj/argo-cd/v3 (tools/argocd/go.mod)
ROLLOUTS_VERSION=v1.10.2  # github.com/argoproj/argo-rollouts (tools/rollouts/go.mod)
SCHEMATHESIS_VERSION=4.32.5  # PyPI; pinned, since a new release adds checks

# The CI tools cache is keyed on this file alone: bump this when a change to
# how a tool is built (an ensure-*.sh script, a wrapper go.mod under tools/)
# must replace builds already cached under the same versions.
TOOLS_CACHE_REVISION=1
