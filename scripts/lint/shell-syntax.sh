#!/usr/bin/env bash
# Part of `npm run lint`: every shell script of the repository parses (`bash -n`).
# Bash reads a script as it runs it, so a syntax error on a line that a run
# does not reach stays hidden: install-deps.sh's `npm ci` line had one that only
# a job without node_modules (every fresh GitLab runner) would hit.
set -euo pipefail
cd "$(dirname "$0")/../.."
failed=0
checked=0
while IFS= read -r -d '' script; do
  checked=$((checked + 1))
  bash -n "$script" || failed=$((failed + 1))
done < <(find . \( -name node_modules -o -name .git -o -name cdk.out -o -name dist \) -prune -o -name '*.sh' -type f -print0)
if [ "$failed" -gt 0 ]; then
  echo "shell-syntax: $failed of $checked shell scripts do not parse (bash -n, above)" >&2
  exit 1
fi
echo "shell-syntax: $checked shell scripts parse"
