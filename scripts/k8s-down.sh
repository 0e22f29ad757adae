#!/usr/bin/env bash
# Stops a control plane started by scripts/k8s-up.sh and deletes its state
# directory (set K8S_KEEP_STATE=1 to keep the logs for a post-mortem).
# Usage: scripts/k8s-down.sh STATE_DIR. Safe to run twice.
set -euo pipefail
state=${1:?usage: scripts/k8s-down.sh STATE_DIR (the directory k8s-up.sh printed)}
[ -d "$state" ] || exit 0

pids=()
if [ -f "$state/pids" ]; then
  # Reverse start order: KWOK and the controllers go before the API server,
  # the API server before etcd.
  # When the watchdog runs this script, the watchdog's pid may be this very
  # process (bash execs a subshell's last command): never signal ourselves.
  while read -r _name pid; do
    if [ "$pid" != "$$" ] && [ "$pid" != "$PPID" ]; then pids=("$pid" "${pids[@]}"); fi
  done <"$state/pids"
fi
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
# Give them 15 s to exit cleanly, then force.
for _ in $(seq 1 30); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ "$alive" -eq 0 ] && break
  sleep 0.5
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done

if [ "${K8S_KEEP_STATE:-0}" = 1 ]; then
  echo "k8s-down: stopped; state kept in $state" >&2
else
  rm -rf "$state"
fi
