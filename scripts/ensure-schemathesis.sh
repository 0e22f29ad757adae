#!/usr/bin/env bash
# Makes sure schemathesis (PyPI) at the pinned version is installed in its own venv under
# ${XDG_CACHE_HOME:-$HOME/.cache}/mlops-inference-chain/schemathesis/<version>/ and prints
# the path of its `st` binary. Instant when present. The service tests
# (service/test/schemathesis.test.ts) fuzz /openapi.json with it.
set -euo pipefail

# Pinned (scripts/lib/tool-versions.sh): a new schemathesis release adds checks and
# generation strategies, so an unpinned one could turn the suite red on a commit
# that changed nothing.
. "$(dirname "$0")/lib/tools.sh" # SCHEMATHESIS_VERSION, tools_cache

cache="$tools_cache/schemathesis/$SCHEMATHESIS_VERSION"
st="$cache/venv/bin/st"

# A complete install writes this marker last, so a half-finished one is redone, not trusted.
if [ -f "$cache/.installed" ] && [ -x "$st" ]; then
  echo "$st"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-schemathesis: python3 is missing; install it (Debian: apt-get install -y python3 python3-venv)" >&2
  exit 1
fi

# Debian splits venv/ensurepip into python3-venv; without it `python3 -m venv` fails.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  pkg="python$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-schemathesis: python3 cannot create venvs; install it with: sudo apt-get install -y python3-venv $pkg" >&2
    exit 1
  fi
  echo "ensure-schemathesis: installing python3-venv (apt-get)..." >&2
  # Other jobs on this machine use apt too: one at a time.
  flock /tmp/apt.lock bash -c "
    { apt-get install -y -qq python3-venv $pkg || apt-get install -y -qq python3-venv ||
      { apt-get update -qq && apt-get install -y -qq python3-venv $pkg; } ||
      apt-get install -y -qq python3-venv; } >/dev/null
  " || {
    echo "ensure-schemathesis: FAILED: apt-get install -y python3-venv; run: apt-get update && apt-get install -y python3-venv" >&2
    exit 1
  }
fi

# Two suites may call this at once: one installs, the other waits and reuses it.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$cache/.installed" ] || [ ! -x "$st" ]; then
  echo "ensure-schemathesis: installing schemathesis==$SCHEMATHESIS_VERSION into $cache/venv (once)" >&2
  rm -rf "$cache/venv"
  python3 -m venv "$cache/venv"
  if ! "$cache/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2; then
    echo "ensure-schemathesis: FAILED: pip install schemathesis==$SCHEMATHESIS_VERSION (is PyPI reachable?)" >&2
    exit 1
  fi
  "$st" --version >/dev/null
  touch "$cache/.installed"
fi
echo "$st"
