#!/usr/bin/env bash
# verify stage: one `deployctl verify --env` call makes every decision
# (docs/deployctl.md, "verify --env"): nothing to verify when the environment
# already runs a newer commit; otherwise wait until Argo CD has synced the
# release commit and is Healthy (if ARGOCD_SERVER is set; otherwise the
# webhook/polling syncs and verify simply waits longer), check that every
# replica serves this commit with correct golden predictions, and if not, roll
# the environment back with a new commit in Git, unless it has moved on to a
# newer release meanwhile. A failed verification fails the job either way.
#
# Where the service is: with EKS_CLUSTER_NAME, through the cluster's API
# server (its service proxy) as this job's CI role, whose access entry gives it
# only the environment's read-only verifier group (docs/contracts.md,
# "Verification through the Kubernetes API"): no ingress, no public endpoint.
# deployctl asks the AWS CLI for the endpoint, the CA and a token (renewed
# before it expires). Without it, SERVICE_URL (the local rehearsal's way).
. "$(dirname "$0")/lib.sh"
require CI_COMMIT_SHA CI_COMMIT_BRANCH DEPLOY_ENV ARGOCD_APP

# The rollback's credentials, set up before the call because deployctl decides
# whether to roll back: the write-back push, and AWS for the check that the
# previous release's image is still in ECR (and, with EKS_CLUSTER_NAME, the
# cluster's API).
setup_git_push
aws_assume_role

if [ -n "${EKS_CLUSTER_NAME:-}" ]; then
  target=(--eks-cluster "$EKS_CLUSTER_NAME" --region "$AWS_REGION")
elif [ -n "${SERVICE_URL:-}" ]; then
  target=(--url "$SERVICE_URL")
else
  die "neither EKS_CLUSTER_NAME nor SERVICE_URL is set: set EKS_CLUSTER_NAME (output ClusterName of MlopsCluster) to verify through the Kubernetes API, or SERVICE_URL_$(echo "$DEPLOY_ENV" | tr '[:lower:]' '[:upper:]') to a URL this runner reaches (docs/pipeline.md)" 2
fi

args=(--env "$DEPLOY_ENV" --branch "$CI_COMMIT_BRANCH" --commit "$CI_COMMIT_SHA"
  "${target[@]}" --app "$ARGOCD_APP"
  --wait-timeout "${WAIT_TIMEOUT_SECONDS:-600}"
  --timeout "${VERIFY_TIMEOUT_SECONDS:-${WAIT_TIMEOUT_SECONDS:-600}}")
# Default: the HPA minimum or replicaCount of the environment's values.
[ -n "${VERIFY_REPLICAS:-}" ] && args+=(--replicas "$VERIFY_REPLICAS")
deployctl verify "${args[@]}" --rollback-on-failure --allow-skip
