#!/usr/bin/env bash
# Installs what the write-back-over-SSH tests run (test/support/git-ssh-server.ts):
# Debian's openssh-server, whose /usr/sbin/sshd the tests start themselves on
# 127.0.0.1 (never as the Debian service), and libnss-wrapper, which lets that
# sshd know a `git` account (GitLab's SSH user) without adding one to this
# machine. Idempotent and instant when both are present (scripts/lib/apt.sh).
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"

install_hint="apt-get update && apt-get install -y --no-install-recommends openssh-server libnss-wrapper"

have_all() { [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1 && ls /usr/lib/*/libnss_wrapper.so >/dev/null 2>&1; }

if have_all; then
  exit 0
fi

# No ssh service starts on port 22 (scripts/lib/apt.sh): the tests run
# /usr/sbin/sshd themselves on a free loopback port with their own host key.
apt_install ensure-sshd openssh-server libnss-wrapper || exit 1

if ! have_all; then
  echo "ensure-sshd: FAILED: /usr/sbin/sshd or libnss_wrapper.so still missing; install them with: $install_hint" >&2
  exit 1
fi
