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
	files=$(cd "$from" && find . ! -type d | sed 's|^\./||' | sort)
	for file in $files; do
		if [ -L "$from/$file" ]; then
			# A tool's name: a link to the multi-call binary, kept a link.
			mkdir -p "$(dirname "$to/$file")"
			cp -P -f "$from/$file" "$to/$file"
		else
			install -D -m "$(stat -c %a "$from/$file")" "$from/$file" "$to/$file"
		fi
	done
	mkdir -p "$(dirname "$manifest")"
	{ echo "$files"; echo "share/doc/ebpf-tracers/installed-files"; } >"$manifest"
	echo "install: $(echo "$files" | wc -l) files under $to ($(du -shc "$to/sbin" "$to/lib/ebpf-tracers" | tail -n 1 | cut -f1) of tools); see $manifest"
	;;
uninstall)
	[ $# -ge 2 ] || die "usage: $0 uninstall PREFIX [DESTDIR]"
	to="${3:-}$2"
	manifest=$(manifest_of "$to")
	[ -f "$manifest" ] || die "$manifest not found: nothing installed under $to"
	# Every entry must name a path below the prefix: one that is absolute or climbs
	# (a `..` component) is refused, and nothing is removed.
	# (IFS= and `|| [ -n ]`: names kept whole, a last line without newline read too.)
	while IFS= read -r file || [ -n "$file" ]; do
		case "/$file/" in
		//) ;; # an empty line: nothing
		//* | */../* | */./*) die "$manifest lists '$file', not a path below $to: nothing removed" ;;
		esac
	done <"$manifest"
	while IFS= read -r file || [ -n "$file" ]; do
		[ -z "$file" ] || rm -f "$to/$file"
	done <"$manifest"
	for dir in "$to/share/doc/ebpf-tracers" "$to/lib/ebpf-tracers"; do
		[ ! -d "$dir" ] || rmdir --ignore-fail-on-non-empty "$dir"
	done
	echo "uninstall: removed what $manifest listed"
	;;
*)
	die "usage: $0 install STAGE PREFIX [DESTDIR] | uninstall PREFIX [DESTDIR]"
	;;
esac
