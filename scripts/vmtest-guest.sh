#!/usr/bin/env bash
# Runs inside each vmtest guest: the integration test binary, built once on the host
# (scripts/vmtest.sh names it in .vmtest/test-binaries), on this guest's kernel.
# The root filesystem is the host's, read-only: temporary files go to a tmpfs.
#   --kernel-dependent-only   leave out the tests marked any_kernel (the middle kernels)
# vmtest passes the host's environment on: VMTEST_TESTS is a libtest filter, and
# VMTEST_TEST_THREADS the number of tests at a time; VMTEST_BENCH names the bench
# binary to run instead of the tests (make bench's guest rows).
set -u
if [ "${1:-}" = --kernel-dependent-only ]; then
	export EBPF_TRACERS_KERNEL_DEPENDENT_ONLY=1
fi
export TMPDIR=/dev/shm
export EBPF_TRACERS_REQUIRE_ROOT=1
# promtool's check of each exposition runs on the host only (tests/it/helpers/metrics.rs).
export EBPF_TRACERS_IN_GUEST=1
# Debian kernels have kprobes: unlinksnoop must use them here, not fall back.
export EBPF_TRACERS_EXPECT_KPROBES=1
# ... and BPF trampolines: opensnoop must use its one fexit program here.
export EBPF_TRACERS_EXPECT_FEXIT=1
# Every guest boots with lsm=...,bpf (vmtest.toml): execguard's tests must run here.
export EBPF_TRACERS_EXPECT_LSM=1
export RUST_BACKTRACE=1
# Debian's kernels set kernel.perf_event_paranoid to 3, at which 5.10 opens perf events
# only for CAP_SYS_ADMIN: the exporter unit's setup (README, Fleet) sets 2, so that its
# CAP_PERFMON suffices, and the records tests run the tools with the unit's set.
sysctl -q kernel.perf_event_paranoid=2
# Nothing brings loopback up in a vmtest guest; the UDP and sendto tests need it.
ip link set lo up
# bashreadline's test drives bash through a pseudo-terminal.
if ! grep -q ' /dev/pts devpts ' /proc/mounts; then
	mkdir -p /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
	[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
fi
# The container tests make cgroups: mount the cgroup2 hierarchy where the guest has
# none (on /sys/fs/cgroup unless something else is mounted there).
if ! grep -q ' cgroup2 ' /proc/mounts; then
	cgroup2=/sys/fs/cgroup
	grep -q ' /sys/fs/cgroup ' /proc/mounts && cgroup2=/dev/shm/cgroup2
	mkdir -p "$cgroup2" && mount -t cgroup2 none "$cgroup2"
fi
echo "guest kernel: $(uname -r)${EBPF_TRACERS_KERNEL_DEPENDENT_ONLY:+ (kernel-dependent tests only)}"
status=0
# make bench: the bench binary's guest rows (bench/execguard.rs) instead of the tests.
if [ -n "${VMTEST_BENCH:-}" ]; then
	"$VMTEST_BENCH" --bench --execguard-in-guest || status=1
	echo "GUEST-DONE kernel=$(uname -r) status=$status"
	exit $status
fi
binary=$(head -n 1 .vmtest/test-binaries)
# Tests wait as well as compute (pings, namespaces, servers starting): with four at a
# time the 5.10 guest took 578 s, with six 543 s, with eight 387 s (a fresh clone, beside
# a second guest): eight keeps it inside its 8 minutes.
# shellcheck disable=SC2086 # VMTEST_TESTS: filter words
"$binary" --test-threads="${VMTEST_TEST_THREADS:-8}" ${VMTEST_TESTS:-} || status=1
echo "GUEST-DONE kernel=$(uname -r) status=$status"
exit $status
