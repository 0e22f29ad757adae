#!/usr/bin/env bash
# Measures the image build approaches side by side on this machine (issue 11
# item 6; docs/image.md, "Build time"), on one copy of the working tree:
#   dockerfile-vfs      scripts/build-image.sh (buildah, vfs storage: what runs
#                       in an unprivileged container without /dev/fuse)
#   dockerfile-overlay  the same with overlay storage through fuse-overlayfs
#                       (needs /dev/fuse; its own store, so vfs stays untouched)
#   assemble            scripts/image/assemble.ts (the pipeline's build)
# For each: a cold build (no cache), then RUNS warm builds after a source-only
# change (a comment appended to a service source file, so tsc's output
# changes) and a rebuild without changes. Prints every run and the medians,
# then the size of the assembled image. Slow (buildah cold builds take minutes);
# run by hand, on an otherwise idle machine:
#   bash scripts/bench-image-build.sh [RUNS (default 3)] [APPROACH...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
shift || true
approaches=("$@")
[ ${#approaches[@]} -gt 0 ] || approaches=(assemble dockerfile-overlay dockerfile-vfs)
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/bench-image-build.sh [RUNS] [APPROACH...]" >&2; exit 2; }
. scripts/lib/buildah-env.sh

eval "$(bash scripts/make-standin-base.sh)" # sets RUNTIME and BUILDER
work="$(mktemp -d /tmp/image-bench.XXXXXX)"
context="$work/context"
mkdir -p "$context"
trap 'rm -rf "$work"' EXIT
git ls-files --cached --others --exclude-standard -z |
  tar --null --files-from=- --ignore-failed-read -cf - | tar -C "$context" -xf -
cp model/model.onnx model/model.json "$context/model/"
# The assembler compiles in its context with the workspace's packages (as the
# CI job does after `npm ci`): hard links of this checkout's, nothing copied.
cp -al node_modules "$context/node_modules"
commit="$(git rev-parse HEAD)"
log="$work/build.log"

# A store of its own for overlay: c/storage cannot share a graphroot between drivers.
overlay_conf="$work/storage-overlay.conf"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n[storage.options.overlay]\nmount_program = "%s"\n' \
  "$IMAGE_CACHE_DIR/bench-overlay/graph" "$work/overlay-run" "$(command -v fuse-overlayfs || echo /usr/bin/fuse-overlayfs)" >"$overlay_conf"

build() { # APPROACH cold|warm → seconds on stdout
  local approach="$1" mode="$2" start=$SECONDS
  local cache=()
  case "$approach" in
    assemble)
      [ "$mode" = cold ] && rm -rf "$work/assemble-cache"
      node --import tsx scripts/image/assemble.ts --context "$context" --commit "$commit" --build-time 2000-01-01T00:00:00Z \
        --base-image "$RUNTIME" --cache-dir "$work/assemble-cache" --output "$work/assembled.oci.tar" \
        >/dev/null 2>"$log" ;;
    dockerfile-vfs | dockerfile-overlay)
      [ "$mode" = cold ] && cache=(--no-cache)
      local conf="$CONTAINERS_STORAGE_CONF"
      if [ "$approach" = dockerfile-overlay ]; then
        conf="$overlay_conf"
        # The stand-in bases, into the overlay store once (through an archive).
        CONTAINERS_STORAGE_CONF="$conf" buildah inspect "$RUNTIME" >/dev/null 2>&1 ||
          for image in "$RUNTIME" "$BUILDER"; do
            skopeo copy --quiet "containers-storage:$image" "oci-archive:$work/base.oci.tar"
            id="$(CONTAINERS_STORAGE_CONF="$conf" buildah pull --quiet "oci-archive:$work/base.oci.tar")"
            CONTAINERS_STORAGE_CONF="$conf" buildah tag "$id" "$image"
            rm -f "$work/base.oci.tar"
          done
      fi
      CONTAINERS_STORAGE_CONF="$conf" bash scripts/build-image.sh --context "$context" \
        --repository mlops-inference-service-bench --tag bench --commit "$commit" \
        --build-time 2000-01-01T00:00:00Z --base-image "$RUNTIME" --build-base-image "$BUILDER" \
        "${cache[@]}" >/dev/null 2>"$log" ;;
    *) echo "unknown approach $approach (assemble, dockerfile-overlay, dockerfile-vfs)" >&2; exit 2 ;;
  esac || { tail -n 30 "$log" >&2; exit 1; }
  echo $((SECONDS - start))
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-20s %8s %-20s %-20s\n' approach cold "warm (runs → p50)" "unchanged (p50)"
for approach in "${approaches[@]}"; do
  if [ "$approach" = dockerfile-overlay ] && [ ! -c /dev/fuse ]; then
    echo "$approach: skipped: no /dev/fuse here" >&2
    continue
  fi
  cold=$(build "$approach" cold)
  warm=() unchanged=()
  for ((i = 1; i <= runs; i++)); do
    echo "// bench: a source-only change $(date +%s%N)" >>"$context/service/src/server.ts"
    warm+=("$(build "$approach" warm)")
    unchanged+=("$(build "$approach" warm)")
  done
  printf '%-20s %7ss %-20s %-20s\n' "$approach" "$cold" "${warm[*]} → $(echo "${warm[*]}" | median)s" \
    "${unchanged[*]} → $(echo "${unchanged[*]}" | median)s"
done
if [ -f "$work/assembled.oci.tar" ]; then
  name="localhost/mlops-inference-service-bench:assembled"
  skopeo copy --quiet "oci-archive:$work/assembled.oci.tar" "containers-storage:$name"
  node --import tsx test/image/bench/report.ts "$name" "$RUNTIME"
  buildah rmi "$name" >/dev/null 2>&1 || true
fi
