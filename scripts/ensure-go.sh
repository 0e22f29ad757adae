#!/usr/bin/env bash
# Makes sure a Go toolchain is on hand for the scripts that build the project's
# tools from Go modules (ensure-helm/-k8s/-argocd/-rollouts), and prints the
# directory of its `go` binary. The machine's own `go` wins when it is there;
# otherwise (a CI job in node:24-bookworm, a laptop without Go) the pinned Go
# comes from the Go module proxy as the module golang.org/toolchain, the same
# zip `GOTOOLCHAIN=go1.N.M` downloads, checked against its sha256 (scripts/lib/tool-versions.sh), and
# unpacked once into the tools cache (scripts/lib/tools.sh).
#
# Newer toolchains that a module asks for (Argo CD's `go 1.27`) then come the
# usual way: GOTOOLCHAIN, through the same proxy.
set -euo pipefail
. "$(dirname "$0")/lib/tools.sh"


if command -v go >/dev/null 2>&1; then
  dirname "$(command -v go)"
  exit 0
fi

case "$(uname -m)" in
  x86_64 | amd64) platform=linux-amd64 want_sha256=$GO_ZIP_SHA256_LINUX_AMD64 ;;
  aarch64 | arm64) platform=linux-arm64 want_sha256=$GO_ZIP_SHA256_LINUX_ARM64 ;;
  *)
    echo "ensure-go: no pinned Go for $(uname -m); install Go 1.21+ from go.dev and rerun" >&2
    exit 1
    ;;
esac
module="golang.org/toolchain@v0.0.1-go$GO_VERSION.$platform"
dir="$tools_cache/go/$GO_VERSION-$platform"
if [ ! -x "$dir/bin/go" ]; then
  mkdir -p "$tools_cache"
  exec 9>"$tools_cache/go.lock"
  flock 9
fi
if [ ! -x "$dir/bin/go" ]; then
  for tool in curl unzip sha256sum; do
    command -v "$tool" >/dev/null 2>&1 ||
      { echo "ensure-go: '$tool' is missing (apt-get install -y curl unzip coreutils), then rerun" >&2; exit 1; }
  done
  # The first proxy of GOPROXY (the Go default, or the runner's mirror).
  proxy="${GOPROXY:-https://proxy.golang.org}"
  proxy="${proxy%%[,|]*}"
  [ "$proxy" = direct ] || [ "$proxy" = off ] && proxy=https://proxy.golang.org
  url="$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.$platform.zip"
  tmp=$(mktemp -d "$tools_cache/go.partial.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "ensure-go: no 'go' on PATH; downloading Go $GO_VERSION ($platform) from $url" >&2
  curl -sSfL --retry 3 -o "$tmp/go.zip" "$url" ||
    { echo "ensure-go: FAILED to download $url (is the Go module proxy reachable? set GOPROXY to a mirror)" >&2; exit 1; }
  got=$(sha256sum "$tmp/go.zip" | cut -d' ' -f1)
  if [ "$got" != "$want_sha256" ]; then
    echo "ensure-go: FAILED: $url has sha256 $got, expected $want_sha256" >&2
    exit 1
  fi
  unzip -q "$tmp/go.zip" -d "$tmp/unpacked"
  # Module zips keep no file modes: mark the binaries executable, as Go's own
  # toolchain switch does after unpacking the same zip.
  chmod -R a+x "$tmp/unpacked/$module/bin" "$tmp/unpacked/$module/pkg/tool"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/unpacked/$module" "$dir"
  "$dir/bin/go" version >&2
fi
echo "$dir/bin"
