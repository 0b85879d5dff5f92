#!/usr/bin/env bash
# `make bench`: every benchmark, each beside its reference in the same run,
# then BENCHMARKS.md rewritten with the table, the machine and the commit.
# Each benchmark prints its rows as `| what | measured | ratio or goal |`.
# Runs inside .ci/with-databases.sh (Postgres at TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/report.sh

run cargo bench -p invoice --features pdf --bench pdf
run cargo bench -p invoice --features pdf --bench fatturapa
# Tracking accuracy: the visitors' corpus through the edge and ingest, both engines.
run cargo test -p server --test corpus -- --nocapture
for bench in invoice_list event_ingest email_dispatch; do
  run cargo bench -p server --bench "$bench"
done
for bench in invoice_list event_ingest email_dispatch; do
  run env BENCH_DATABASE_URL="$TEST_POSTGRES_URL" cargo bench -p server --bench "$bench"
done
run node end2end/bench-edge.mjs
run node end2end/bench-load.mjs

# The admin's first load per page and the invoice list's time to
# interactive under Slow 4G, beside the admin before islands (built once by
# .ci/bench-baseline.sh, which `make bench` runs before the current build).
run env BENCH_BASELINE_DIR="$(.ci/bench-baseline.sh)" BENCH_BASELINE_COMMIT="${BASELINE_COMMIT:-c1d5994}" node end2end/bench-admin.mjs

{
  echo "# Benchmarks"
  echo
  echo "The latest \`make bench\`, written by it (\`.ci/bench.sh\`). Every figure is"
  echo "a median of several rounds, measured beside its reference in the same run"
  echo "on the same machine: on shared, noisy machines the ratios carry over,"
  echo "absolute times do not."
  echo
  machine_summary
  echo
  table Benchmark Measured "Ratio / goal"
  echo
  echo "## Reproduce"
  echo
  echo "\`make bench\` on a fresh clone: it installs what it needs, builds in"
  echo "release mode and rewrites this file. One benchmark alone:"
  echo
  echo "- PDF: \`cargo bench -p invoice --features pdf --bench pdf\`"
  echo "- FatturaPA XML and its XSD validation beside the PDF: \`cargo bench -p invoice --features pdf --bench fatturapa\`"
  echo "- tracking accuracy: \`.ci/with-databases.sh cargo test -p server --test corpus -- --nocapture\`"
  echo "  (the cases are server/tests/corpus/visitors.json, each with its public source)"
  echo "- invoice list, event ingest, email dispatch: \`cargo bench -p server --bench <name>\`"
  echo "  (SQLite), with \`BENCH_DATABASE_URL=postgres://…\` for Postgres"
  echo "- edge page and worker size: \`make build-edge && node end2end/bench-edge.mjs\`"
  echo "- load test (wrk) of the customer page and event ingest: \`make build && node end2end/bench-load.mjs\`"
  echo "- admin first load per page and the invoice list's time to interactive (Slow 4G), beside the admin"
  echo "  before islands: \`cargo leptos build --release --precompress --split && INVIO_SERVER_PROFILE=release"
  echo "  BENCH_BASELINE_DIR=\$(.ci/bench-baseline.sh) node end2end/bench-admin.mjs\`"
} >BENCHMARKS.md
echo "wrote BENCHMARKS.md"
