#!/usr/bin/env bash
# Starts the real Argo CD against a control plane from scripts/k8s-up.sh:
# Redis, the repo server, the application controller and the API server, as
# local processes on 127.0.0.1 (the way Argo CD's own Procfile runs them for
# development: ARGOCD_FAKE_IN_CLUSTER makes `https://kubernetes.default.svc`
# mean the cluster of $KUBECONFIG). The cluster side (namespace, CRDs, RBAC,
# config maps, argocd-secret) is installed first from the release's own
# manifests (scripts/argocd/install.ts); each component talks to the API server
# with its own ServiceAccount's token.
#
# Usage: scripts/argocd-up.sh STATE_DIR   (the directory k8s-up.sh printed)
# Env:   ARGOCD_WEBHOOK_GITLAB_SECRET  webhook.gitlab.secret (X-Gitlab-Token)
#        ARGOCD_RECONCILIATION         timeout.reconciliation, the Git polling
#                                      interval (Argo CD's default: 180s)
# Writes STATE_DIR/argocd/env (ARGOCD_SERVER=http://127.0.0.1:PORT, the admin
# password, ...) and prints its path. The processes join STATE_DIR/pids, so
# scripts/k8s-down.sh stops them (before the API server) and the k8s-up.sh
# watchdog covers them too. On failure it prints the Argo CD logs and exits
# non-zero, leaving the control plane to its owner.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=$(cd "${1:?usage: scripts/argocd-up.sh STATE_DIR (from scripts/k8s-up.sh)}" && pwd)
[ -s "$state/kubeconfig" ] || { echo "argocd-up: $state/kubeconfig is missing; start the control plane with scripts/k8s-up.sh" >&2; exit 1; }

cache=$(bash "$repo/scripts/ensure-argocd.sh")
helm=$(bash "$repo/scripts/ensure-helm.sh")
bin="$cache/bin"
dir="$state/argocd"
mkdir -p "$dir/logs" "$dir/tmp" "$dir/tls" "$dir/ssh" "$dir/gpg" "$dir/helm"
: >"$dir/pids"

on_error() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "argocd-up: failed (exit $rc); logs from $dir/logs:" >&2
    for f in "$dir"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "----- $(basename "$f") (last 40 lines)" >&2
      tail -n 40 "$f" >&2
    done
  fi
}
trap on_error EXIT

. "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh" # free_port
# start NAME COMMAND...: a component in the background; its pid joins the
# control plane's list (stopped in reverse order) and our own.
start() {
  local name=$1; shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo "argocd-$name $!" >>"$state/pids"
  echo "$name $!" >>"$dir/pids"
}
wait_for() { # WHAT SECONDS COMMAND...
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout)) name pid
  until "$@" >/dev/null 2>&1; do
    while read -r name pid; do
      kill -0 "$pid" 2>/dev/null || { echo "argocd-up: $name exited while waiting for $what" >&2; return 1; }
    done <"$dir/pids"
    [ "$SECONDS" -lt "$deadline" ] || { echo "argocd-up: $what not ready after ${timeout}s" >&2; return 1; }
    sleep 0.5
  done
}

redis_port=$(free_port)
repo_port=$(free_port)
repo_metrics_port=$(free_port)
controller_metrics_port=$(free_port)
server_port=$(free_port)
server_metrics_port=$(free_port)
server_url="http://127.0.0.1:$server_port"

echo "argocd-up: installing CRDs, RBAC and config into namespace argocd" >&2
ARGOCD_URL="$server_url" "$repo/node_modules/.bin/tsx" "$repo/scripts/argocd/install.ts" \
  "$state/kubeconfig" "$cache" "$dir" >"$dir/logs/install.log" 2>&1

# What every component shares: the namespace, where its local data lives
# (normally config maps mounted into the pod), and a TMPDIR that dies with the run.
common_env=(
  ARGOCD_FAKE_IN_CLUSTER=true
  ARGOCD_TLS_DATA_PATH="$dir/tls" ARGOCD_SSH_DATA_PATH="$dir/ssh"
  ARGOCD_GNUPGHOME="$dir/gpg" ARGOCD_GPG_DATA_PATH="$dir/gpg" ARGOCD_GPG_ENABLED=false
  TMPDIR="$dir/tmp" HOME="$dir"
)
# argocd-cm's timeout.reconciliation reaches the controller (app resync) and
# the repo server (revision cache) as this variable, as the release's
# manifests map it (configMapKeyRef); the binaries read only the variable.
if [ -n "${ARGOCD_RECONCILIATION:-}" ]; then
  common_env+=(ARGOCD_RECONCILIATION_TIMEOUT="$ARGOCD_RECONCILIATION")
fi

# Redis: Argo CD's cache (manifests, app state). No persistence, loopback only.
start redis redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --protected-mode yes --dir "$dir/tmp"
wait_for redis 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port"

# The repo server renders the chart with the real helm and reads Git with
# the real git; git asks `argocd` (as argocd-git-ask-pass) for credentials
# over a socket that must not collide with another run's. No mTLS to it
# (loopback, plain gRPC): the client CA path defaults to a pod's mount.
start repo-server env "${common_env[@]}" PATH="$bin:$(dirname "$helm"):$PATH" \
  ARGOCD_ASK_PASS_SOCK="$dir/askpass.sock" \
  HELM_CACHE_HOME="$dir/helm/cache" HELM_CONFIG_HOME="$dir/helm/config" HELM_DATA_HOME="$dir/helm/data" \
  "$bin/argocd-repo-server" --address 127.0.0.1 --port "$repo_port" \
  --metrics-address 127.0.0.1 --metrics-port "$repo_metrics_port" \
  --redis "127.0.0.1:$redis_port" --disable-tls --client-ca-path '' --loglevel info
wait_for repo-server 60 curl -fsS "http://127.0.0.1:$repo_metrics_port/healthz"

# The controller's metrics/healthz listener binds 0.0.0.0 (hard-coded in
# controller/appcontroller.go; no flag): the one port not on loopback only.
start application-controller env "${common_env[@]}" KUBECONFIG="$dir/argocd-application-controller.kubeconfig" \
  "$bin/argocd-application-controller" --namespace argocd \
  --redis "127.0.0.1:$redis_port" --repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
  --metrics-port "$controller_metrics_port" --loglevel info
wait_for application-controller 60 curl -fsS "http://127.0.0.1:$controller_metrics_port/healthz"

# The API server: plain HTTP (--insecure; TLS ends at the load balancer in
# production), the same REST and webhook endpoints.
start server env "${common_env[@]}" KUBECONFIG="$dir/argocd-server.kubeconfig" \
  "$bin/argocd-server" --namespace argocd --insecure --address 127.0.0.1 --port "$server_port" \
  --metrics-port "$server_metrics_port" \
  --redis "127.0.0.1:$redis_port" --repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
  --loglevel info
wait_for server 60 curl -fsS "$server_url/healthz?full=true"

# argocd-server writes the generated admin password at first start.
admin_password=""
read_admin_password() {
  admin_password=$(curl -fsS --cacert "$state/pki/ca.crt" --cert "$state/pki/admin.crt" --key "$state/pki/admin.key" \
    "$(sed -n 's/^ *server: //p' "$state/kubeconfig")/api/v1/namespaces/argocd/secrets/argocd-initial-admin-secret" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(Buffer.from(JSON.parse(s).data.password,"base64").toString())})')
  [ -n "$admin_password" ]
}
wait_for "the initial admin password" 30 read_admin_password

cat >"$dir/env" <<EOF
ARGOCD_SERVER=$server_url
ARGOCD_ADMIN_PASSWORD=$admin_password
ARGOCD_BIN=$bin/argocd
ARGOCD_REDIS=127.0.0.1:$redis_port
ARGOCD_REPO_SERVER=127.0.0.1:$repo_port
ARGOCD_CONTROLLER_METRICS=http://127.0.0.1:$controller_metrics_port
ARGOCD_LOGS=$dir/logs
EOF
chmod 600 "$dir/env"
trap - EXIT
echo "argocd-up: Argo CD $("$bin/argocd" version --client --short 2>/dev/null | head -1) ready at $server_url" >&2
echo "$dir/env"
