#!/usr/bin/env bash
# Starts a real, throw-away Kubernetes control plane on loopback ports only:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK with
# four fake nodes in two zones (topology.kubernetes.io/zone = zone-a/zone-b),
# so Deployments schedule, spread and turn Ready without a container runtime.
#
# Usage: scripts/k8s-up.sh [STATE_DIR]   (default: a new temp dir)
# Env: K8S_OWNER_PID=<pid> stops the control plane when that process exits.
# Prints STATE_DIR on stdout; STATE_DIR/kubeconfig is the admin kubeconfig,
# STATE_DIR/logs/ holds each component's log. Stop it with
# scripts/k8s-down.sh STATE_DIR. On any failure it prints the failing
# component's log, stops what it started and exits non-zero.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

for tool in curl openssl node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "k8s-up: '$tool' is missing; install it (Debian: apt-get install -y ${tool/node/nodejs}), then rerun" >&2
    exit 1
  fi
done
bin=$(bash "$repo/scripts/ensure-k8s.sh")
stages="$(dirname "$bin")/kwok-stages.yaml"

state=${1:-$(mktemp -d "${TMPDIR:-/tmp}/k8s-test.XXXXXX")}
mkdir -p "$state/logs" "$state/pki"
state=$(cd "$state" && pwd)
pki="$state/pki"
: >"$state/pids"

# On failure: show the last lines of every log, then stop everything.
cleanup_on_error() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "k8s-up: failed (exit $rc); component logs from $state/logs:" >&2
    for f in "$state"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "----- $(basename "$f") (last 40 lines)" >&2
      tail -n 40 "$f" >&2
    done
    bash "$repo/scripts/k8s-down.sh" "$state" >&2 || true
  fi
}
trap cleanup_on_error EXIT

. "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh" # free_port

# start NAME COMMAND...: runs a component in the background, logs to a file.
start() {
  local name=$1; shift
  "$@" >"$state/logs/$name.log" 2>&1 &
  echo "$name $!" >>"$state/pids"
}

# wait_for WHAT SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    # A component that exited will never become ready: say which, at once.
    local name pid
    while read -r name pid; do
      kill -0 "$pid" 2>/dev/null || { echo "k8s-up: $name exited while waiting for $what" >&2; return 1; }
    done <"$state/pids"
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "k8s-up: $what not ready after ${timeout}s" >&2
      return 1
    fi
    sleep 1
  done
}

# --- certificates: one CA; one admin cert (system:masters) that also serves
# the API on 127.0.0.1; a key pair for service-account tokens.
openssl_quiet() { openssl "$@" >/dev/null 2>&1; }
openssl_quiet req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mlops-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
cat >"$pki/admin.ext" <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1
EOF
openssl_quiet req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kubernetes-admin" \
  -keyout "$pki/admin.key" -out "$pki/admin.csr"
openssl_quiet x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
  -CAcreateserial -days 2 -extfile "$pki/admin.ext" -out "$pki/admin.crt"
openssl_quiet genrsa -out "$pki/sa.key" 2048
openssl_quiet rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

etcd_port=$(free_port)
etcd_peer_port=$(free_port)
api_port=$(free_port)
kcm_port=$(free_port)
scheduler_port=$(free_port)
kwok_port=$(free_port)
server="https://127.0.0.1:$api_port"

cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: test
  context:
    cluster: test
    user: admin
    namespace: default
current-context: test
EOF
kubeconfig="$state/kubeconfig"

# api GET|POST PATH [JSON]: talks to the API server as admin.
api() {
  local method=$1 path=$2
  shift 2
  curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    -X "$method" -H 'Content-Type: application/json' "$server$path" "$@"
}

# --- etcd (no fsync: the data dies with the test run anyway)
start etcd "$bin/etcd" --name test --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "test=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync
etcd_healthy() {
  local health
  health="$(curl -fsS "http://127.0.0.1:$etcd_port/health")" && grep -q '"health":"true"' <<<"$health"
}
wait_for etcd 60 etcd_healthy

# --- kube-apiserver. The advertised address is 127.0.0.1 and the endpoint
# reconciler is off: nothing outside this machine ever learns of the server.
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --endpoint-reconciler-type none \
  --cert-dir "$state/apiserver-certs" \
  --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key" \
  --client-ca-file "$pki/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode Node,RBAC
api_ready() { [ "$(api GET /readyz)" = ok ]; }
wait_for kube-apiserver 180 api_ready

# --- controllers and scheduler (single instances: no leader election)
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$state/kcm-certs" \
  --leader-elect=false \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --use-service-account-credentials=false
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$scheduler_port" --cert-dir "$state/scheduler-certs" \
  --leader-elect=false

# --- KWOK: plays the kubelet of every node. It renews each node's Lease only
# with a lease duration set (the kwok binary defaults to 0, i.e. no leases;
# kwokctl passes 40): without it the node controller marks every node NotReady
# ~50 s after start and every pod on it Ready=False, stopping rollouts that
# run longer than that (Argo CD's tests do).
start kwok "$bin/kwok" --kubeconfig "$kubeconfig" --config "$stages" \
  --manage-all-nodes=true --server-address "127.0.0.1:$kwok_port" --node-ip 127.0.0.1 \
  --node-lease-duration-seconds 40

wait_for kube-controller-manager 120 curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
wait_for kube-scheduler 120 curl -fsSk "https://127.0.0.1:$scheduler_port/healthz"

# Four fake nodes, two per zone, so topology spread constraints can be met.
for node in a1:zone-a a2:zone-a b1:zone-b b2:zone-b; do
  name="kwok-node-${node%%:*}"
  zone=${node#*:}
  api POST /api/v1/nodes -d "{
    \"apiVersion\": \"v1\", \"kind\": \"Node\",
    \"metadata\": {
      \"name\": \"$name\",
      \"annotations\": {\"kwok.x-k8s.io/node\": \"fake\"},
      \"labels\": {
        \"kubernetes.io/hostname\": \"$name\", \"kubernetes.io/os\": \"linux\", \"kubernetes.io/arch\": \"amd64\",
        \"type\": \"kwok\", \"topology.kubernetes.io/zone\": \"$zone\", \"topology.kubernetes.io/region\": \"local\"
      }
    },
    \"status\": {\"allocatable\": {\"cpu\": \"8\", \"memory\": \"32Gi\", \"pods\": \"110\"},
                 \"capacity\": {\"cpu\": \"8\", \"memory\": \"32Gi\", \"pods\": \"110\"}}
  }" >/dev/null
done
four_nodes_ready() {
  api GET /api/v1/nodes | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const ready = JSON.parse(s).items.filter((n) =>
        (n.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"));
      process.exit(ready.length >= 4 ? 0 : 1);
    });'
}
wait_for "4 Ready nodes" 120 four_nodes_ready
# Pods are admitted only once the namespace's default ServiceAccount exists.
wait_for "the default ServiceAccount" 120 api GET /api/v1/namespaces/default/serviceaccounts/default

# With K8S_OWNER_PID set (the test process), a watchdog stops everything
# once that process is gone, even if it was killed before its own cleanup.
if [ -n "${K8S_OWNER_PID:-}" ]; then
  (
    while kill -0 "$K8S_OWNER_PID" 2>/dev/null; do sleep 2; done
    bash "$repo/scripts/k8s-down.sh" "$state"
  ) </dev/null >/dev/null 2>&1 &
  echo "watchdog $!" >>"$state/pids"
fi

trap - EXIT
echo "k8s-up: control plane ready at $server (kubeconfig: $kubeconfig)" >&2
echo "$state"
