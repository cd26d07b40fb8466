# ebpf-tracers: every target installs what it needs first (scripts/install-deps.sh is
# idempotent), so each works on a fresh Debian machine.

CARGO ?= cargo
TOOL ?= opensnoop
ARGS ?=
ARCH ?= x86

.PHONY: all deps build run test host-test vmtest bench lint unit vmlinux clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	$(CARGO) build --release --locked

# make run TOOL=opensnoop ARGS="--failed"
run: build
	./target/release/$(TOOL) $(ARGS)

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Everything: lint, unit and integration tests on this kernel, then the privileged
# integration tests inside VMs on Debian's 6.1 and 6.12 kernels.
test: deps lint host-test vmtest

# Unit tests plus the integration tests that load the real tools. Without root the
# privileged tests print SKIPPED; under CI (CI=true) a skip is a failure.
host-test: deps
	EBPF_TRACERS_REQUIRE_ROOT=$${CI:+1} $(CARGO) test --locked

# VMTEST_KERNELS="5.10 6.1 6.12" by default; see scripts/vmtest.sh.
vmtest: deps
	./scripts/vmtest.sh

unit:
	$(CARGO) test --locked --lib --bins

# Ours against bcc's libbpf-tools and bpftrace (installed here when missing); prints
# a table and writes bench/results/<date>.json. BENCH_RUNS, BENCH_N, BENCH_PIPES tune it.
bench:
	./scripts/install-deps.sh --bench
	$(CARGO) bench --locked --bench compare

# Regenerate the committed kernel types from this machine's BTF.
vmlinux:
	./scripts/install-deps.sh
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	$(CARGO) clean
