#!/usr/bin/env bash
# The admin before islands, built once in release mode (wasm-opt -Oz, and
# precompressed as the current build is) for `make bench` to measure beside
# the current admin: its server binary and site/ are cached under
# ~/.cache/invio/bench-baseline/<commit>/. Run before the current release
# build: both write the shared target directory's release/server.
set -euo pipefail
cd "$(dirname "$0")/.."

# main before issue 21's light admin (the fully hydrated admin).
BASELINE_COMMIT=${BASELINE_COMMIT:-c1d5994}
out="$HOME/.cache/invio/bench-baseline/$BASELINE_COMMIT"
if [ -x "$out/server" ] && [ -d "$out/site/pkg" ]; then
  echo "$out"
  exit 0
fi
tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$tree" "$BASELINE_COMMIT" >&2
ln -s "$PWD/end2end/node_modules" "$tree/end2end/node_modules"
(cd "$tree" && cargo leptos build --release --precompress >&2)
mkdir -p "$out"
rm -rf "$out/site"
cp -r "$tree/target/site" "$out/site"
cp "${CARGO_TARGET_DIR:-$HOME/.cache/invio/target}/release/server" "$out/server"
echo "$out"
