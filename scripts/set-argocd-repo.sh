#!/usr/bin/env bash
# Points every manifest in argocd/ at your GitLab project: the Applications'
# spec.source.repoURL and the AppProjects' sourceRepos (root.yaml's mlops-root too; the
# locked `default` project lists none and stays so). Run once after forking,
# commit, push (docs/pipeline.md, "Set up on GitLab and AWS"). The infra stack
# applies argocd/root.yaml with its own gitRepoUrl; this makes the Applications
# that root syncs from Git agree with it.
#   scripts/set-argocd-repo.sh https://gitlab.com/my-group/mlops-inference-chain.git
set -euo pipefail
dir="${ARGOCD_DIR:-$(cd "$(dirname "$0")/.." && pwd)/argocd}"
url="${1:-}"
if ! [[ "$url" =~ ^https://[^[:space:]/]+/[^[:space:]]+\.git$ ]]; then
  echo "usage: scripts/set-argocd-repo.sh https://<gitlab host>/<group>/<project>.git (got \`$url\`)" >&2
  echo "Argo CD reads the repository over https with a deploy token (infra/README.md)." >&2
  exit 2
fi
current="$(sed -nE 's/^[[:space:]]*repoURL:[[:space:]]*(\S+)[[:space:]]*$/\1/p' "$dir/application.yaml" | head -n1)"
[ -n "$current" ] || { echo "set-argocd-repo: no repoURL in $dir/application.yaml" >&2; exit 1; }
if [ "$current" = "$url" ]; then
  echo "set-argocd-repo: argocd/ already points at $url"
  exit 0
fi
# Replace the exact current URL only: a literal match, never a pattern.
for file in "$dir"/*.yaml; do
  CURRENT="$current" URL="$url" perl -pi -e 's/\Q$ENV{CURRENT}\E/$ENV{URL}/g' "$file"
done
left="$(grep -l -F -- "$current" "$dir"/*.yaml || true)"
[ -z "$left" ] || { echo "set-argocd-repo: $current is still in $left" >&2; exit 1; }
echo "set-argocd-repo: argocd/ now points at $url (was $current); commit and push it"
