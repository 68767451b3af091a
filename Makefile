# iSync — build, run, test, benchmark and cross-compile.
#   make run     build and start a server on ./run (first start creates a user and prints its login)
#   make test    install what the tests need (idempotent), then run every test
#   make bench   the benchmark table (not part of make test)
#   make fuzz    every fuzz target for FUZZ_RUNS (10 million) executions (not part of make test)
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
# linking), systemd (systemd-analyze verifies the unit written by `isync install`), chromium
# and chromium-driver (the web gallery's browser tests drive headless Chromium through
# WebDriver), litmus and rclone (the WebDAV tests run both against the server).
TEST_PACKAGES := ffmpeg qemu-user-static shellcheck file systemd chromium chromium-driver litmus rclone

test-deps:
	@$(call apt_install,$(TEST_PACKAGES))
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# Formatting (rustfmt.toml; the fuzz crate too) and clippy's lints are checked first. Then the whole suite runs four
# times: unit and integration tests on the host build, a short run of every fuzz target
# (fuzz-smoke), then the integration suite against each static release binary (x86_64
# natively, aarch64 and armv7 under qemu-user), so a change that breaks a board fails CI.
test: test-deps
	$(CARGO) fmt --check
	$(CARGO) fmt --check --manifest-path $(FUZZ_DIR)/Cargo.toml
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) test --locked
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory test-static

test-static: x86_64 aarch64 armv7
	@for t in "$(BIN_X64):" "$(BIN_ARM64):qemu-aarch64-static" "$(BIN_ARMV7):qemu-arm-static"; do \
	  bin=$${t%%:*}; runner=$${t#*:}; file -L $$bin | grep -q 'statically linked' || { echo "$$bin is not static"; exit 1; }; \
	  echo "== integration suite against $$bin $${runner:+(under $$runner)}"; \
	  ISYNC_BIN=$(CURDIR)/$$bin ISYNC_RUNNER=$$runner $(CARGO) test --locked --test tests; \
	done

# ---------------------------------------------------------------- benchmarks
# Debian packages `make bench` compares against or drives: nginx (downloads and a static file,
# started by the bench on 127.0.0.1 with its own config), libvips-tools (libvips itself),
# ffmpeg (it codes the bench's HEIC), and chromium with chromium-driver (the gallery rows). The
# thumbnail peers run in one Python process each (tests/bench/peers.py): Pillow, as the original
# iSyncServer made thumbnails, and libvips through pyvips, both from PyPI into .tools/bench-python.
# The bench (tests/bench/, a cargo [[bench]] with harness = false) installs nginx, libvips-tools
# and ffmpeg itself when run directly; without Chromium its gallery rows say SKIPPED, without the
# Python peers their figures are n/a.
BENCH_PACKAGES := nginx libvips-tools ffmpeg chromium chromium-driver
BENCH_PYTHON    = $(TOOLS)/bench-python
BENCH_PIP      := pillow==13.0.0 pyvips==3.2.0 cffi==2.1.1

bench-deps:
	@$(call apt_install,$(BENCH_PACKAGES))
	@$(BENCH_PYTHON)/bin/python -c 'import PIL, pyvips' 2>/dev/null || { \
	  echo "installing $(BENCH_PIP) into $(BENCH_PYTHON)"; \
	  python3 -m venv $(BENCH_PYTHON) && $(BENCH_PYTHON)/bin/pip install -q $(BENCH_PIP); }

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

# ---------------------------------------------------------------- fuzzing
# cargo-fuzz (pinned, installed into .tools/) builds one libFuzzer binary per parser from
# tests/fuzz/, a crate of its own that calls isync::fuzzing, with AddressSanitizer and overflow
# checks. cargo-fuzz needs rustc's -Z flags: RUSTC_BOOTSTRAP=1 is confined to these targets,
# like armv7's build-std. Each target runs alone and at the lowest priority, from its committed
# seeds (tests/fuzz/corpus/<target>, never written to) and the corpus it grew before
# (FUZZ_WORK/corpus/<target>). A panic, an input taking over 10 s or an allocation over 128 MiB
# (above the 96 MiB a thumbnail decode may hold, src/media/budget.rs) fails the target; cargo-fuzz leaves the input in tests/fuzz/artifacts/<target>/.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ      := $(TOOLS)/bin/cargo-fuzz
FUZZ_DIR        := tests/fuzz
FUZZ_TARGETS    := multipart range params jpeg_exif png gif webp bmp isobmff heif matroska audio video
FUZZ_RUNS       ?= 10000000
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_SANITIZER  ?= address
FUZZ_TARGET_DIR ?= $(CURDIR)/$(FUZZ_DIR)/target
FUZZ_WORK       ?= $(FUZZ_TARGET_DIR)/work
FUZZ_CARGO      := RUSTC_BOOTSTRAP=1 nice -n 19 $(CARGO_FUZZ)
FUZZ_OPTIONS    := --fuzz-dir $(FUZZ_DIR) --debug-assertions --sanitizer $(FUZZ_SANITIZER) \
                   --target-dir $(FUZZ_TARGET_DIR)

# $(call fuzz_all,RUNS,CORPORA,EXTRA): builds every target, then runs each for RUNS executions
# (EXTRA: more libFuzzer flags) on its seeds and CORPORA/<target>, one line per target: the
# executions, their rate and the result. A failure prints the end of the target's log and
# fails the recipe after every target has run.
fuzz_all = $(FUZZ_CARGO) build $(FUZZ_OPTIONS); mkdir -p $(FUZZ_WORK)/logs; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  log=$(FUZZ_WORK)/logs/$$t.log; mkdir -p $(2)/$$t; \
	  if $(FUZZ_CARGO) run $(FUZZ_OPTIONS) $$t $(2)/$$t $(FUZZ_DIR)/corpus/$$t -- -runs=$(1) \
	       -timeout=10 -malloc_limit_mb=128 -print_final_stats=1 $(3) >$$log 2>&1; \
	  then result="0 crashes"; else result="FAILED (log: $$log)"; failed="$$failed $$t"; fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
	  printf 'fuzz %-10s %10s executions %7s exec/s  %s\n' $$t "$${runs:-?}" "$${rate:-?}" "$$result"; \
	  case "$$result" in FAILED*) tail -n 40 $$log;; esac; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing failed:$$failed"; exit 1; fi

.PHONY: fuzz fuzz-smoke fuzz-deps

# libFuzzer's runtime is C++, built by libfuzzer-sys.
fuzz-deps:
	@$(call apt_install,g++)
	@[ -x $(CARGO_FUZZ) ] && $(CARGO_FUZZ) --version | grep -qx 'cargo-fuzz $(CARGO_FUZZ_VERSION)' || { \
	  echo "installing cargo-fuzz $(CARGO_FUZZ_VERSION) into $(TOOLS)"; \
	  $(CARGO) install --locked --quiet --root $(TOOLS) cargo-fuzz@$(CARGO_FUZZ_VERSION); }

# FUZZ_RUNS (10 million) executions of every target, one after the other: hours on two cores.
# Not part of `make test`; the corpora it grows are kept for the next run.
fuzz: fuzz-deps
	@$(call fuzz_all,$(FUZZ_RUNS),$(FUZZ_WORK)/corpus,)

# A few seconds per target from the seeds alone (a fresh corpus each time): part of `make test`.
fuzz-smoke: fuzz-deps
	@rm -rf $(FUZZ_WORK)/smoke
	@$(call fuzz_all,$(FUZZ_SMOKE_RUNS),$(FUZZ_WORK)/smoke,-max_total_time=20)
