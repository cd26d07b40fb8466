#!/usr/bin/env bash
# One phase of `make test`, timed and held to its share of CI's 90 minutes:
#   scripts/phase.sh NAME SECONDS COMMAND...   run COMMAND; fail, naming the phase, if it
#                                              takes longer than SECONDS
#   scripts/phase.sh --start                   forget the times of an earlier run
#   scripts/phase.sh --summary                 print each phase's time and share
# A phase that overruns is stopped with everything it started (timeout signals the
# whole process group), so the run ends with a line that says which phase, instead of
# CI being cut off with nothing said.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
times="$root/target/phase-times"

case "${1:-}" in
--start)
	mkdir -p "$(dirname "$times")"
	: >"$times"
	date +%s >"$times.started"
	exit 0
	;;
--summary)
	[ -f "$times" ] || exit 0
	echo "make test: phases (seconds used / share):"
	awk '{ printf "  %-14s %5d / %5d\n", $1, $2, $3; used += $2; share += $3 }
		END { printf "  %-14s %5d / %5d\n", "total", used, share }' "$times"
	if [ -f "$times.started" ]; then
		echo "make test: $(($(date +%s) - $(cat "$times.started"))) s from start to end"
	fi
	exit 0
	;;
esac

[ $# -ge 3 ] || { echo "usage: $0 NAME SECONDS COMMAND..." >&2; exit 2; }
name=$1 share=$2
shift 2
started=$(date +%s)
status=0
timeout --kill-after=20 "$share" "$@" || status=$?
took=$(($(date +%s) - started))
mkdir -p "$(dirname "$times")"
echo "$name $took $share" >>"$times"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "make test: FAILED: phase $name overran its share of $share s and was stopped (see README, Tests: the time budget)" >&2
	exit 1
fi
if [ "$status" -ne 0 ]; then
	echo "make test: FAILED: phase $name (after $took s)" >&2
	exit "$status"
fi
echo "make test: phase $name took $took s (share $share s)" >&2
