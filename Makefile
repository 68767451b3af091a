# iSync — build, run, test, benchmark and cross-compile.
#   make run     build and start a server on ./run (first start creates a user and prints its login)
#   make test    install what the tests need (idempotent), then run every test
#   make bench   the benchmark table (not part of make test)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO  ?= cargo
APPDIR ?= run
LISTEN ?= 0.0.0.0:5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

# $(call apt_install,PACKAGES): installs the Debian packages that are missing, and only those.
apt_install = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing >/dev/null; fi

.PHONY: help run build release test test-deps test-static bench bench-deps

help:
	@sed -n 's/^#   //p' Makefile

build:
	$(CARGO) build

release:
	$(CARGO) build --release

run: release
	./target/release/isync --app-dir $(APPDIR) serve --init --scan --listen $(LISTEN)

# ---------------------------------------------------------------- tests
# Debian packages the tests need: ffmpeg (video fixtures and thumbnails), qemu-user-static
# (runs the ARM binaries), shellcheck (checks the init scripts), file (checks static
# linking), systemd (systemd-analyze verifies the unit written by `isync install`).
TEST_PACKAGES := ffmpeg qemu-user-static shellcheck file systemd

test-deps:
	@$(call apt_install,$(TEST_PACKAGES))
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# Formatting (rustfmt.toml) and clippy's lints are checked first. Then the whole suite runs four times: unit and
# integration tests on the host build, then the integration suite against each static release
# binary (x86_64 natively, aarch64 and armv7 under qemu-user), so a change that breaks a board
# fails CI.
test: test-deps
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) test --locked
	$(MAKE) --no-print-directory test-static

test-static: x86_64 aarch64 armv7
	@for t in "$(BIN_X64):" "$(BIN_ARM64):qemu-aarch64-static" "$(BIN_ARMV7):qemu-arm-static"; do \
	  bin=$${t%%:*}; runner=$${t#*:}; file -L $$bin | grep -q 'statically linked' || { echo "$$bin is not static"; exit 1; }; \
	  echo "== integration suite against $$bin $${runner:+(under $$runner)}"; \
	  ISYNC_BIN=$(CURDIR)/$$bin ISYNC_RUNNER=$$runner $(CARGO) test --locked --test tests; \
	done

# ---------------------------------------------------------------- benchmarks
# Debian packages `make bench` compares against: nginx (downloads and a static file, started by
# the bench on 127.0.0.1 with its own config) and libvips-tools (vipsthumbnail). The bench
# (tests/bench/, a cargo [[bench]] with harness = false) installs them itself when run directly.
BENCH_PACKAGES := nginx libvips-tools

bench-deps:
	@$(call apt_install,$(BENCH_PACKAGES))

# Not part of `make test`: prints a Markdown table (medians of BENCH_RUNS=5 runs) on stdout,
# progress on stderr; takes a few minutes. It measures the static musl binary that ships.
bench: x86_64 bench-deps
	ISYNC_BIN=$(CURDIR)/$(BIN_X64) $(CARGO) bench --locked --bench bench

# ---------------------------------------------------------------- static binaries for the board
# Zig is the cross C compiler and linker (PyPI ziglang + cargo-zigbuild, pinned); rustup gives
# the musl std for aarch64 and x86_64; armv7 musl std is built from source (-Zbuild-std).
ZIGLANG_VERSION        := 0.14.1
CARGO_ZIGBUILD_VERSION := 0.20.1
TOOLS        := $(CURDIR)/.tools
ZIGBUILD     := $(TOOLS)/bin/cargo-zigbuild
TARGET_ARM64 := aarch64-unknown-linux-musl
TARGET_ARMV7 := armv7-unknown-linux-musleabihf
TARGET_X64   := x86_64-unknown-linux-musl
BIN_ARM64    := target/$(TARGET_ARM64)/release/isync
BIN_ARMV7    := target/$(TARGET_ARMV7)/release/isync
BIN_X64      := target/$(TARGET_X64)/release/isync

.PHONY: cross-deps aarch64 armv7 x86_64 dist

cross-deps:
	@[ -x $(ZIGBUILD) ] && $(TOOLS)/bin/python -c 'import ziglang' 2>/dev/null || { \
	  echo "installing ziglang $(ZIGLANG_VERSION) and cargo-zigbuild $(CARGO_ZIGBUILD_VERSION) into $(TOOLS)"; \
	  python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q ziglang==$(ZIGLANG_VERSION) cargo-zigbuild==$(CARGO_ZIGBUILD_VERSION); }
	@installed=$$(rustup target list --installed); \
	for t in $(TARGET_ARM64) $(TARGET_X64); do echo "$$installed" | grep -qx $$t || rustup target add $$t; done
	@rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src

aarch64: cross-deps
	PATH="$(TOOLS)/bin:$$PATH" $(ZIGBUILD) zigbuild --locked --release --target $(TARGET_ARM64)

x86_64: cross-deps
	PATH="$(TOOLS)/bin:$$PATH" $(ZIGBUILD) zigbuild --locked --release --target $(TARGET_X64)

# No prebuilt std exists for armv7 musl here: build it from source. RUSTC_BOOTSTRAP is confined
# to this one target.
armv7: cross-deps
	PATH="$(TOOLS)/bin:$$PATH" RUSTC_BOOTSTRAP=1 $(ZIGBUILD) zigbuild --locked --release \
	  --target $(TARGET_ARMV7) -Zbuild-std=std,panic_abort

dist: aarch64 armv7 x86_64
	rm -rf dist && mkdir -p dist
	cp $(BIN_ARM64) dist/isync-aarch64
	cp $(BIN_ARMV7) dist/isync-armv7
	cp $(BIN_X64) dist/isync-x86_64
	cp LICENSE dist/
	cd dist && sha256sum isync-* > SHA256SUMS && cat SHA256SUMS
	@ls -l dist
