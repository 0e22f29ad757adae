#!/bin/sh
# The service's production packages for one target platform, installed into
# the current folder (which holds the package manifests and the lockfile).
# The one recipe of both image builds: the Dockerfile's prod-deps stage runs it
# in the builder image, scripts/image/assemble.ts on the build machine
# (docs/image.md, "Two builders, one image"). POSIX sh: the builder base has no bash.
#
# TARGETOS / TARGETARCH: the image's platform (buildah and BuildKit set them
# from --platform; default linux/amd64).
# - keep only what the service's production dependency graph reaches (npm's
#   --omit=dev alone leaves devDependencies that another workspace needs);
# - keep only onnxruntime-node's binaries for TARGETOS/TARGETARCH (its Node
#   arch names: amd64 → x64); the others are ~240 MB of darwin/win32/arm64 files;
# - drop type declarations, source maps, markdown and the packages' own test
#   folders (never loaded at run time; some hold fixture "secrets").
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
TARGETOS="${TARGETOS:-linux}"
TARGETARCH="${TARGETARCH:-amd64}"
case "$TARGETARCH" in
  amd64) ort_arch=x64 ;;
  arm64) ort_arch=arm64 ;;
  *) echo "unsupported TARGETARCH=$TARGETARCH (onnxruntime-node ships amd64 and arm64)" >&2; exit 1 ;;
esac
npm ci --ignore-scripts --no-audit --no-fund --omit=dev --workspace service
node "$here/prune-node-modules.mjs"
mkdir -p service/node_modules
ort_bin=node_modules/onnxruntime-node/bin
for dir in "$ort_bin"/napi-v*/*/*; do
  case "$dir" in */"$TARGETOS/$ort_arch") ;; *) rm -rf "$dir" ;; esac
done
find "$ort_bin" -mindepth 1 -type d -empty -delete
ls "$ort_bin"/napi-v*/"$TARGETOS/$ort_arch"/onnxruntime_binding.node >/dev/null
find node_modules service/node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
  -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete
find node_modules service/node_modules -type d \( -name test -o -name tests -o -name __tests__ \) -prune -exec rm -rf {} +
