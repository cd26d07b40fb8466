#!/usr/bin/env bash
# Runs inside each vmtest guest: the privileged integration tests, built once on the
# host (scripts/vmtest.sh lists them in .vmtest/test-binaries), on this guest's kernel.
# The root filesystem is the host's, read-only: temporary files go to a tmpfs.
set -u
export TMPDIR=/dev/shm
export EBPF_TRACERS_REQUIRE_ROOT=1
# Debian kernels have kprobes: unlinksnoop must use them here, not fall back.
export EBPF_TRACERS_EXPECT_KPROBES=1
# Every guest boots with lsm=...,bpf (vmtest.toml): execguard's tests must run here.
export EBPF_TRACERS_EXPECT_LSM=1
export RUST_BACKTRACE=1
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
echo "guest kernel: $(uname -r)"
status=0
while read -r binary; do
	[ -n "$binary" ] || continue
	echo "== $(basename "$binary")"
	"$binary" --test-threads=2 || status=1
done <.vmtest/test-binaries
echo "GUEST-DONE kernel=$(uname -r) status=$status"
exit $status
