#!/usr/bin/env bash
# The one way the service image is built: the GitLab build job and local runs
# both call this script (docs/image.md). Daemonless: `buildah bud` on the
# repository's Dockerfile, then optionally `buildah push` of every tag.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
# shellcheck source=lib/buildah-env.sh
. "$here/lib/buildah-env.sh"

usage() {
  cat <<USAGE
Usage: scripts/build-image.sh [options]

Builds the service image from ./Dockerfile with buildah and, with --push,
pushes every tag. The last lines of stdout are KEY=VALUE results:
IMAGE (first tag), IMAGE_ID, and with --push IMAGE_DIGEST.

Naming (image = <registry>/<repository>:<tag>):
  --registry HOST[:PORT]    registry host (env IMAGE_REGISTRY, else ECR_REGISTRY;
                            empty: local name under localhost/)
  --repository NAME         repository (env ECR_REPOSITORY, default mlops-inference-service)
  --tag TAG                 a tag; repeatable (default: the full commit SHA and latest)

Build inputs:
  --commit SHA              commit baked in as GIT_COMMIT and the revision label
                            (env GIT_COMMIT, else CI_COMMIT_SHA, else git rev-parse HEAD)
  --build-time RFC3339      BUILD_TIME and the created label (default: now, UTC)
  --version VERSION         org.opencontainers.image.version (default: service
                            package.json version + short commit)
  --source URL              org.opencontainers.image.source (env CI_PROJECT_URL)
  --base-image IMAGE        runtime base (Dockerfile ARG BASE_IMAGE; default: the pinned one)
  --build-base-image IMAGE  builder base (ARG BUILD_BASE_IMAGE; default: the pinned one)
  --build-arg KEY=VALUE     any other build argument; repeatable
  --platform OS/ARCH        target platform (default linux/amd64; linux/arm64 works too)
  --context DIR             build context (default: the repository root)
  --file PATH               Dockerfile (default: <context>/Dockerfile)
  --target STAGE            build only up to this stage (e.g. prod-deps, for inspection)

Cache and runtime:
  --no-layers               do not keep intermediate layers (default: --layers on)
  --no-cache                rebuild every step, ignoring cached layers (a cold build)
  --cache-from REPO         registry repository to read cached layers from (e.g. REG/REPO/cache)
  --cache-to REPO           registry repository to write cached layers to
  --isolation TYPE          buildah isolation: chroot (default, env BUILDAH_ISOLATION), oci, rootless
  --storage-driver DRIVER   containers storage driver (default vfs, env STORAGE_DRIVER)
  --tls-verify BOOL         verify TLS when pulling/pushing (default true; false for a local http registry)

Output:
  --push                    push every tag after the build
  --digestfile FILE         write the pushed manifest digest to FILE (implies --push)
  --iidfile FILE            write the built image ID to FILE
  --dotenv FILE             write IMAGE_REPOSITORY, IMAGE_TAG, IMAGE_DIGEST as a dotenv
                            file (GitLab artifacts:reports:dotenv)
  -h, --help                this help

Registry credentials are not handled here: log in first, e.g.
  aws ecr get-login-password | buildah login --username AWS --password-stdin "\$ECR_REGISTRY"
USAGE
}

die() { echo "build-image: $*" >&2; exit 2; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }

registry="${IMAGE_REGISTRY:-${ECR_REGISTRY:-}}"
repository="${ECR_REPOSITORY:-mlops-inference-service}"
tags=()
commit="${GIT_COMMIT:-${CI_COMMIT_SHA:-}}"
build_time=""
version=""
source_url="${CI_PROJECT_URL:-}"
base_image=""
build_base_image=""
extra_args=()
platform="linux/amd64"
context="$repo_root"
dockerfile=""
target=""
layers=true
cache_from=""
cache_to=""
tls_verify=true
push=false
digestfile=""
iidfile=""
dotenv=""
storage_driver=""
no_cache=false

while [ $# -gt 0 ]; do
  case "$1" in
    --registry) need_value "$@"; registry="$2"; shift 2 ;;
    --repository) need_value "$@"; repository="$2"; shift 2 ;;
    --tag) need_value "$@"; tags+=("$2"); shift 2 ;;
    --commit) need_value "$@"; commit="$2"; shift 2 ;;
    --build-time) need_value "$@"; build_time="$2"; shift 2 ;;
    --version) need_value "$@"; version="$2"; shift 2 ;;
    --source) need_value "$@"; source_url="$2"; shift 2 ;;
    --base-image) need_value "$@"; base_image="$2"; shift 2 ;;
    --build-base-image) need_value "$@"; build_base_image="$2"; shift 2 ;;
    --build-arg) need_value "$@"; extra_args+=(--build-arg "$2"); shift 2 ;;
    --platform) need_value "$@"; platform="$2"; shift 2 ;;
    --context) need_value "$@"; context="$2"; shift 2 ;;
    --file) need_value "$@"; dockerfile="$2"; shift 2 ;;
    --target) need_value "$@"; target="$2"; shift 2 ;;
    --no-layers) layers=false; shift ;;
    --no-cache) no_cache=true; shift ;;
    --cache-from) need_value "$@"; cache_from="$2"; shift 2 ;;
    --cache-to) need_value "$@"; cache_to="$2"; shift 2 ;;
    --isolation) need_value "$@"; BUILDAH_ISOLATION="$2"; shift 2 ;;
    --storage-driver) need_value "$@"; storage_driver="$2"; shift 2 ;;
    --tls-verify) need_value "$@"; tls_verify="$2"; shift 2 ;;
    --tls-verify=*) tls_verify="${1#*=}"; shift ;;
    --push) push=true; shift ;;
    --digestfile) need_value "$@"; digestfile="$2"; push=true; shift 2 ;;
    --iidfile) need_value "$@"; iidfile="$2"; shift 2 ;;
    --dotenv) need_value "$@"; dotenv="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option \`$1\` (see --help)" ;;
  esac
done
export BUILDAH_ISOLATION
if [ -n "$storage_driver" ] && [ "$storage_driver" != "$STORAGE_DRIVER" ]; then
  # Point every buildah call of this run at a store with that driver.
  export STORAGE_DRIVER="$storage_driver"
  unset CONTAINERS_STORAGE_CONF
  . "$here/lib/buildah-env.sh"
fi

case "$tls_verify" in true | false) ;; *) die "--tls-verify must be true or false, got \`$tls_verify\`" ;; esac
[[ "$platform" =~ ^linux/(amd64|arm64)$ ]] ||
  die "--platform must be linux/amd64 or linux/arm64 (what onnxruntime-node ships), got \`$platform\`"
[[ "$repository" =~ ^[a-z0-9]+([._/-][a-z0-9]+)*$ ]] ||
  die "--repository must be a lowercase OCI repository name, got \`$repository\`"
[ -d "$context" ] || die "--context \`$context\` is not a directory"
dockerfile="${dockerfile:-$context/Dockerfile}"
[ -f "$dockerfile" ] || die "Dockerfile \`$dockerfile\` not found"
if [ "$push" = true ] && [ -z "$registry" ]; then
  die "--push needs --registry (or IMAGE_REGISTRY / ECR_REGISTRY)"
fi

if [ -z "$commit" ]; then
  commit="$(git -C "$context" rev-parse HEAD 2>/dev/null)" ||
    die "no commit: pass --commit SHA (or GIT_COMMIT), or run inside a git checkout"
fi
[[ "$commit" =~ ^[0-9a-f]{7,40}$ ]] || die "--commit must be a hex commit SHA, got \`$commit\`"
build_time="${build_time:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
if [ -z "$version" ]; then
  pkg_version="$(node -p 'require(process.argv[1]).version' "$context/service/package.json" 2>/dev/null || echo 0.0.0)"
  version="${pkg_version}+${commit:0:12}"
fi
[ ${#tags[@]} -gt 0 ] || tags=("$commit" latest)
for tag in "${tags[@]}"; do
  [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid tag \`$tag\`"
done

"$here/ensure-image-tools.sh"

name="${registry:-localhost}/$repository"
build_args=(
  --build-arg "GIT_COMMIT=$commit"
  --build-arg "BUILD_TIME=$build_time"
  --build-arg "VERSION=$version"
)
[ -n "$source_url" ] && build_args+=(--build-arg "SOURCE_URL=$source_url")
# The same values once more as buildah's own --env/--label, applied to the
# final image after the build: buildah 1.28's layer cache keys ENV/LABEL steps
# by their unexpanded text, so a cached layer from a build of the same sources
# with another commit would otherwise bake in that commit (seen here; the
# Dockerfile's ARG/ENV/LABEL stay for builders that key by value, e.g. BuildKit).
metadata=(
  --env "GIT_COMMIT=$commit"
  --env "BUILD_TIME=$build_time"
  --label "org.opencontainers.image.revision=$commit"
  --label "org.opencontainers.image.created=$build_time"
  --label "org.opencontainers.image.version=$version"
)
[ -n "$source_url" ] && metadata+=(--label "org.opencontainers.image.source=$source_url")
[ -n "$base_image" ] && build_args+=(--build-arg "BASE_IMAGE=$base_image")
[ -n "$build_base_image" ] && build_args+=(--build-arg "BUILD_BASE_IMAGE=$build_base_image")

bud=(buildah bud --file "$dockerfile" --platform "$platform" --format oci
  --pull=false --tls-verify="$tls_verify" --isolation "$BUILDAH_ISOLATION")
# --pull=false: pull a base only when it is missing; bases are pinned by
# digest, so a present one is already the right one.
[ "$layers" = true ] && bud+=(--layers)
[ "$no_cache" = true ] && bud+=(--no-cache)
[ -n "$target" ] && bud+=(--target "$target")
[ -n "$cache_from" ] && bud+=(--cache-from "$cache_from")
[ -n "$cache_to" ] && bud+=(--cache-to "$cache_to")
for tag in "${tags[@]}"; do bud+=(--tag "$name:$tag"); done
own_iidfile="$(mktemp)"
trap 'rm -f "$own_iidfile"' EXIT
bud+=(--iidfile "$own_iidfile" "${build_args[@]}" "${extra_args[@]}")
# Not for an intermediate --target (they are the final image's metadata).
[ -z "$target" ] && bud+=("${metadata[@]}")
bud+=("$context")

echo "build-image: building $name:${tags[0]} (commit $commit, $platform, storage $STORAGE_DRIVER)" >&2
"${bud[@]}" >&2
image_id="$(cat "$own_iidfile")"
[ -n "$iidfile" ] && cp "$own_iidfile" "$iidfile"

digest=""
if [ "$push" = true ]; then
  for tag in "${tags[@]}"; do
    tag_digestfile="$(mktemp)"
    buildah push --quiet --tls-verify="$tls_verify" --digestfile "$tag_digestfile" \
      "$name:$tag" "docker://$name:$tag" >&2
    tag_digest="$(cat "$tag_digestfile")"
    rm -f "$tag_digestfile"
    echo "build-image: pushed $name:$tag@$tag_digest" >&2
    # Every tag names the same manifest; a differing digest means a broken push.
    if [ -n "$digest" ] && [ "$digest" != "$tag_digest" ]; then
      echo "build-image: $name:$tag pushed as $tag_digest but ${tags[0]} as $digest" >&2
      exit 1
    fi
    digest="$tag_digest"
  done
  [ -n "$digestfile" ] && printf '%s\n' "$digest" >"$digestfile"
fi

if [ -n "$dotenv" ]; then
  {
    echo "IMAGE_REPOSITORY=$name"
    echo "IMAGE_TAG=${tags[0]}"
    echo "IMAGE_DIGEST=$digest"
  } >"$dotenv"
fi
echo "IMAGE=$name:${tags[0]}"
echo "IMAGE_ID=$image_id"
[ -n "$digest" ] && echo "IMAGE_DIGEST=$digest"
exit 0
