#!/usr/bin/env bash
# timeline stage: the push-to-live timeline of this commit (commit → pipeline
# start → image pushed → release committed → synced → all replicas on the new
# version), from GitLab's predefined variables and the events the earlier jobs
# recorded in $DEPLOYCTL_EVENTS_FILE. Artifacts: timeline.md and timeline.json.
. "$(dirname "$0")/lib.sh"
deployctl timeline >timeline.md
deployctl timeline --json >timeline.json
cat timeline.md
