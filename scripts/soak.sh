#!/usr/bin/env bash
# `make soak`: an exporter under key churn for a long run, as a fleet runs it. openat_count
# (release build) serves its metrics and is scraped every second while a workload makes
# 1,000 new process names (an open under each) every 6 s: 100,000 distinct names over
# the default 10 minutes, ten times the 10,000 series kept. It passes when every scrape
# was answered (200, within 2 s) and the resident memory after warm-up (the first fifth
# of the run) never grew past 1.25x what it was then.
#
#   SOAK_SECONDS=600 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SOAK_SECONDS:-600}
cargo build --release --locked --bin openat_count --bin workload >/dev/null
work=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
target/release/openat_count --metrics-addr 127.0.0.1:0 2>"$work/err" &
pid=$!
deadline=$((SECONDS + 60))
until grep -q 'Metrics at' "$work/err"; do
	kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
	[ $SECONDS -lt $deadline ] || { echo "soak: no readiness line" >&2; exit 1; }
	sleep 0.2
done
url=$(grep -o 'http://[^ ]*/metrics' "$work/err")
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
start=$SECONDS
warm=$((seconds / 5))
batch=0 scrapes=0 failed=0 warm_rss= max_rss=0
while [ $((SECONDS - start)) -lt "$seconds" ]; do
	elapsed=$((SECONDS - start))
	if [ $((elapsed / 6)) -ge "$batch" ]; then
		target/release/workload open-named --prefix "s${batch}_" 1000 /dev/null &
		batch=$((batch + 1))
	fi
	kill -0 "$pid" 2>/dev/null || { echo "soak: FAILED: openat_count died:" >&2; cat "$work/err" >&2; exit 1; }
	code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)
	scrapes=$((scrapes + 1))
	[ "$code" = 200 ] || failed=$((failed + 1))
	now=$(rss)
	if [ "$elapsed" -ge "$warm" ]; then
		[ -n "$warm_rss" ] || warm_rss=$now
		[ "$now" -le "$max_rss" ] || max_rss=$now
	fi
	sleep 1
done
final=$(rss)
echo "soak: ${seconds}s, $((batch * 1000)) distinct names; $((scrapes - failed)) of $scrapes scrapes answered;" \
	"RSS ${warm_rss} KiB after warm-up, at most ${max_rss} KiB after it, ${final} KiB at the end"
[ "$failed" -eq 0 ] || { echo "soak: FAILED: $failed scrapes not answered" >&2; exit 1; }
[ "$max_rss" -le $((warm_rss * 5 / 4)) ] || { echo "soak: FAILED: RSS grew past 1.25x after warm-up" >&2; exit 1; }
echo "soak: PASSED"
