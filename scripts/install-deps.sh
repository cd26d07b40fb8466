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
# The records tests run the exporter-capable tools under the unit's capabilities.
have setpriv || need_apt+=(util-linux)
# The TLS tests make their CA and certificate with openssl and scrape with curl.
have openssl || need_apt+=(openssl)
have curl || need_apt+=(curl)
# Extra needs, by flag (several may be given):
#   --bench    the reference tools the benchmark compares against;
#   --static   what libbpf-sys needs to build its vendored libelf and zlib (make static),
#              and glibc's static libc;
#   --deb      cargo-deb (from crates.io, below) and dpkg-shlibdeps for its Depends;
#   --install  what the installation test checks with: man, zsh and fish (to load the
#              completions), libbpf-tools (to install beside), systemd-analyze.
want_cargo_deb=
for flag in "$@"; do
	case "$flag" in
	--bench)
		[ -x /usr/sbin/opensnoop ] || need_apt+=(libbpf-tools)
		have bpftrace || need_apt+=(bpftrace)
		;;
	--static)
		have autoreconf || need_apt+=(autoconf automake libtool)
		have autopoint || need_apt+=(autopoint)
		have flex || need_apt+=(flex)
		have bison || need_apt+=(bison)
		have gawk || need_apt+=(gawk)
		have readelf || need_apt+=(binutils)
		have_pkg libc6-dev || need_apt+=(libc6-dev)
		;;
	--deb)
		have dpkg-shlibdeps || need_apt+=(dpkg-dev)
		want_cargo_deb=1
		;;
	--install)
		have man || need_apt+=(man-db)
		have zsh || need_apt+=(zsh)
		have fish || need_apt+=(fish)
		[ -x /usr/sbin/opensnoop ] || need_apt+=(libbpf-tools)
		have systemd-analyze || need_apt+=(systemd)
		;;
	*)
		echo "install-deps: unknown flag $flag" >&2
		exit 2
		;;
	esac
done
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

# cargo-deb builds the .deb (make deb); pinned, so that a new release cannot change the
# package under us.
cargo_deb_version=3.8.0
if [ -n "$want_cargo_deb" ] && [ "$(cargo deb --version 2>/dev/null | awk '{print $2}')" != "$cargo_deb_version" ]; then
	echo "install-deps: installing cargo-deb $cargo_deb_version from crates.io" >&2
	cargo install --quiet --locked cargo-deb --version "$cargo_deb_version"
fi
