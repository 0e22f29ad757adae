#!/usr/bin/env bash
# The local rehearsal (`npm run pipeline:local`): runs the real .gitlab-ci.yml
# with gitlab-ci-local's shell executor against local counterparts of GitLab
# and ECR, twice:
#   1. push a commit → build → publish → release, then check that the registry
#      holds the image under the commit tag, that the remote's values file names
#      the commit in a release commit, and that the image serves that commit on
#      /version; then verify and timeline run against it;
#   2. push a code-only change (the original design's scenario 1, which never
#      redeployed there) and show the environment moving to the new commit.
# It prints each stage's duration. The check jobs are left out (SKIP_CHECKS):
# `npm test` runs the same suites anyway.
#
# Local counterparts (docs/pipeline.md, "Local rehearsal"):
#   GitLab repository    a bare git repository in a temp dir
#   GitLab CI/CD         gitlab-ci-local (shell executor) on a fresh clone per pipeline
#   ECR                  Debian's docker-registry on 127.0.0.1, plain HTTP, no login
#                        (LOCAL_REHEARSAL=true skips OIDC/ECR login)
#   Argo CD + EKS        a stand-in "sync": run the image named by the remote's values
#                        file with `buildah run` (the pipeline's wait step is skipped,
#                        as it is on GitLab without ARGOCD_SERVER)
#
# Environment: PIPELINE_LOCAL_SOURCE=head (default: the committed HEAD) or
# worktree (tracked and untracked, not ignored, files as they are now);
# PIPELINE_LOCAL_KEEP=1 keeps the temp dir. Exit 0 only if every check passed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=lib/buildah-env.sh
. scripts/lib/buildah-env.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
fail() { echo "pipeline-local: FAILED: $*" >&2; exit 1; }
ok() { echo "pipeline-local: ok: $*" >&2; }

for part in .gitlab-ci.yml scripts/build-image.sh Dockerfile deployctl/bin/deployctl.js helm/values-prod.yaml; do
  [ -e "$part" ] || fail "$part is missing: the rehearsal needs the image, chart and deployctl parts"
done
bash scripts/ensure-pipeline-tools.sh
bash scripts/ensure-image-tools.sh
[ -x node_modules/.bin/gitlab-ci-local ] || fail "gitlab-ci-local is not installed; run: npm ci"

work="$(mktemp -d /var/tmp/pipeline-local.XXXXXX)"
registry_pid=""
service_pid=""
service_ctr=""
# The stand-in service runs in its own session (setsid), so its whole process
# group (`buildah run` → buildah-chroot-exec → node) stops with one signal.
stop_service() {
  if [ -n "$service_pid" ]; then
    kill -TERM -- "-$service_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$service_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
    service_pid=""
  fi
  if [ -n "$service_ctr" ]; then buildah rm "$service_ctr" >/dev/null 2>&1 || true; service_ctr=""; fi
}

cleanup() {
  stop_service
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "${PIPELINE_LOCAL_KEEP:-}" = 1 ]; then echo "pipeline-local: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# gitlab-ci-local hands this shell's environment to the jobs. Run inside a
# real GitLab job (`test: [pipeline]`), GitLab's own CI_*/GITLAB_* variables
# would make the rehearsal's jobs believe they run on GitLab: drop them.
gcl() {
  local unset_args=() name
  for name in $(compgen -e); do
    case "$name" in CI_* | GITLAB_*) unset_args+=(-u "$name") ;; esac
  done
  env "${unset_args[@]}" "$root/node_modules/.bin/gitlab-ci-local" "$@"
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() { # URL SECONDS
  for _ in $(seq 1 "$(($2 * 5))"); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  return 1
}

# ------------------------------------------------------------- counterparts
say "stand-ins: base images, registry, remote"
eval "$(bash scripts/make-standin-base.sh | grep -E '^(RUNTIME|BUILDER)=')"

registry_port="$(free_port)"
registry="127.0.0.1:$registry_port"
cat >"$work/registry.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $work/registry-data }
  delete: { enabled: true }
http:
  addr: $registry
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
wait_http "http://$registry/v2/" 20 || { cat "$work/registry.log" >&2; fail "docker-registry did not start on $registry"; }
ok "registry (ECR stand-in) on http://$registry"

remote="$work/remote.git"
git init --quiet --bare --initial-branch=main "$remote"

# The developer's clone: the project as committed (or as it is in the work tree).
dev="$work/developer"
git init --quiet --initial-branch=main "$dev"
if [ "${PIPELINE_LOCAL_SOURCE:-head}" = worktree ]; then
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    rsync -a --from0 --files-from=- ./ "$dev/"
else
  git archive HEAD | tar -x -C "$dev"
fi
git -C "$dev" config user.name "Dev Eloper"
git -C "$dev" config user.email dev@example.com
git -C "$dev" add -A
git -C "$dev" commit --quiet -m "feat: the inference service, chart and pipeline"
git -C "$dev" remote add origin "$remote"

# One pipeline: a fresh checkout of the pushed commit (as a GitLab runner makes),
# then the jobs of .gitlab-ci.yml, one gitlab-ci-local call per job so each
# stage's duration is measured on its own.
timings="$work/timings"
: >"$timings"
gcl_vars=(
  --variable LOCAL_REHEARSAL=true
  --variable SKIP_CHECKS=true
  --variable "ECR_REGISTRY=$registry"
  --variable REGISTRY_TLS_VERIFY=false
  --variable "BASE_IMAGE=$RUNTIME"
  --variable "BUILD_BASE_IMAGE=$BUILDER"
  --variable VERIFY_REPLICAS=1
  --variable VERIFY_TIMEOUT_SECONDS=120
)
run_pipeline() { # NAME SHA
  local name=$1 sha=$2 checkout="$work/checkout-$1"
  git clone --quiet "$remote" "$checkout"
  git -C "$checkout" checkout --quiet "$sha"
  git -C "$checkout" checkout --quiet -B main "$sha"
  git -C "$checkout" branch --quiet --set-upstream-to=origin/main main
  git -C "$checkout" config user.name "GitLab CI (pipeline)"
  git -C "$checkout" config user.email ci@example.com
  # gitlab-ci-local derives the project path from this remote; origin stays the bare repo.
  git -C "$checkout" remote add gcl-origin https://gitlab.example.com/group/mlops-inference-chain.git
  # The installed dependencies, hard-linked: `npm ci` would give the same tree.
  cp -al node_modules "$checkout/node_modules"
  for ws in service training deployctl infra; do
    [ -d "$ws/node_modules" ] && cp -al "$ws/node_modules" "$checkout/$ws/node_modules"
  done
  shift 2
  # One GitLab pipeline, several gitlab-ci-local calls: pin the pipeline's own
  # times so the timeline measures from the push, not from each call.
  pipeline_vars=(
    --variable "CI_COMMIT_TIMESTAMP=$(git -C "$checkout" log -1 --format=%cI "$sha")"
    --variable "CI_PIPELINE_CREATED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  )
  for job in "$@"; do
    say "pipeline $name: job $job"
    local start end
    start=$(date +%s.%N)
    (cd "$checkout" && gcl --force-shell-executor --no-color \
      "${gcl_vars[@]}" "${extra_vars[@]}" "${pipeline_vars[@]}" "$job") || fail "job $job of pipeline $name failed"
    end=$(date +%s.%N)
    awk -v n="$name" -v j="$job" -v s="$start" -v e="$end" 'BEGIN { printf "%s %s %.1f\n", n, j, e - s }' >>"$timings"
  done
}

# The environment as Argo CD + EKS would run it: the image that the remote's
# values file names, started with buildah (chroot isolation, host network).
service_port="$(free_port)"
# Runs in this shell (never in $(...)), so the service's pid and container
# stay known for the next sync and for cleanup; sets served_version.
served_version=""
sync_environment() {
  local tag repo
  tag="$(npx --no-install deployctl status --env prod --cwd "$dev" --get image.tag)"
  repo="$registry/mlops-inference-service"
  stop_service
  service_ctr="$(buildah from --quiet --pull-always --tls-verify=false "docker://$repo:$tag")"
  local user workdir
  user="$(buildah inspect --format '{{.OCIv1.Config.User}}' "$service_ctr")"
  workdir="$(buildah inspect --format '{{.OCIv1.Config.WorkingDir}}' "$service_ctr")"
  # A fresh port per sync: a new pod, and an old process can never answer for it.
  service_port="$(free_port)"
  setsid buildah run --isolation chroot --network host --user "${user:-10001}" --workingdir "${workdir:-/app}" \
    --env PORT="$service_port" --env METRICS_PORT=0 --env HOST=127.0.0.1 --env INSTANCE_ID="rehearsal-$tag" \
    --env SHUTDOWN_DRAIN_DELAY_SECONDS=0 \
    "$service_ctr" -- node service/dist/server.js >"$work/service-$tag.log" 2>&1 &
  service_pid=$!
  wait_http "http://127.0.0.1:$service_port/readyz" 120 || { tail -n 30 "$work/service-$tag.log" >&2; fail "the image $repo:$tag did not become ready"; }
  served_version="$(curl -fsS "http://127.0.0.1:$service_port/version")"
}

check_release() { # SHA PIPELINE: the three checks of a released commit
  local sha=$1 checkout="$work/checkout-$2" tags subject trailer tag version
  tags="$(curl -fsS "http://$registry/v2/mlops-inference-service/tags/list")"
  grep -q "\"$sha\"" <<<"$tags" || fail "the registry has no tag $sha ($tags)"
  grep -q '"latest"' <<<"$tags" || fail "the registry has no tag latest ($tags)"
  ok "registry holds mlops-inference-service:$sha (and :latest)"

  subject="$(git --git-dir="$remote" log -1 --format=%s main)"
  trailer="$(git --git-dir="$remote" log -1 --format='%(trailers:key=Release-Commit,valueonly)' main | tr -d '[:space:]')"
  [[ "$subject" == "release(prod): "* ]] || fail "the remote's main does not end in a release commit: $subject"
  [ "$trailer" = "$sha" ] || fail "the release commit names $trailer, not $sha"
  tag="$(git --git-dir="$remote" show main:helm/values-prod.yaml | grep -E '^\s+tag:' | head -1)"
  grep -q "$sha" <<<"$tag" || fail "helm/values-prod.yaml on main has $tag, not $sha"
  ok "remote main: \`$subject\` sets image.tag to $sha"

  sync_environment
  version="$served_version"
  grep -q "\"commit\":\"$sha\"" <<<"$version" || fail "the image serves /version $version, not commit $sha"
  ok "the image serves /version with commit $sha: $version"
  # What `deployctl wait` records on GitLab; here the stand-in sync is the event.
  (cd "$checkout" && DEPLOYCTL_EVENTS_FILE=.deployctl/events.jsonl npx --no-install deployctl timeline \
    --record synced --data source=rehearsal-stand-in-sync --data "image=$sha" >/dev/null)
}

# Does .gitlab-ci.yml start a pipeline for the remote's newest commit (a
# release commit)? gitlab-ci-local 4.72.0 ignores workflow:rules' `when: never`,
# so the workflow rules run as the rules of a probe job (test/pipeline does the same).
check_no_pipeline_for_release_commit() {
  local probe="$work/probe" message
  mkdir -p "$probe"
  message="$(git --git-dir="$remote" log -1 --format=%B main)"
  (cd "$probe" && git init --quiet && git commit --quiet --allow-empty -m probe &&
    node -e '
      const y = require(process.argv[1] + "/node_modules/yaml");
      const ci = y.parse(require("fs").readFileSync(process.argv[1] + "/.gitlab-ci.yml", "utf8"));
      const rules = ci.workflow.rules.map((r) => ({ ...r, when: r.when === "never" ? "never" : "on_success" }));
      require("fs").writeFileSync(".gitlab-ci.yml", y.stringify({ probe: { script: ["true"], rules } }));
    ' "$root")
  local listed
  listed="$(cd "$probe" && gcl --list --no-color \
    --variable CI_COMMIT_BRANCH=main --variable "CI_COMMIT_MESSAGE=$message" 2>/dev/null | grep -c '^probe' || true)"
  [ "$listed" = 0 ] || fail "the workflow rules would start a pipeline for the release commit"
  ok "no pipeline for the release commit ($(head -1 <<<"$message"))"
}

# ------------------------------------------------------------ pipeline 1
say "push 1: the project → main"
git -C "$dev" push --quiet origin main
sha1="$(git -C "$dev" rev-parse HEAD)"
extra_vars=(--variable "SERVICE_URL_PROD=http://127.0.0.1:$service_port")
run_pipeline 1 "$sha1" build-image publish-image release-prod
say "checks after pipeline 1"
check_release "$sha1" 1
check_no_pipeline_for_release_commit
run_pipeline_tail() { # NAME: verify and timeline against the synced environment
  local checkout="$work/checkout-$1"
  extra_vars=(--variable "SERVICE_URL_PROD=http://127.0.0.1:$service_port")
  for job in verify-prod timeline; do
    say "pipeline $1: job $job"
    local start end
    start=$(date +%s.%N)
    (cd "$checkout" && gcl --force-shell-executor --no-color \
      "${gcl_vars[@]}" "${extra_vars[@]}" "${pipeline_vars[@]}" "$job") || fail "job $job of pipeline $1 failed"
    end=$(date +%s.%N)
    awk -v n="$1" -v j="$job" -v s="$start" -v e="$end" 'BEGIN { printf "%s %s %.1f\n", n, j, e - s }' >>"$timings"
  done
  cat "$checkout/timeline.md" >&2
}
run_pipeline_tail 1

# ------------------------------------------------------------ pipeline 2
say "push 2: a code-only change (scenario 1)"
git -C "$dev" pull --quiet --rebase origin main
printf '\n// Rehearsal: a code-only change (%s).\n' "$(date -u +%FT%TZ)" >>"$dev/service/src/server.ts"
git -C "$dev" commit --quiet -am "fix: a code-only change"
git -C "$dev" push --quiet origin main
sha2="$(git -C "$dev" rev-parse HEAD)"
[ "$sha2" != "$sha1" ] || fail "the code change made no new commit"
run_pipeline 2 "$sha2" build-image publish-image release-prod
say "checks after pipeline 2"
check_release "$sha2" 2
ok "the environment moved from $sha1 to $sha2 on a code-only change"
run_pipeline_tail 2

say "stage durations (seconds)"
awk 'BEGIN { printf "%-9s %-15s %8s\n", "pipeline", "job", "seconds" } { printf "%-9s %-15s %8s\n", $1, $2, $3 }' "$timings" >&2
echo "pipeline-local: all checks passed" >&2
