#!/usr/bin/env bash
# Runs the privileged integration tests inside VMs booted on real Debian kernels, so that
# CO-RE (one build, several kernels) and the kprobe tools are proven beyond the build
# machine's kernel. Installs what it needs; prints a per-kernel summary; fails naming
# the kernel that failed.
#
#   scripts/vmtest.sh                 # every kernel of vmtest.toml
#   VMTEST_KERNELS=6.1 scripts/vmtest.sh
#   VMTEST_TESTS=execguard:: scripts/vmtest.sh   # a libtest filter, in every guest
#   VMTEST_BENCH=BINARY VMTEST_KERNELS=sid scripts/vmtest.sh
#                                     # make bench's guest rows: BINARY (the bench)
#                                     # runs in the guest; its BENCH- lines are printed
#
# How (see vmtest.toml): vmtest boots each kernel with the host's root filesystem shared
# read-only over 9p; a busybox initramfs built here loads the 9p/virtio modules Debian
# builds as modules; scripts/vmtest-qemu adapts QEMU to the host (software emulation
# when KVM cannot run ordinary kernels); scripts/vmtest-guest.sh runs the tests inside.
# Guests run two at a time (VMTEST_JOBS): each one's TCG takes one host thread.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.vmtest"
# vmtest.toml is the one list of kernels: its targets are named debian-SERIES.
kernels="${VMTEST_KERNELS:-$(sed -n 's/^name = "debian-\(.*\)"$/\1/p' "$root/vmtest.toml" | tr '\n' ' ')}"
# Each guest's share of CI's time: a guest that overruns it fails the run, naming the
# kernel, rather than CI being cut off at 90 minutes with nothing said. Measured here
# (README): about 4 to 7 minutes a guest with two guests at a time.
guest_timeout="${VMTEST_TIMEOUT:-1200}"
jobs="${VMTEST_JOBS:-2}"
vmtest_version=0.18.0

log() { echo "vmtest: $*" >&2; }
die() { echo "vmtest: FAILED: $*" >&2; exit 1; }
skip_all() {
	# In CI everything runs: a VM test that cannot run fails the run there.
	[ "${CI:-}" = true ] && die "cannot run any guest under CI: $*"
	echo "vmtest: SKIPPED (every kernel): $*" >&2
	echo "vmtest: only the host suite ran; the kprobe tools are NOT proven on this machine" >&2
	exit 0
}

install_host_tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	command -v qemu-ga >/dev/null || need+=(qemu-guest-agent)
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx switch_root || need+=(busybox-static)
	command -v depmod >/dev/null || need+=(kmod)
	command -v cpio >/dev/null || need+=(cpio)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v zstd >/dev/null || need+=(zstd)
	if [ ${#need[@]} -gt 0 ]; then
		log "installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
			skip_all "could not install ${need[*]}"
	fi
	if ! command -v vmtest >/dev/null || [ "$(vmtest --version 2>/dev/null | awk '{print $2}')" != "$vmtest_version" ]; then
		log "installing vmtest $vmtest_version from crates.io (about 2 minutes)"
		cargo install --quiet --locked vmtest --version "$vmtest_version" ||
			die "cargo install vmtest failed"
	fi
}

# The Debian mirror this host uses, read from its own apt entries (deb822 or one-line
# format), never hard-coded; other suites (backports, an older release) come from it.
debian_mirror() {
	local uri
	uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
	if [ -z "$uri" ]; then
		uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
	fi
	[ -n "$uri" ] || die "cannot find the Debian mirror in /etc/apt sources"
	echo "$uri"
}

# apt on one Debian suite, with a private source list and state under .vmtest/apt/SUITE,
# so that the host's apt configuration is never touched: suite_apt SUITE apt-get ...
suite_apt() {
	local suite=$1 dir="$cache/apt/$1"
	shift
	if [ ! -f "$dir/sources.list" ]; then
		mkdir -p "$dir/lists/partial"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $suite main" \
			>"$dir/sources.list"
	fi
	"$@" -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" -o APT::Default-Release="$suite"
}

# The Debian suite whose linux-image-amd64 gives kernel SERIES: its target's
# debian_suite in vmtest.toml (a key vmtest itself ignores), so that a kernel is named
# nowhere else.
kernel_suite() {
	local suite
	suite=$(awk -v target="debian-$1" '
		/^name = / { name = $3; gsub(/"/, "", name) }
		/^debian_suite = / && name == target { suite = $3; gsub(/"/, "", suite) }
		END { print suite }' "$root/vmtest.toml")
	[ -n "$suite" ] || die "unknown kernel series $1 (vmtest.toml names: $(sed -n 's/^name = "debian-\(.*\)"$/\1/p' "$root/vmtest.toml" | tr '\n' ' '))"
	echo "$suite"
}

# Name of the linux-image package that the suite's linux-image-amd64 points at. The
# stable suites' lists are fetched once; sid's again when a day old, to follow it.
image_package() {
	local suite lists
	suite=$(kernel_suite "$1")
	lists="$cache/apt/$suite/lists"
	if [ -z "$(ls "$lists" 2>/dev/null | grep -v partial)" ] ||
		{ [ "$suite" = sid ] && [ -n "$(find "$lists" -maxdepth 1 -name '*Packages*' -mmin +1440)" ]; }; then
		suite_apt "$suite" apt-get update -qq >/dev/null || die "kernel $1: apt-get update of $suite failed"
	fi
	suite_apt "$suite" apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

# The packages that make up kernel image package PACKAGE: itself and, where the suite
# splits the kernel (sid: linux-binary-VER holds the vmlinuz, linux-modules-VER the
# modules, linux-base-VER modules.order and modules.builtin), those it depends on.
kernel_packages() {
	local series=$1 package=$2 version=${2#linux-image-}
	echo "$package"
	suite_apt "$(kernel_suite "$series")" apt-cache depends "$package" 2>/dev/null |
		awk -v v="$version" '$1 == "Depends:" && $2 ~ "^linux-(binary|modules|base)-" && substr($2, length($2) - length(v) + 1) == v {print $2}'
}

# What a cached kernel is built from (the image package $1, the initramfs modules and
# init script): a change to any of them fetches and builds it again.
kernel_recipe() {
	echo "$initramfs_modules $initramfs_modules_where_built"
	cksum <"$root/scripts/vmtest-initramfs-init"
	echo "$1"
}

fetch_kernel() {
	local series=$1 dir="$cache/kernels/$1" package packages deb
	package=$(image_package "$series")
	[ -n "$package" ] || die "kernel $series: no linux-image package found"
	if [ -f "$dir/vmlinuz" ] && [ -f "$dir/initramfs.cpio.gz" ] &&
		[ "$(cat "$dir/recipe" 2>/dev/null)" = "$(kernel_recipe "$package")" ]; then
		return 0
	fi
	packages=$(kernel_packages "$series" "$package")
	log "kernel $series: downloading $(echo $packages)"
	rm -rf "$dir" && mkdir -p "$dir/root"
	# shellcheck disable=SC2086 # one word per package
	(cd "$dir" && suite_apt "$(kernel_suite "$series")" apt-get download -qq $packages 2>/dev/null) ||
		die "kernel $series: download of $(echo $packages) failed"
	for deb in "$dir"/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
		rm -f "$deb"
	done
	# Older suites lay the kernel out under /lib and /boot, sid under /usr (merged /usr).
	local base version vmlinuz
	for base in "$dir/root/lib/modules" "$dir/root/usr/lib/modules"; do
		[ -d "$base" ] && version=$(ls "$base" | head -n 1) && break
	done
	[ -n "${version:-}" ] || die "kernel $series: $(echo $packages) hold no modules"
	[ "$base" = "$dir/root/lib/modules" ] || { mkdir -p "$dir/root/lib" && mv "$base" "$dir/root/lib/modules"; }
	for vmlinuz in "$dir/root/boot/vmlinuz-$version" "$dir/root/lib/modules/$version/vmlinuz"; do
		[ -f "$vmlinuz" ] && break
	done
	[ -f "$vmlinuz" ] || die "kernel $series: $(echo $packages) hold no vmlinuz"
	depmod -b "$dir/root" "$version"
	build_initramfs "$dir" "$version"
	# Only the kernel and the initramfs are needed from here on (~450 MB less).
	mv "$vmlinuz" "$dir/vmlinuz"
	rm -rf "$dir/root"
	kernel_recipe "$package" >"$dir/recipe"
}

# Modules (and their dependencies, in load order) that Debian builds as modules and
# the guest needs: the 9p root and vmtest's guest agent channel, and veth for the
# network tests, loop and ext4 for execguard's file system of its own (the host's
# /lib/modules has nothing for a guest kernel).
initramfs_modules="virtio_pci virtio_console 9pnet_virtio 9p veth uinput loop ext4"
# And where a kernel has them as modules (others build them in, or name them anew):
# crc32c, which ext4 asks the crypto API for at mount (5.10: "Cannot load crc32c
# driver", and the mount fails with ENOENT).
initramfs_modules_where_built="crc32c_generic"

module_path() {
	local moddir=$1 name=$2
	grep -E "(^|/)${name//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1 | cut -d: -f1
}

# Prints module files (relative to the modules dir) in dependency order.
module_load_order() {
	local moddir=$1 name seen=" " order=()
	visit() {
		local rel=$1 dep
		case "$seen" in *" $rel "*) return ;; esac
		seen="$seen$rel "
		for dep in $(grep -E "^$rel:" "$moddir/modules.dep" | cut -d: -f2); do
			visit "$dep"
		done
		order+=("$rel")
	}
	for name in $initramfs_modules_where_built; do
		rel=$(module_path "$moddir" "$name")
		[ -n "$rel" ] && visit "$rel"
	done
	for name in $initramfs_modules; do
		rel=$(module_path "$moddir" "$name")
		if [ -z "$rel" ]; then
			grep -qE "/${name//_/[_-]}\.ko" "$moddir/modules.builtin" 2>/dev/null ||
				die "module $name is neither a module nor built in"
			continue
		fi
		visit "$rel"
	done
	printf '%s\n' "${order[@]}"
}

build_initramfs() {
	local dir=$1 version=$2 work moddir n=0 rel out
	moddir="$dir/root/lib/modules/$version"
	work=$(mktemp -d)
	mkdir -p "$work"/{bin,dev,proc,sys,newroot,modules}
	cp /bin/busybox "$work/bin/busybox"
	for rel in $(module_load_order "$moddir"); do
		n=$((n + 1))
		out="$work/modules/$(printf '%02d' $n)-$(basename "${rel%%.ko*}").ko"
		case "$rel" in
		*.xz) xz -dc "$moddir/$rel" >"$out" ;;
		*.zst) zstd -qdc "$moddir/$rel" >"$out" ;;
		*.gz) gzip -dc "$moddir/$rel" >"$out" ;;
		*) cp "$moddir/$rel" "$out" ;;
		esac
	done
	cp "$root/scripts/vmtest-initramfs-init" "$work/init"
	chmod +x "$work/init"
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.cpio.gz"
	rm -rf "$work"
	log "kernel $version: initramfs with $n modules"
}

build_tests() {
	log "building the tools and the test binary (the same artifacts run on every kernel)"
	(cd "$root" && cargo build --locked --quiet --bins)
	(cd "$root" && cargo test --locked --no-run --message-format=json --test it 2>/dev/null) |
		grep -F '"kind":["test"]' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 >"$cache/test-binaries"
	[ "$(wc -l <"$cache/test-binaries")" -eq 1 ] || die "could not find the test binary (tests/it)"
}

# Whether the guest of kernel SERIES runs only the kernel-dependent tests (its command
# in vmtest.toml says --kernel-dependent-only).
kernel_dependent_only() {
	awk -v target="debian-$1" '
		/^name = / { name = $3; gsub(/"/, "", name) }
		/^command = / && name == target && /--kernel-dependent-only/ { found = 1 }
		END { exit !found }' "$root/vmtest.toml"
}

# Boots kernel SERIES and runs the tests in it; writes what happened to
# $cache/result-SERIES (a summary line, then failures, each on its line).
run_kernel() {
	local series=$1 logfile="$cache/guest-$1.log" target="debian-$1" status=0
	local result="$cache/result-$1"
	local started=$SECONDS
	(cd "$root" && timeout --kill-after=10 "$guest_timeout" \
		vmtest -c "$root/vmtest.toml" -f "^$target\$") >"$logfile" 2>&1 || status=$?
	local took=$((SECONDS - started))
	local passed failed skipped not_here done_line scope=all
	kernel_dependent_only "$series" && scope=kernel-dependent
	passed=$(grep -aoE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$logfile" | awk '{s+=$4} END {print s+0}' || true)
	failed=$(grep -aoE '[0-9]+ failed;' "$logfile" | awk '{s+=$1} END {print s+0}' || true)
	# The tests' own lines can land at the end of one of libtest's (two writers, one
	# console): count them wherever they stand on a line.
	skipped=$(grep -aoE 'SKIPPED [^ ]+:' "$logfile" | wc -l || true)
	# Tests outside this guest's scope return at once: libtest counts them as passed.
	not_here=$(grep -aoE 'NOT-RUN-HERE [^ ]+:' "$logfile" | wc -l || true)
	passed=$((passed - not_here))
	done_line=$(grep -aoE 'GUEST-DONE kernel=[^ ]+ status=[0-9]+' "$logfile" | tail -n 1 || true)
	{
		printf '%s %s %s %s %s %s %s\n' "$took" "$passed" "$failed" "$skipped" "$not_here" "$scope" \
			"$(echo "$done_line" | sed -n 's/.*kernel=\([^ ]*\).*/\1/p')"
		if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			echo "kernel $series: the guest overran its share of ${guest_timeout}s (VMTEST_TIMEOUT) and was stopped; the slowest tests so far are in $logfile (TEST-TIME lines)"
		elif [ -z "$done_line" ] && grep -aq 'Kernel panic' "$logfile"; then
			echo "kernel $series: the guest kernel panicked: $(grep -aoE 'Oops: [^[]*|BUG: .*' "$logfile" | head -n 1) (log: $logfile)"
		elif [ -z "$done_line" ]; then
			echo "kernel $series: guest did not boot or the tests did not run (log: $logfile)"
		elif [ "$status" -ne 0 ] || ! echo "$done_line" | grep -q 'status=0'; then
			echo "kernel $series: $failed test(s) failed (log: $logfile): $(grep -aE '^test .* FAILED$' "$logfile" | awk '{print $2}' | tr '\n' ' ')"
			why_failed "$logfile"
		fi
	} >"$result"
	log "kernel $series: done in ${took}s"
}

# What each failed test of a guest's log said when it panicked: its "panicked at" line
# and the two after it (the assertion and its first value), each cut to 300 bytes, so
# that the end of CI's output says why and not only which.
why_failed() {
	tr -d '\r' <"$1" | awk '
		/^---- .* stdout ----$/ { test = $2; left = 0; next }
		test != "" && /panicked at/ { print "  " test ": " substr($0, 1, 300); left = 2; next }
		left > 0 && /^(stack backtrace:|note: )/ { left = 0; test = ""; next }
		left > 0 { print "    " substr($0, 1, 300); left--; if (left == 0) test = "" }'
}

# The five slowest tests of a guest's log, from the TEST-TIME lines tests print.
slowest() {
	grep -aoE 'TEST-TIME [0-9.]+s [^ ]+( \(failed\))?' "$1" | sort -k2 -t' ' -rn | head -n 5 |
		awk '{printf "    %8s  %s%s\n", $2, $3, ($4 ? " " $4 " " $5 : "")}'
}

# make bench's guest rows: boots each of $kernels once with VMTEST_BENCH (the bench
# binary, which scripts/vmtest-guest.sh runs instead of the tests) and prints the
# BENCH- lines it wrote on the guest's console.
run_bench() {
	[ -x "$VMTEST_BENCH" ] || die "VMTEST_BENCH=$VMTEST_BENCH is not an executable"
	local series logfile status=0
	for series in $kernels; do
		fetch_kernel "$series"
		logfile="$cache/bench-$series.log"
		log "kernel $series: booting for the bench (log: $logfile)"
		(cd "$root" && timeout --kill-after=10 "$guest_timeout" \
			vmtest -c "$root/vmtest.toml" -f "^debian-$series\$") >"$logfile" 2>&1 || status=$?
		tr -d '\r' <"$logfile" | grep -aoE 'BENCH-[A-Z]+ .*' || true
		grep -aq 'GUEST-DONE kernel=[^ ]* status=0' "$logfile" ||
			die "kernel $series: the bench did not finish in the guest (status $status): $(tr -d '\r' <"$logfile" | grep -aE '^bench' | tail -n 1) (log: $logfile)"
	done
}

main() {
	[ "$(uname -m)" = x86_64 ] || skip_all "the VM targets are x86_64 kernels, this host is $(uname -m)"
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (to install QEMU and run the privileged tests)"
	mkdir -p "$cache"
	install_host_tools
	command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not available"
	if [ -n "${VMTEST_BENCH:-}" ]; then
		run_bench
		return
	fi
	build_tests
	local series
	for series in $kernels; do
		fetch_kernel "$series"
	done
	rm -f "$cache/closing-line"
	local total_passed=0 total_failed=0 total_skipped=0 started=$SECONDS running=0
	local before
	before=$(ls /tmp/vmtest-init*.sh 2>/dev/null || true)
	# Guests whose scope is every test first: they take longest.
	local order=() later=()
	for series in $kernels; do
		if kernel_dependent_only "$series"; then later+=("$series"); else order+=("$series"); fi
	done
	order+=("${later[@]}")
	for series in "${order[@]}"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		rm -f "$cache/result-$series"
		log "kernel $series: booting (its share: ${guest_timeout}s; log: $cache/guest-$series.log)"
		run_kernel "$series" &
		running=$((running + 1))
	done
	wait || true
	# vmtest leaves its init script behind when it is cut off.
	for f in /tmp/vmtest-init*.sh; do
		[ -e "$f" ] || continue
		echo "$before" | grep -qxF "$f" || rm -f "$f"
	done
	local summary=() failures=() took passed failed skipped not_here scope version
	for series in $kernels; do
		if [ ! -s "$cache/result-$series" ]; then
			failures+=("kernel $series: no result (log: $cache/guest-$series.log)")
			continue
		fi
		read -r took passed failed skipped not_here scope version <"$cache/result-$series"
		total_passed=$((total_passed + passed))
		total_failed=$((total_failed + failed))
		total_skipped=$((total_skipped + skipped))
		summary+=("$(printf '%-6s %-28s %4ss  passed %3s  failed %3s  skipped %3s  not run here %3s  (%s tests)' \
			"$series" "${version:-}" "$took" "$passed" "$failed" "$skipped" "$not_here" "$scope")")
		summary+=("  the five slowest tests:")
		while IFS= read -r line; do summary+=("$line"); done < <(slowest "$cache/guest-$series.log")
		while IFS= read -r line; do failures+=("$line"); done < <(tail -n +2 "$cache/result-$series")
		grep -aoE 'SKIPPED [^ ]+: .*' "$cache/guest-$series.log" | sed "s/^/  [$series] /" >&2 || true
	done
	echo "vmtest summary ($((SECONDS - started))s):"
	printf '  %s\n' "${summary[@]}"
	if [ ${#failures[@]} -gt 0 ]; then
		printf 'vmtest: FAILED: %s\n' "${failures[@]}" >&2
		echo "vmtest: $total_passed passed, $total_failed failed, $total_skipped skipped" | tee "$cache/closing-line"
		exit 1
	fi
	echo "vmtest: every kernel passed"
	# The closing line CI reads: the guests' test counts together (make test prints it
	# again after its phases' times).
	echo "vmtest: $total_passed passed, $total_failed failed, $total_skipped skipped" | tee "$cache/closing-line"
}

main "$@"
