#!/usr/bin/env bash
# Runs a command inside what the test suites and benchmarks need around them:
# a scratch folder for their SQLite databases and files (TMPDIR) and, unless
# TEST_POSTGRES_URL names a server, a throw-away Postgres cluster. Both are
# removed when the command ends.
#   .ci/with-databases.sh cargo test --workspace
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
export TMPDIR=$scratch
started_postgres=""
cleanup() {
  if [ -n "$started_postgres" ]; then .ci/postgres.sh stop; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  eval "$(.ci/postgres.sh start)"
  started_postgres=1
fi
"$@"
