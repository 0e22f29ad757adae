#!/usr/bin/env bash
# timeline stage: the push-to-live timeline of this commit (commit → pipeline
# start → image pushed → release committed → synced → all replicas on the new
# version), from GitLab's predefined variables and the events the earlier jobs
# recorded in $DEPLOYCTL_EVENTS_FILE. The Markdown goes to the job log; the
# artifact is timeline.html, a self-contained page with the Gantt chart (one
# row per stage, the critical path marked) and the timeline's JSON inside it.
. "$(dirname "$0")/lib.sh"
deployctl timeline >timeline.md
deployctl timeline --html >timeline.html
cat timeline.md
