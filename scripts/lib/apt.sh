# Sourced by scripts/ensure-*.sh: the one way the project installs Debian
# packages, so every installer behaves the same on a fresh machine.
#
#   apt_ensure WHO COMMAND=PACKAGE...
#   apt_install WHO PACKAGE...   (for what is not a command: a library)
#
# Installs the packages whose commands are missing, and returns 0 when every
# command is there afterwards. Without root or apt-get it prints the exact
# command to run and returns 1; so does a failed install. apt runs under
# /tmp/apt.lock (several suites install at once and share one dpkg database);
# a first install that fails runs `apt-get update` once and tries again (a
# fresh machine has no package lists). No package's service is started
# (policy-rc.d answers 101): the tests run their own redis, registry and
# Prometheus on free loopback ports.
apt_ensure() {
  local who=$1 pair
  shift
  local -a missing=()
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 && continue
    # One package may provide several commands (prometheus: promtool too).
    [[ " ${missing[*]} " == *" ${pair#*=} "* ]] || missing+=("${pair#*=}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "$who" "${missing[@]}" || return 1
  for pair in "$@"; do
    if ! command -v "${pair%%=*}" >/dev/null 2>&1; then
      echo "$who: FAILED: \`${pair%%=*}\` is still missing; install it as root: apt-get update && apt-get install -y ${pair#*=}" >&2
      return 1
    fi
  done
}

apt_install() {
  local who=$1
  shift
  local hint="apt-get update && apt-get install -y --no-install-recommends $*"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$who: missing $*; install them as root: $hint" >&2
    return 1
  fi
  echo "$who: installing $* (Debian packages)" >&2
  DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock sh -c '
    policy=/usr/sbin/policy-rc.d
    created=""
    if [ ! -e "$policy" ]; then
      printf "#!/bin/sh\nexit 101\n" >"$policy" && chmod +x "$policy" && created=1
    fi
    status=0
    { apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y --no-install-recommends "$@" >/dev/null; }; } || status=$?
    [ -z "$created" ] || rm -f "$policy"
    exit $status
  ' sh "$@" || true
}
