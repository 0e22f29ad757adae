#!/usr/bin/env bash
# Installs what the write-back-over-SSH tests run (test/support/git-ssh-server.ts):
# Debian's openssh-server, whose /usr/sbin/sshd the tests start themselves on
# 127.0.0.1 (never as the Debian service), and libnss-wrapper, which lets that
# sshd know a `git` account (GitLab's SSH user) without adding one to this
# machine. Idempotent and instant when both are present; apt runs under
# /tmp/apt.lock because several engineers and suites share this machine's dpkg database.
set -euo pipefail

install_hint="apt-get update && apt-get install -y --no-install-recommends openssh-server libnss-wrapper"

have_all() { [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1 && ls /usr/lib/*/libnss_wrapper.so >/dev/null 2>&1; }

if have_all; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-sshd: sshd or nss_wrapper missing; run as root: $install_hint" >&2
  exit 1
fi

echo "ensure-sshd: installing Debian's openssh-server and libnss-wrapper" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101 keeps dpkg from starting the ssh service on port 22: the tests
# run /usr/sbin/sshd themselves on a free loopback port with their own host key.
flock /tmp/apt.lock sh -c '
  policy=/usr/sbin/policy-rc.d
  created=""
  if [ ! -e "$policy" ]; then
    printf "#!/bin/sh\nexit 101\n" >"$policy" && chmod +x "$policy" && created=1
  fi
  status=0
  { apt-get install -y --no-install-recommends openssh-server libnss-wrapper >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y --no-install-recommends openssh-server libnss-wrapper
  }; } || status=$?
  [ -z "$created" ] || rm -f "$policy"
  exit $status
' || true

if ! have_all; then
  echo "ensure-sshd: FAILED: /usr/sbin/sshd or libnss_wrapper.so still missing; install them with: $install_hint" >&2
  exit 1
fi
