#!/usr/bin/env bash
# The pipeline's first job: `deployctl doctor --pipeline` checks what a job
# without an environment can see, for the environment of this branch, and
# lists what only the deployment jobs can check (docs/deployctl.md, "doctor").
# Nothing to require here: reporting what is missing is doctor's job.
. "$(dirname "$0")/lib.sh"
deployctl doctor --pipeline
