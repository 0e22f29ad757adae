#!/usr/bin/env bash
# Measures the image build here (docs/image.md): a cold build (--no-cache), a
# warm build after a source-only change (one comment added to a service
# source file, so tsc's output changes), and a no-change rebuild. Then prints
# the size report of the result. Slow (minutes on a vfs store); run by hand:
#   bash scripts/bench-image-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/buildah-env.sh

eval "$(bash scripts/make-standin-base.sh)" # sets RUNTIME and BUILDER
context="$(mktemp -d /tmp/image-bench-context.XXXXXX)"
name=localhost/mlops-inference-service-bench
trap 'rm -rf "$context"; buildah rmi "$name:bench" >/dev/null 2>&1 || true' EXIT
git ls-files --cached --others --exclude-standard -z |
  tar --null --files-from=- --ignore-failed-read -cf - | tar -C "$context" -xf -

build() {
  local start=$SECONDS
  bash scripts/build-image.sh --context "$context" --repository mlops-inference-service-bench --tag bench \
    --commit "$(git rev-parse HEAD)" --build-time 2000-01-01T00:00:00Z \
    --base-image "$RUNTIME" --build-base-image "$BUILDER" "$@" >/dev/null 2>"$context.log" || {
    tail -n 30 "$context.log" >&2
    exit 1
  }
  echo $((SECONDS - start))
}

cold=$(build --no-cache)
echo "// bench: a source-only change $(date +%s)" >>"$context/service/src/server.ts"
warm=$(build)
unchanged=$(build)
rm -f "$context.log"

echo "cold build (--no-cache):         ${cold}s"
echo "warm build (source-only change): ${warm}s"
echo "rebuild without changes:         ${unchanged}s"
node --import tsx test/image/bench/report.ts "$name:bench" "$RUNTIME"
