#!/usr/bin/env bash
# `make faults`: the full fault suite, each case ending with what was lost and
# what was doubled, then FAULTS.md rewritten with the table, the machine and
# the commit. Each case prints its row as `| fault | lost | doubled |`.
# Runs inside .ci/with-databases.sh, on a cluster of its own: one case restarts it.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/report.sh

export FAULTS_FULL=1
run cargo test -p server --test faults -- --nocapture --test-threads=1
run bash -c 'cd end2end && npx playwright test tests/faults.spec.ts'

{
  echo "# Faults"
  echo
  echo "The latest \`make faults\`, written by it (\`.ci/faults.sh\`): each fault"
  echo "injected into the running system, then what was lost and what was doubled"
  echo "counted from what the mail sink received and what the database recorded."
  echo "Both must be 0, except emails in flight when the server is killed, which"
  echo "are sent again (at-least-once delivery): their number is bounded by the"
  echo "dispatcher's concurrency, and the suite fails beyond that bound."
  echo
  machine_summary
  echo
  table Fault Lost Doubled
  echo
  echo "## Reproduce"
  echo
  echo "\`make faults\` on a fresh clone rewrites this file; \`make test\` runs a"
  echo "short version of the same cases. The cases are in \`server/tests/faults.rs\`"
  echo "and \`end2end/tests/faults.spec.ts\`."
} >FAULTS.md
echo "wrote FAULTS.md"
