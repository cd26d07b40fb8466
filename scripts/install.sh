#!/usr/bin/env bash
# `make install` and `make uninstall`: copies a staged tree (scripts/stage.sh) into
# DESTDIR/PREFIX and records every file it wrote, so that uninstall removes exactly
# those (and nothing it did not install).
#
#   scripts/install.sh install STAGE PREFIX [DESTDIR]
#   scripts/install.sh uninstall PREFIX [DESTDIR]
set -euo pipefail

die() { echo "install: $*" >&2; exit 1; }
manifest_of() { echo "$1/share/doc/ebpf-tracers/installed-files"; }

case "${1:-}" in
install)
	[ $# -ge 3 ] || die "usage: $0 install STAGE PREFIX [DESTDIR]"
	from="$2$3"
	to="${4:-}$3"
	[ -d "$from" ] || die "nothing staged in $from"
	manifest=$(manifest_of "$to")
	files=$(cd "$from" && find . -type f | sed 's|^\./||' | sort)
	for file in $files; do
		install -D -m "$(stat -c %a "$from/$file")" "$from/$file" "$to/$file"
	done
	mkdir -p "$(dirname "$manifest")"
	{ echo "$files"; echo "share/doc/ebpf-tracers/installed-files"; } >"$manifest"
	echo "install: $(echo "$files" | wc -l) files under $to ($(du -sh "$to/sbin" | cut -f1) of tools); see $manifest"
	;;
uninstall)
	[ $# -ge 2 ] || die "usage: $0 uninstall PREFIX [DESTDIR]"
	to="${3:-}$2"
	manifest=$(manifest_of "$to")
	[ -f "$manifest" ] || die "$manifest not found: nothing installed under $to"
	while read -r file; do
		rm -f "$to/$file"
	done <"$manifest"
	rmdir --ignore-fail-on-non-empty "$to/share/doc/ebpf-tracers"
	echo "uninstall: removed what $manifest listed"
	;;
*)
	die "usage: $0 install STAGE PREFIX [DESTDIR] | uninstall PREFIX [DESTDIR]"
	;;
esac
