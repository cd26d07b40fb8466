#!/usr/bin/env bash
# `make static`: every tool linked statically into target/static/, for hosts that have
# nothing but a kernel with BTF: glibc's static libc (libc6-dev), and libbpf, libelf
# and zlib built from the copies libbpf-sys vendors (feature `static` in Cargo.toml).
# The build has its own target directory, so it never disturbs the ordinary one.
# User names come from /etc/passwd in this build (src/users.rs): static glibc cannot
# load NSS modules.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
host=$(rustc -vV | sed -n 's/^host: //p')
# With --target, RUSTFLAGS reach only the target's code, not build scripts and proc
# macros (which must stay dynamic).
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
	cargo build --release --locked --features static --target "$host" \
	--target-dir target/static-build
built="target/static-build/$host/release"
mkdir -p target/static
while read -r tool _; do
	install -m 0755 "$built/$tool" "target/static/$tool"
	strip --strip-all "target/static/$tool"
done < <("$built/gendocs" --names)
install -m 0755 "$built/gendocs" target/static/gendocs
for bin in target/static/*; do
	if readelf -d "$bin" | grep -q NEEDED; then
		echo "static: $bin needs shared libraries: $(readelf -d "$bin" | grep NEEDED)" >&2
		exit 1
	fi
done
echo "static: $(ls target/static | wc -l) binaries in target/static ($(du -sh target/static | cut -f1))"
