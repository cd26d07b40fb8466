#!/usr/bin/env bash
# Lays out what an installation holds, under a prefix, in a staging directory that
# `make install` copies and `make deb` packages (cargo-deb's assets):
#
#   scripts/stage.sh BINDIR STAGE PREFIX [ZSHDIR]
#
#   PREFIX/lib/ebpf-tracers/ebpf-tracers           every tool in one binary, stripped
#   PREFIX/sbin/<tool>-rs                          a link to it per tool (multi-call:
#                                                  it runs the tool it is named as)
#   PREFIX/share/man/man8/<tool>-rs.8.gz           its man page (gendocs: clap_mangen)
#   PREFIX/share/bash-completion/completions/<tool>-rs
#   ZSHDIR/_<tool>-rs                              (default PREFIX/share/zsh/site-functions)
#   PREFIX/share/fish/vendor_completions.d/<tool>-rs.fish
#   PREFIX/lib/systemd/system/ebpf-tracers-exporter@.service
#   PREFIX/lib/systemd/system/ebpf-tracers-exporter@<tool>.service.d/*.conf
#                                                  (a tool that needs more of one)
#   PREFIX/share/doc/ebpf-tracers/README.md
#
# BINDIR holds the built multi-call binary and gendocs (target/release or target/static). The
# names end in -rs so that they install beside Debian's libbpf-tools (/usr/sbin/opensnoop)
# and bpfcc-tools (/usr/sbin/opensnoop-bpfcc); see src/app/manual.rs.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 BINDIR STAGE PREFIX [ZSHDIR]" >&2; exit 2; }
bindir=$1
stage=$2
prefix=$3
zshdir=${4:-$prefix/share/zsh/site-functions}
root=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "stage: $*" >&2; exit 1; }
for bin in gendocs ebpf-tracers; do
	[ -x "$bindir/$bin" ] || die "$bindir/$bin is missing: build first"
done

rm -rf "$stage"
root_of() { echo "$stage$1"; }
sbin=$(root_of "$prefix/sbin")
man8=$(root_of "$prefix/share/man/man8")
bash_dir=$(root_of "$prefix/share/bash-completion/completions")
zsh_dir=$(root_of "$zshdir")
fish_dir=$(root_of "$prefix/share/fish/vendor_completions.d")
unit_dir=$(root_of "$prefix/lib/systemd/system")
lib_dir=$(root_of "$prefix/lib/ebpf-tracers")
doc_dir=$(root_of "$prefix/share/doc/ebpf-tracers")
mkdir -p "$sbin" "$lib_dir" "$man8" "$bash_dir" "$zsh_dir" "$fish_dir" "$unit_dir" "$doc_dir"

generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
"$bindir/gendocs" "$generated"
install -m 0755 "$bindir/ebpf-tracers" "$lib_dir/ebpf-tracers"
strip --strip-all "$lib_dir/ebpf-tracers"

while read -r tool installed; do
	ln -s ../lib/ebpf-tracers/ebpf-tracers "$sbin/$installed"
	"$sbin/$installed" --version | grep -q "^$tool " || die "$installed does not run $tool"
	gzip -9n <"$generated/man8/$installed.8" >"$man8/$installed.8.gz"
	chmod 0644 "$man8/$installed.8.gz"
	install -m 0644 "$generated/bash/$installed" "$bash_dir/$installed"
	install -m 0644 "$generated/zsh/_$installed" "$zsh_dir/_$installed"
	install -m 0644 "$generated/fish/$installed.fish" "$fish_dir/$installed.fish"
done < <("$bindir/gendocs" --names)

sed "s|@SBINDIR@|$prefix/sbin|g" "$root/packaging/ebpf-tracers-exporter@.service" \
	>"$unit_dir/ebpf-tracers-exporter@.service"
chmod 0644 "$unit_dir/ebpf-tracers-exporter@.service"
for dropins in "$root"/packaging/ebpf-tracers-exporter@*.service.d; do
	[ -d "$dropins" ] || continue
	mkdir -p "$unit_dir/$(basename "$dropins")"
	install -m 0644 "$dropins"/*.conf "$unit_dir/$(basename "$dropins")/"
done
install -m 0644 "$root/README.md" "$doc_dir/README.md"
