#!/usr/bin/env bash
# `make static`: every tool, statically linked, in target/static/ for hosts that have
# nothing but a kernel with BTF: one multi-call binary, target/static/ebpf-tracers, and
# a hard link to it per tool (target/static/opensnoop runs opensnoop; copied anywhere
# under a tool's name, it runs that tool). It holds glibc's static libc (libc6-dev), and libbpf, libelf
# and zlib built from the copies libbpf-sys vendors (feature `static` in Cargo.toml).
# The build has its own target directory, so it never disturbs the ordinary one.
# User names come from /etc/passwd in this build (src/users.rs): static glibc cannot
# load NSS modules.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
host=$(rustc -vV | sed -n 's/^host: //p')
# With --target, RUSTFLAGS reach only the target's code, not build scripts and proc
# macros (which must stay dynamic). Only the multi-call binary (every tool in one,
# src/app/multicall.rs) and gendocs are built: each tool is a hard link to it.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
	cargo build --release --locked --features static --target "$host" \
	--target-dir target/static-build --bin ebpf-tracers --bin gendocs
built="target/static-build/$host/release"
rm -rf target/static
mkdir -p target/static
install -m 0755 "$built/ebpf-tracers" target/static/ebpf-tracers
strip --strip-all target/static/ebpf-tracers
while read -r tool _; do
	ln target/static/ebpf-tracers "target/static/$tool"
done < <("$built/gendocs" --names)
install -m 0755 "$built/gendocs" target/static/gendocs
for bin in target/static/*; do
	if readelf -d "$bin" | grep -q NEEDED; then
		echo "static: $bin needs shared libraries: $(readelf -d "$bin" | grep NEEDED)" >&2
		exit 1
	fi
done
echo "static: target/static/ebpf-tracers and $(($(ls target/static | wc -l) - 2)) tools linked to it ($(du -sh target/static | cut -f1) with gendocs)"
