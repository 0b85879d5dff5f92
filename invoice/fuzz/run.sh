#!/usr/bin/env bash
# Fuzzes the invoice crate: every target in fuzz_targets/ for the given
# seconds each (`make test` runs a short round, `make fuzz` a long one).
# Installs the pinned cargo-fuzz when it is missing. Exits non-zero when a
# target crashes, after printing the input that crashed it; reproduce with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir invoice/fuzz <target> <artifact>
set -euo pipefail

seconds=${1:?usage: invoice/fuzz/run.sh <seconds-per-target>}
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
CARGO_FUZZ_VERSION=0.13.2

export PATH="$HOME/.cargo/bin:$PATH"
# The fuzz build writes only under <target dir>/x86_64-unknown-linux-gnu/, so
# sharing the workspace's build cache costs the normal builds nothing.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/invio/target}
# cargo fuzz hands rustc nightly-only flags (-Zsanitizer=address and the
# coverage instrumentation); the project's one toolchain is stable, and this
# is how stable accepts them.
export RUSTC_BOOTSTRAP=1

installed=$(cargo fuzz --version 2>/dev/null || true)
if [[ $installed != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

cd "$fuzz_dir/.."
# One build of every target first, so a compile error stops the run at once
# and each `cargo fuzz run` below only runs.
cargo fuzz build --fuzz-dir "$fuzz_dir"

failed=()
for target in $(cargo fuzz list --fuzz-dir "$fuzz_dir"); do
  artifacts="$fuzz_dir/artifacts/$target"
  mkdir -p "$artifacts" "$fuzz_dir/corpus/$target"
  before=$(ls "$artifacts")
  echo "== fuzzing $target for ${seconds}s"
  # -timeout: an input that takes 10 s is a hang, and is reported as one.
  if ! cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1; then
    failed+=("$target")
  fi
  for artifact in $(comm -13 <(echo "$before") <(ls "$artifacts")); do
    echo "!! $target: crashing input saved at $artifacts/$artifact"
  done
done

if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]} (inputs under $fuzz_dir/artifacts/)" >&2
  exit 1
fi
echo "fuzzing passed: every target ran ${seconds}s without a crash"
