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

.PHONY: help run build release test test-deps unit-test

help:
	@sed -n 's/^#   //p' Makefile

build:
	$(CARGO) build

release:
	$(CARGO) build --release

run: release
	./target/release/isync --app-dir $(APPDIR) serve --init --scan --listen $(LISTEN)

# ---------------------------------------------------------------- tests
# Debian packages the tests need: ffmpeg makes the video fixtures and video thumbnails.
TEST_PACKAGES := ffmpeg

test-deps:
	@missing=""; for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: test-deps
	$(CARGO) test --locked
