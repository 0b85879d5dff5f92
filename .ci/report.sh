# Sourced by .ci/bench.sh and .ci/faults.sh: collects the `| … |` rows a
# suite prints and writes them as a Markdown report with the machine, the
# tools and the commit it ran on.

rows=$(mktemp)
# The tree as the run found it: the report it writes must not count itself.
run_commit=$(git rev-parse --short HEAD)
run_changes=$(git diff --quiet HEAD || echo ' (with uncommitted changes)')
trap 'rm -f "$rows"' EXIT

# Runs a command; its progress goes to the terminal (appended: a log file
# that stderr points at is not truncated), its table rows are kept.
run() { "$@" | tee -a /dev/stderr | grep '^| ' >>"$rows"; }

# The run's commit, the machine and the tools, as Markdown list items.
machine_summary() {
  local cpu memory
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "- Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$run_commit\`$run_changes"
  echo "- Machine: ${cpu:-unknown CPU}, $(nproc) cores, ${memory}, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- Tools: $(rustc --version), Node $(node --version), $(chromium --version 2>/dev/null || echo 'no Chromium'), PostgreSQL $(pg_config --version 2>/dev/null | awk '{ print $2 }')"
}

# The kept rows under a header: `table Benchmark Measured "Ratio / goal"`.
table() {
  local header="|" rule="|" column
  for column in "$@"; do
    header+=" $column |"
    rule+=" --- |"
  done
  echo "$header"
  echo "$rule"
  cat "$rows"
}
