# ebpf-tracers: every target installs what it needs first (scripts/install-deps.sh is
# idempotent), so each works on a fresh Debian machine.

SHELL := /bin/bash
CARGO ?= cargo
TOOL ?= opensnoop
ARGS ?=
ARCH ?= x86

# make install: PREFIX and DESTDIR as usual; INSTALL_FROM=static installs target/static.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_FROM ?= release
STAGE := target/stage

.PHONY: all deps build run test host-test install-test vmtest bench soak lint unit vmlinux clean \
	install uninstall static deb bins-release bins-static

all: build

deps:
	./scripts/install-deps.sh

build: deps
	$(CARGO) build --release --locked

# make run TOOL=opensnoop ARGS="--failed": builds that tool's executable only (the
# library, which holds every tool, and one link; `make build` links them all).
run: deps
	$(CARGO) build --release --locked --bin $(TOOL)
	./target/release/$(TOOL) $(ARGS)

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Everything: lint, unit and integration tests on this kernel, the installation (make
# install, make deb, make static), then the integration tests inside VMs on the Debian
# kernels of vmtest.toml. Each phase is timed and held to its share of CI's 90 minutes
# (scripts/phase.sh): one that overruns fails the run, naming the phase. The shares
# are about twice what each phase took on a fresh 2-core machine (README, Tests).
PHASE := ./scripts/phase.sh
test: deps
	@$(PHASE) --start
	@$(PHASE) lint 600 $(MAKE) --no-print-directory lint
	@$(PHASE) host-test 600 $(MAKE) --no-print-directory host-test
	@$(PHASE) install-test 600 $(MAKE) --no-print-directory install-test
	@$(PHASE) vmtest 2400 $(MAKE) --no-print-directory vmtest
	@$(PHASE) --summary
	@if [ -f .vmtest/closing-line ]; then cat .vmtest/closing-line; fi

# Unit tests plus the integration tests that load the real tools (tests/it, one
# binary). Without root the privileged tests print SKIPPED; under CI (CI=true) a skip
# is a failure. Each integration test prints its time (TEST-TIME); the five slowest
# are listed at the end.
host-test: deps
	@mkdir -p target
	set -o pipefail; EBPF_TRACERS_REQUIRE_ROOT=$${CI:+1} $(CARGO) test --locked 2>&1 | tee target/host-test.log
	@echo "host-test: the five slowest integration tests:"
	@grep -aoE '^TEST-TIME [0-9.]+s [^ ]+' target/host-test.log | sort -k2 -rn | head -n 5 | sed 's/^TEST-TIME /  /'

# Tools as <tool>-rs in PREFIX/sbin with man pages (section 8), bash/zsh/fish
# completions, the exporter's systemd unit and the README (scripts/stage.sh).
install: bins-$(INSTALL_FROM)
	./scripts/stage.sh target/$(INSTALL_FROM) $(STAGE)/install $(PREFIX)
	./scripts/install.sh install $(STAGE)/install $(PREFIX) $(DESTDIR)

uninstall:
	./scripts/install.sh uninstall $(PREFIX) $(DESTDIR)

bins-release: build

bins-static: static

# Statically linked tools in target/static (scripts/build-static.sh).
static:
	./scripts/install-deps.sh --static
	./scripts/build-static.sh

# A Debian package in target/debian, of the static tools (Depends: nothing), built by
# cargo-deb from the staged tree (Cargo.toml's [package.metadata.deb]).
deb: static
	./scripts/install-deps.sh --deb
	./scripts/stage.sh target/static $(STAGE)/deb /usr /usr/share/zsh/vendor-completions
	$(CARGO) deb --no-build --no-strip --locked --output target/debian/

# make install into a temporary DESTDIR, make deb installed beside libbpf-tools, and a
# static tool in an empty chroot (scripts/install-test.sh; root, as CI runs it).
install-test: deps
	./scripts/install-deps.sh --install --static --deb
	./scripts/install-test.sh

# VMTEST_KERNELS="5.10 6.1 6.12 sid" by default; see scripts/vmtest.sh.
vmtest: deps
	./scripts/vmtest.sh

unit:
	$(CARGO) test --locked --lib --bins

# Ours against bcc's libbpf-tools and bpftrace (installed here when missing); prints
# a table and writes bench/results/<date>.json. BENCH_RUNS, BENCH_N, BENCH_PIPES tune it.
bench:
	./scripts/install-deps.sh --bench
	$(CARGO) bench --locked --bench compare

# An exporter scraped every second for 10 minutes (SOAK_SECONDS) under key churn:
# every scrape answered, memory flat after warm-up (scripts/soak.sh).
soak: deps
	./scripts/soak.sh

# Regenerate the committed kernel types from this machine's BTF.
vmlinux:
	./scripts/install-deps.sh
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	$(CARGO) clean
