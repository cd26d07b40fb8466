#!/usr/bin/env bash
# Installs everything a fresh Debian machine needs to build and test ebpf-tracers.
# Idempotent: installs only what is missing, so it is cheap to call from every Makefile
# target and from CI.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

have clang || need_apt+=(clang)
have llvm-strip || need_apt+=(llvm)
have pkg-config || need_apt+=(pkg-config)
have make || need_apt+=(make)
have bpftool || need_apt+=(bpftool)
have ip || need_apt+=(iproute2)
have ping || need_apt+=(iputils-ping)
# The metrics tests check the exposition with promtool and scrape it with a real
# Prometheus server (both in Debian's prometheus package).
have promtool || need_apt+=(prometheus)
# --bench: the reference tools the benchmark compares against.
if [ "${1:-}" = "--bench" ]; then
	[ -x /usr/sbin/opensnoop ] || need_apt+=(libbpf-tools)
	have bpftrace || need_apt+=(bpftrace)
fi
for pkg in libelf-dev zlib1g-dev; do
	have_pkg "$pkg" || need_apt+=("$pkg")
done

if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing ${need_apt[*]}; run this script as root (sudo $0)" >&2
		exit 1
	fi
	echo "install-deps: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! have cargo; then
	echo "install-deps: cargo not found; install a Rust toolchain (https://rustup.rs) first" >&2
	exit 1
fi
